import { z } from 'zod';
import { buildArgsSchema, cacheSpecSchema, engineEndpointSchema, registrySchema } from '../../config/shared-schemas';

export const imageExecutorSchema = z
  .object({
    dockerfile: z.string().min(1),
    context: z.string().min(1),
    /** The stage to build; unset: the Dockerfile's final stage (an unnamed one cannot be named to buildx). */
    target: z.string().min(1).optional(),
    /** What the image is: `dev`, `prod`, or the stage it builds (`server`); `{kind}` in tags. */
    kind: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a tag-safe name like prod or server'),
    backend: z.string().min(1),
    /** The JSON file of build args the keys target resolved from pyproject.toml and the plugin options. */
    buildArgsFile: z.string().min(1).optional(),
    /** Extra build args, over those of the build-args file. */
    buildArgs: buildArgsSchema.default({}),
    /** The named build context that stands for the wheel-export stage, and the folder of wheel files it points to. */
    wheelsContext: z.string().min(1).optional(),
    wheelsDir: z.string().min(1).optional(),
    metadataFile: z.string().min(1),
    registry: registrySchema.optional(),
    /** Tag templates: {registry} {project} {kind} {backend} {gitSha} {taskHash}. */
    tags: z.array(z.string().min(1)).optional(),
    labels: z.record(z.string(), z.string()).default({}),
    platforms: z.array(z.string().min(1)).optional(),
    builder: z.string().min(1).optional(),
    /** The engine the build runs on (a docker context or DOCKER_HOST); unset: the default one. */
    engine: engineEndpointSchema.optional(),
    cacheFrom: z.array(cacheSpecSchema).optional(),
    cacheTo: z.array(cacheSpecSchema).optional(),
    secrets: z.array(z.string().min(1)).default([]),
    progress: z.enum(['auto', 'plain', 'tty', 'quiet', 'rawjson']).optional(),
    push: z.boolean().optional(),
    noCache: z.boolean().default(false),
    pull: z.boolean().default(false),
    /** Print the exact `docker buildx build` argv and run nothing. */
    dryRun: z.boolean().default(false),
    /** After a failed build, load the stage the target builds on (`<project>-debug:<stage>-<backend>`) to open a shell in it. */
    debugOnFailure: z.boolean().default(false),
  })
  .strict();

export type ImageExecutorOptions = z.input<typeof imageExecutorSchema>;
export type ImageOptions = z.output<typeof imageExecutorSchema>;
