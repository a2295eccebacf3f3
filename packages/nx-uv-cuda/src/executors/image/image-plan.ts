import { join } from 'node:path';
import { PluginError } from '../../core/errors';
import { buildxBuildArgv, defaultProgress, registryCache, type BuildxBuild } from '../../docker/buildx-argv';
import { IMAGE_COMPONENT_PATTERN, IMAGE_TAG_PATTERN, repositoryOf } from '../../docker/image-ref';
import { dockerSafeName } from '../../docker/safe-name';
import type { ImageOptions } from './schema';

export const DEFAULT_TAG_TEMPLATE = '{registry}/{project}:{kind}-{backend}';

/** Docker's reference grammar: `[host[:port]/]component(/component)*[:tag]`, lowercase components. */
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)';
const IMAGE_REFERENCE = new RegExp(`^${HOST}?${IMAGE_COMPONENT_PATTERN}(?:/${IMAGE_COMPONENT_PATTERN})*(?::${IMAGE_TAG_PATTERN})?$`);

export interface ImagePlanInput {
  options: ImageOptions;
  /** Credential-looking build args that buildx takes from the environment (the build-args file names them). */
  environmentBuildArgs: string[];
  /**
   * The build's output holds credential values to mask: it must be plain lines (a tty drawing or rawjson's
   * base64 would carry them past the mask).
   */
  masksOutput?: boolean;
  workspaceRoot: string;
  project: string;
  taskHash?: string;
  gitSha?: string;
  sourceUrl?: string;
  metadataTemp: string;
  env: NodeJS.ProcessEnv;
  stderrIsTty: boolean;
}

export interface ImagePlan {
  build: BuildxBuild;
  argv: string[];
  push: boolean;
  tags: string[];
  /**
   * A tag naming the Nx task hash, in the registry when pushing, else in the engine. When the registry (or the
   * engine) already has it, the image of exactly these inputs exists and nothing is rebuilt; when it lost it, the
   * image is rebuilt (the image target is never replayed from Nx's cache).
   */
  hashTag?: string;
}

/** Turns validated executor options into one buildx build. Pure: no process, no filesystem. */
export function planImage(input: ImagePlanInput): ImagePlan {
  const { options } = input;
  const push = options.push ?? options.registry !== undefined;
  // Nx allows `@acme/Speech`; a repository name is lower case.
  const repository = dockerSafeName(input.project, 'image');
  const values: Record<string, string | undefined> = {
    registry: options.registry,
    project: repository,
    kind: options.kind,
    backend: options.backend,
    gitSha: input.gitSha?.slice(0, 12),
    taskHash: input.taskHash,
  };
  const tags = (options.tags ?? [DEFAULT_TAG_TEMPLATE]).map((template) => renderTag(template, values));
  const hashSuffix = input.taskHash && `${options.kind}-${options.backend}-nx${input.taskHash.slice(0, 20)}`;
  const hashTag = hashSuffix && `${push ? repositoryOf(tags[0]) : repository}:${hashSuffix}`;
  const cache =
    options.registry && !options.cacheFrom && !options.cacheTo
      ? registryCache(`${options.registry}/${repository}:buildcache-${options.kind}-${options.backend}`)
      : { cacheFrom: options.cacheFrom ?? [], cacheTo: options.cacheTo ?? [] };

  const build: BuildxBuild = {
    dockerfile: join(input.workspaceRoot, options.dockerfile),
    context: join(input.workspaceRoot, options.context),
    target: options.target,
    buildArgs: options.buildArgs,
    environmentBuildArgs: input.environmentBuildArgs,
    buildContexts:
      options.wheelsContext && options.wheelsDir
        ? { [options.wheelsContext]: join(input.workspaceRoot, options.wheelsDir) }
        : undefined,
    tags: hashTag ? [...tags, hashTag] : tags,
    labels: { ...imageLabels(input), ...options.labels },
    platforms: options.platforms,
    builder: options.builder,
    ...cache,
    secrets: options.secrets,
    progress: input.masksOutput ? 'plain' : (options.progress ?? defaultProgress(input.env, input.stderrIsTty)),
    output: push ? { type: 'push' } : { type: 'load' },
    metadataFile: input.metadataTemp,
    noCache: options.noCache,
    pull: options.pull,
  };
  return { build, argv: buildxBuildArgv(build), push, tags, hashTag };
}

/** OCI annotations plus the plugin's own, so an image says where, from what and for which backend it was built. */
function imageLabels(input: ImagePlanInput): Record<string, string> {
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': input.project,
    'io.nx-uv-cuda.backend': input.options.backend,
    'io.nx-uv-cuda.kind': input.options.kind,
    'io.nx-uv-cuda.stage': input.options.target ?? 'final',
  };
  if (input.gitSha) labels['org.opencontainers.image.revision'] = input.gitSha;
  if (input.sourceUrl) labels['org.opencontainers.image.source'] = input.sourceUrl;
  return labels;
}

/** `{registry}/{project}:{kind}-{backend}` → `127.0.0.1:5000/ml/ml-service:prod-cu124`; no registry drops the prefix. */
export function renderTag(template: string, values: Record<string, string | undefined>): string {
  const withoutRegistry = values.registry === undefined ? template.replace(/^\{registry\}\//, '') : template;
  const tag = withoutRegistry.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    if (!Object.hasOwn(values, name)) throw new PluginError('options', `unknown placeholder ${placeholder} in tag template "${template}"`);
    const value = values[name];
    if (value === undefined) throw new PluginError('options', `tag template "${template}" uses ${placeholder}, which is not known here`);
    return value;
  });
  if (!IMAGE_REFERENCE.test(tag)) {
    throw new PluginError('options', `tag "${tag}" (from "${template}") is not a valid image reference`);
  }
  return tag;
}
