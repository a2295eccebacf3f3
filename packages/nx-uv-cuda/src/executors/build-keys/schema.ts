import { z } from 'zod';

/**
 * Everything the keys target needs, flat and typed, as inference resolved it. What an ordinary edit changes
 * (the project's own build args, stage texts, file contents) is read from the files at run time instead: Nx
 * hashes every target's options into each task of the project, so options must not move with such edits.
 */
export const buildKeysExecutorSchema = z
  .object({
    /** The project's pyproject.toml: its `[tool.nx-uv-cuda]` build args are read at run time. */
    pyproject: z.string().min(1),
    backend: z.string().min(1),
    dockerfile: z.string().min(1),
    /** The .dockerignore in force, when there is one. */
    dockerignore: z.string().min(1).optional(),
    /** The build context, workspace-relative. */
    context: z.string().min(1),
    /** The governing uv.lock and the service's prod/uv.lock: keys leave out what their slices stand for. */
    lockFile: z.string().min(1),
    prodLockFile: z.string().min(1).optional(),
    devStage: z.string().min(1),
    prodStage: z.string().min(1),
    wheelBuildStage: z.string().min(1),
    wheelExportStage: z.string().min(1),
    wheelPackage: z.string().min(1),
    wheelBuildRequirements: z.array(z.string().min(1)),
    /** The backend's build args below the project's own: recipe defaults, derived from its name, nx.json's. */
    workspaceBuildArgs: z.record(z.string(), z.string()).default({}),
    devLockSlice: z.string().min(1),
    prodLockSlice: z.string().min(1),
    wheelKeyFile: z.string().min(1),
    devKeyFile: z.string().min(1),
    prodKeyFile: z.string().min(1),
    /** The build args to pass, for the wheel and image targets (hashed by none). */
    buildArgsFile: z.string().min(1),
  })
  .strict();

export type BuildKeysExecutorOptions = z.input<typeof buildKeysExecutorSchema>;
export type BuildKeysOptions = z.output<typeof buildKeysExecutorSchema>;
