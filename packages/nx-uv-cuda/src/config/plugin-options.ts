import { z } from 'zod';
import { PluginError } from '../core/errors';
import { formatZodIssues } from '../core/zod-message';
import { applyRenames } from './renamed-options';
import { buildArgsSchema, backendNameSchema, buildersSchema, registrySchema, type BuildersOption } from './shared-schemas';

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
    /** `docker run` of each image: `run-dev-<backend>` (the sources mounted), `run-prod-<backend>` (a server). */
    run: z.string().min(1).default('run'),
    /** Tagging a pushed image with a release version: `release-prod-<backend>`, one per image (`nx-release-publish` runs them). */
    release: z.string().min(1).default('release'),
  })
  .strict();

/** The roles of a Dockerfile's stages, by stage name. */
export const stageNamesSchema = z
  .object({
    dev: z.string().min(1).default('dev'),
    prod: z.string().min(1).default('prod'),
    /** The stage that compiles the wheel (the wheel target builds it). */
    wheelBuild: z.string().min(1).default('wheel-prod'),
    /**
     * The `FROM scratch` stage that holds only the wheel files: the wheel target exports it, and dev and prod
     * receive the wheels through a named build context of this name instead of building it.
     */
    wheelExport: z.string().min(1).default('wheels'),
  })
  .strict();

/** Option keys renamed since 0.1, as dotted paths: they keep working, with a deprecation warning. */
export const PLUGIN_OPTION_RENAMES = { 'stages.wheel': 'stages.wheelBuild', 'stages.wheels': 'stages.wheelExport' };

/** How `nx release` versions images (defaults: model/image-releases.ts, through the release executor's schema). */
export const releaseOptionsSchema = z
  .object({
    /** `{currentDate|YYMM.DD}.{shortCommitSha}`, `{versionActionsVersion}`, `{projectVersion}`, ... */
    versionScheme: z.string().min(1).optional(),
    /** The release tag after the image's repository: `{image}-{version}` (`{image}`: `prod-cu124`), `{kind}`, `{backend}`. */
    tag: z.string().min(1).optional(),
    /** The released-references file, workspace-relative. */
    file: z.string().min(1).optional(),
    /** Whether `nx-release-publish` releases dev images too (each has its own release target either way). */
    dev: z.boolean().optional(),
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
    /** Globs, relative to the project root: every file they match is one of the project's Dockerfiles. */
    dockerfile: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** Build context, relative to the project root. Default: the folder holding the governing uv.lock. */
    context: z.string().min(1).optional(),
    backends: backendsOptionSchema.optional(),
    buildArgs: buildArgsSchema.optional(),
    stages: stageNamesSchema.partial().optional(),
    targetNames: targetNamesSchema.partial().optional(),
    /** Registry to push images and caches to, e.g. `127.0.0.1:5000/ml`; unset: images are loaded locally. */
    registry: registrySchema.optional(),
    /** The Python package the wheel targets compile. */
    wheelPackage: z.string().min(1).optional(),
    /** Packages besides torch and the wheel's own that its build reads: their lock entries are part of the wheel key. */
    wheelBuildRequirements: z.array(z.string().min(1)).optional(),
    /** The buildx builder and engine of wheel and image builds, per kind and per backend (see docs/ci.md). */
    builders: buildersSchema.optional(),
    /** Image releases through `nx release` (only where images are pushed: `registry` set). */
    release: releaseOptionsSchema.optional(),
  })
  .strict();

export type PluginOptions = z.input<typeof pluginOptionsSchema>;
export type TargetNames = z.output<typeof targetNamesSchema>;
export type StageNames = z.output<typeof stageNamesSchema>;
export type BackendsOption = z.output<typeof backendsOptionSchema>;
export type BackendSettings = z.output<typeof backendSettingsSchema>;
export type ReleasePluginOptions = z.output<typeof releaseOptionsSchema>;

/** Where real repositories keep Dockerfiles, relative to the project root: every match is one of its Dockerfiles. */
export const DOCKERFILE_PLACES = ['', 'docker/', 'docker/*/', 'docker/*/*/', 'scripts/docker/', 'deploy/', 'deploy/docker/', 'build/docker/', 'ci/docker/', 'containers/', 'container/', '.docker/'];
const DOCKERFILE_NAMES = ['Dockerfile*', '*.Dockerfile', '*.dockerfile', 'Containerfile*'];
export const DEFAULT_DOCKERFILE_GLOBS = DOCKERFILE_PLACES.flatMap((place) => DOCKERFILE_NAMES.map((name) => `${place}${name}`));
export const DEFAULT_WHEEL_PACKAGE = 'flash-attn';
/** What a flash-attn build reads besides torch and itself. */
export const DEFAULT_WHEEL_BUILD_REQUIREMENTS = ['setuptools', 'packaging', 'ninja', 'wheel', 'psutil'];

/** Where messages about these options point. */
export const PLUGIN_OPTIONS_WHERE = 'nx.json plugins["nx-uv-cuda"].options';

export interface NormalizedPluginOptions {
  dockerfile: string[];
  context?: string;
  backends?: BackendsOption;
  buildArgs?: Record<string, string>;
  stages: StageNames;
  targetNames: TargetNames;
  registry?: string;
  wheelPackage: string;
  wheelBuildRequirements: string[];
  builders?: BuildersOption;
  release: ReleasePluginOptions;
  /** One line per renamed option in use. */
  deprecations: string[];
}

/** Validates the `options` of the nx-uv-cuda entry in nx.json and fills in every default. */
export function normalizePluginOptions(raw: unknown): NormalizedPluginOptions {
  const renamed = applyRenames(raw ?? {}, PLUGIN_OPTION_RENAMES, PLUGIN_OPTIONS_WHERE);
  const result = pluginOptionsSchema.safeParse(renamed.value);
  if (!result.success) throw new PluginError('options', formatZodIssues(result.error.issues, PLUGIN_OPTIONS_WHERE));
  const options = result.data;
  return {
    dockerfile: globList(options.dockerfile ?? DEFAULT_DOCKERFILE_GLOBS),
    context: options.context,
    backends: options.backends,
    buildArgs: options.buildArgs,
    stages: stageNamesSchema.parse(options.stages ?? {}),
    targetNames: targetNamesSchema.parse(options.targetNames ?? {}),
    registry: options.registry,
    wheelPackage: options.wheelPackage ?? DEFAULT_WHEEL_PACKAGE,
    wheelBuildRequirements: options.wheelBuildRequirements ?? DEFAULT_WHEEL_BUILD_REQUIREMENTS,
    builders: options.builders,
    release: options.release ?? {},
    deprecations: renamed.warnings,
  };
}

export function globList(globs: string | string[]): string[] {
  return Array.isArray(globs) ? globs : [globs];
}
