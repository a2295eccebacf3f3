import {
  DEFAULT_DOCKERFILE_GLOBS,
  DEFAULT_WHEEL_BUILD_REQUIREMENTS,
  DEFAULT_WHEEL_PACKAGE,
  pluginOptionsSchema,
  stageNamesSchema,
  targetNamesSchema,
  type BackendsOption,
  type StageNames,
  type TargetNames,
} from '../config/plugin-options';
import { formatZodIssues } from '../config/zod-message';

export interface NormalizedPluginOptions {
  /** As written in nx.json. */
  raw: Record<string, unknown>;
  dockerfile: string | string[];
  context?: string;
  backends?: BackendsOption;
  buildArgs?: Record<string, string>;
  stages: StageNames;
  targetNames: TargetNames;
  registry?: string;
  wheelPackage: string;
  wheelBuildRequirements: string[];
}

export class PluginOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginOptionsError';
  }
}

/** Validates the `options` of the nx-uv-cuda entry in nx.json and fills in every default. */
export function normalizePluginOptions(raw: unknown): NormalizedPluginOptions {
  const result = pluginOptionsSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new PluginOptionsError(formatZodIssues(result.error.issues, 'nx.json plugins["nx-uv-cuda"].options'));
  }
  const options = result.data;
  return {
    raw: (raw ?? {}) as Record<string, unknown>,
    dockerfile: options.dockerfile ?? DEFAULT_DOCKERFILE_GLOBS,
    context: options.context,
    backends: options.backends,
    buildArgs: options.buildArgs,
    stages: stageNamesSchema.parse(options.stages ?? {}),
    targetNames: targetNamesSchema.parse(options.targetNames ?? {}),
    registry: options.registry,
    wheelPackage: options.wheelPackage ?? DEFAULT_WHEEL_PACKAGE,
    wheelBuildRequirements: options.wheelBuildRequirements ?? DEFAULT_WHEEL_BUILD_REQUIREMENTS,
  };
}
