import { z } from 'zod';
import { buildArgsSchema, cacheSpecSchema, engineEndpointSchema, registrySchema } from '../../config/shared-schemas';

export const wheelExecutorSchema = z
  .object({
    dockerfile: z.string().min(1),
    context: z.string().min(1),
    /** The wheel-build stage: the one that compiles the wheel (default wheel-prod). */
    target: z.string().min(1),
    /** A `FROM scratch` stage holding only the wheel files; exported instead of the whole wheel stage when set. */
    exportStage: z.string().min(1).optional(),
    /** Where the wheel stage keeps its wheels, when the whole stage is exported. */
    wheelhouse: z.string().min(1).default('/wheelhouse'),
    backend: z.string().min(1),
    package: z.string().min(1).default('flash-attn'),
    /** The JSON file of build args the keys target resolved from pyproject.toml and the plugin options. */
    buildArgsFile: z.string().min(1).optional(),
    /** The wheel key file: wheels are shared by every target whose key has the same content. */
    keyFile: z.string().min(1).optional(),
    /** Extra build args, over those of the build-args file. */
    buildArgs: buildArgsSchema.default({}),
    outputPath: z.string().min(1),
    registry: registrySchema.optional(),
    /** flash-attn's build knobs, passed as build args. MAX_JOBS and NVCC_THREADS change speed, not the wheel. */
    maxJobs: z.number().int().positive().optional(),
    nvccThreads: z.number().int().positive().optional(),
    cudaArchs: z.string().min(1).optional(),
    builder: z.string().min(1).optional(),
    /** The engine the build runs on (a docker context or DOCKER_HOST); unset: the default one. */
    engine: engineEndpointSchema.optional(),
    platforms: z.array(z.string().min(1)).optional(),
    cacheFrom: z.array(cacheSpecSchema).optional(),
    cacheTo: z.array(cacheSpecSchema).optional(),
    secrets: z.array(z.string().min(1)).default([]),
    progress: z.enum(['auto', 'plain', 'tty', 'quiet', 'rawjson']).optional(),
    noCache: z.boolean().default(false),
    /** Print the exact `docker buildx build` argv of the compile and run nothing. */
    dryRun: z.boolean().default(false),
    /** After a failed compile, load the stage the wheel stage builds on (`<project>-debug:<stage>-<backend>`) to open a shell in it. */
    debugOnFailure: z.boolean().default(false),
  })
  .strict();

export type WheelExecutorOptions = z.input<typeof wheelExecutorSchema>;
export type WheelOptions = z.output<typeof wheelExecutorSchema>;
