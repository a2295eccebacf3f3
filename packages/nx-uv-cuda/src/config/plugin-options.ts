import { z } from 'zod';
import { buildArgsSchema, backendNameSchema } from './shared-schemas';

/** Names of every inferred target; `<prefix>-<backend>` targets take the prefix from here. */
export const targetNamesSchema = z
  .object({
    image: z.string().min(1).default('image'),
    imageDev: z.string().min(1).default('image-dev'),
    imageProd: z.string().min(1).default('image-prod'),
    wheel: z.string().min(1).default('wheel-flash-attn'),
    lock: z.string().min(1).default('lock'),
    lockCheck: z.string().min(1).default('lock-check'),
    lockSlice: z.string().min(1).default('lock'),
    keys: z.string().min(1).default('keys'),
    smoke: z.string().min(1).default('smoke'),
  })
  .strict();

export const stageNamesSchema = z
  .object({
    dev: z.string().min(1).default('dev'),
    prod: z.string().min(1).default('prod'),
    wheel: z.string().min(1).default('wheel-prod'),
    /** The stage (or named build context) through which dev and prod receive the wheel files. */
    wheels: z.string().min(1).default('wheels'),
  })
  .strict();

export const backendSettingsSchema = z.object({ buildArgs: buildArgsSchema.optional() }).strict();

/** `backends` is either a list of names or a map of name → settings. */
export const backendsOptionSchema = z.union([
  z.array(backendNameSchema).min(1),
  z.record(backendNameSchema, backendSettingsSchema),
]);

export const pluginOptionsSchema = z
  .object({
    /** Globs, relative to the project root, tried in order; the first match is the project's Dockerfile. */
    dockerfile: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** Build context, relative to the project root. Default: the folder holding the governing uv.lock. */
    context: z.string().min(1).optional(),
    backends: backendsOptionSchema.optional(),
    buildArgs: buildArgsSchema.optional(),
    stages: stageNamesSchema.partial().optional(),
    targetNames: targetNamesSchema.partial().optional(),
    /** Registry to push images and caches to, e.g. `127.0.0.1:5000/ml`; unset: images are loaded locally. */
    registry: z.string().min(1).optional(),
    /** The Python package the wheel targets compile. */
    wheelPackage: z.string().min(1).optional(),
    /** Packages besides torch and the wheel's own that its build reads: their lock entries are part of the wheel key. */
    wheelBuildRequirements: z.array(z.string().min(1)).optional(),
  })
  .strict();

export type PluginOptions = z.input<typeof pluginOptionsSchema>;
export type TargetNames = z.output<typeof targetNamesSchema>;
export type StageNames = z.output<typeof stageNamesSchema>;
export type BackendsOption = z.output<typeof backendsOptionSchema>;
export type BackendSettings = z.output<typeof backendSettingsSchema>;

export const DEFAULT_DOCKERFILE_GLOBS = ['docker/Dockerfile*', 'Dockerfile'];
export const DEFAULT_WHEEL_PACKAGE = 'flash-attn';
/** What a flash-attn build reads besides torch and itself. */
export const DEFAULT_WHEEL_BUILD_REQUIREMENTS = ['setuptools', 'packaging', 'ninja', 'wheel', 'psutil'];
