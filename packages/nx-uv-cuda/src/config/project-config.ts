import { z } from 'zod';
import { backendNameSchema, buildArgsSchema, buildersSchema, registrySchema } from './shared-schemas';
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
        'wheel-build': z.string().min(1).optional(),
        'wheel-export': z.string().min(1).optional(),
      })
      .strict()
      .transform((stages) => ({
        dev: stages.dev,
        prod: stages.prod,
        wheelBuild: stages['wheel-build'],
        wheelExport: stages['wheel-export'],
      }))
      .optional(),
    registry: registrySchema.optional(),
    'wheel-package': z.string().min(1).optional(),
    'wheel-build-requirements': z.array(z.string().min(1)).optional(),
    'smoke-command': z.array(z.string()).min(1).optional(),
    builders: buildersSchema.optional(),
  })
  .strict()
  .transform((config) => ({
    enabled: config.enabled ?? true,
    dockerfile: config.dockerfile,
    context: config.context,
    backends: config.backends as BackendsOption | undefined,
    buildArgs: config['build-args'],
    stages: config.stages satisfies Partial<StageNames> | undefined,
    registry: config.registry,
    wheelPackage: config['wheel-package'],
    wheelBuildRequirements: config['wheel-build-requirements'],
    smokeCommand: config['smoke-command'],
    builders: config.builders,
  }));

export type ProjectConfig = z.output<typeof projectConfigSchema>;

/** `[tool.nx-uv-cuda]` keys renamed since 0.1: they keep working, with a deprecation warning. */
export const PROJECT_CONFIG_RENAMES = { 'stages.wheel': 'stages.wheel-build', 'stages.wheels': 'stages.wheel-export' };
