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
    wheelBuildStage: z.string().min(1),
    wheelExportStage: z.string().min(1),
    wheelPackage: z.string().min(1),
    wheelBuildRequirements: z.array(z.string().min(1)),
    /**
     * The backend's build args below the project's own: the recipe's defaults and what the backend implies, the
     * Dockerfile rules (the ARG `uv sync --extra` reads, ...), nx.json's.
     */
    baseBuildArgs: z.record(z.string(), z.string()).default({}),
    devLockSlice: z.string().min(1),
    prodLockSlice: z.string().min(1),
    wheelKeyFile: z.string().min(1),
    /** The images of this Dockerfile and backend: a key file each. */
    images: z
      .array(
        z
          .object({
            stage: z.string().min(1),
            kind: z.string().min(1),
            slice: z.enum(['dev', 'prod']),
            keyFile: z.string().min(1),
          })
          .strict(),
      )
      .min(1),
    /** The build args to pass, for the wheel and image targets (hashed by none). */
    buildArgsFile: z.string().min(1),
  })
  .strict();

export type BuildKeysExecutorOptions = z.input<typeof buildKeysExecutorSchema>;
export type BuildKeysOptions = z.output<typeof buildKeysExecutorSchema>;
