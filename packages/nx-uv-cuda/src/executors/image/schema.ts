import { z } from 'zod';
import { buildArgsSchema } from '../../config/shared-schemas';

export const imageExecutorSchema = z
  .object({
    dockerfile: z.string().min(1),
    context: z.string().min(1),
    target: z.string().min(1),
    kind: z.enum(['dev', 'prod']),
    backend: z.string().min(1),
    /** The JSON file of build args the keys target resolved from pyproject.toml and the plugin options. */
    buildArgsFile: z.string().min(1).optional(),
    /** Extra build args, over those of the build-args file. */
    buildArgs: buildArgsSchema.default({}),
    /** The named build context that stands for the wheel-export stage, and the folder of wheel files it points to. */
    wheelsContext: z.string().min(1).optional(),
    wheelsDir: z.string().min(1).optional(),
    metadataFile: z.string().min(1),
    registry: z.string().min(1).optional(),
    /** Tag templates: {registry} {project} {kind} {backend} {gitSha} {taskHash}. */
    tags: z.array(z.string().min(1)).optional(),
    labels: z.record(z.string(), z.string()).default({}),
    platforms: z.array(z.string().min(1)).optional(),
    builder: z.string().min(1).optional(),
    cacheFrom: z.array(z.string().min(1)).optional(),
    cacheTo: z.array(z.string().min(1)).optional(),
    secrets: z.array(z.string().min(1)).default([]),
    progress: z.enum(['auto', 'plain', 'tty', 'quiet', 'rawjson']).optional(),
    push: z.boolean().optional(),
    noCache: z.boolean().default(false),
    pull: z.boolean().default(false),
  })
  .strict();

export type ImageExecutorOptions = z.input<typeof imageExecutorSchema>;
export type ImageOptions = z.output<typeof imageExecutorSchema>;
