import { z } from 'zod';
import { backendNameSchema, buildArgsSchema } from './shared-schemas';
import type { BackendsOption, StageNames } from './plugin-options';

/**
 * `[tool.nx-uv-cuda]` in a project's pyproject.toml. Keys are kebab-case as is usual in `[tool.*]` tables;
 * the result uses the plugin options' camelCase shape so both can be merged.
 */
const projectBackendSettingsSchema = z
  .object({ 'build-args': buildArgsSchema.optional() })
  .strict()
  .transform((settings) => ({ buildArgs: settings['build-args'] }));

export const projectConfigSchema = z
  .object({
    /** `false` leaves the project to other plugins. */
    enabled: z.boolean().optional(),
    dockerfile: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    context: z.string().min(1).optional(),
    backends: z
      .union([z.array(backendNameSchema).min(1), z.record(backendNameSchema, projectBackendSettingsSchema)])
      .optional(),
    'build-args': buildArgsSchema.optional(),
    stages: z
      .object({
        dev: z.string().min(1).optional(),
        prod: z.string().min(1).optional(),
        wheel: z.string().min(1).optional(),
        wheels: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    registry: z.string().min(1).optional(),
    'wheel-package': z.string().min(1).optional(),
    'wheel-build-requirements': z.array(z.string().min(1)).optional(),
    'smoke-command': z.array(z.string()).min(1).optional(),
  })
  .strict()
  .transform((config) => ({
    enabled: config.enabled ?? true,
    dockerfile: config.dockerfile,
    context: config.context,
    backends: config.backends as BackendsOption | undefined,
    buildArgs: config['build-args'],
    stages: config.stages as Partial<StageNames> | undefined,
    registry: config.registry,
    wheelPackage: config['wheel-package'],
    wheelBuildRequirements: config['wheel-build-requirements'],
    smokeCommand: config['smoke-command'],
  }));

export type ProjectConfig = z.output<typeof projectConfigSchema>;
