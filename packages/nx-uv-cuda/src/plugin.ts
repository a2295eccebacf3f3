import { posix } from 'node:path';
import type {
  CreateDependencies,
  CreateNodes,
  CreateNodesResult,
  ProjectConfiguration,
  RawProjectGraphDependency,
} from '@nx/devkit';
// nx's own exports rather than @nx/devkit's, which also load the generator utilities: graph computation
// loads this module in a worker every time, so it stays small; inference itself is loaded on a cache miss.
import { DependencyType, logger } from 'nx/src/devkit-exports';
import { hashMultiGlobWithWorkspaceContext, hashObject, workspaceDataDirectory } from 'nx/src/devkit-internals';
import type { PluginOptions } from './config/plugin-options';
import { ancestorDirs } from './core/paths';
import { pluginVersion } from './core/plugin-version';
import { InferenceCache } from './inference/inference-cache';

const PYPROJECT_GLOB = '**/pyproject.toml';
const caches = new Map<string, InferenceCache>();

export const createNodes: CreateNodes<PluginOptions> = [
  PYPROJECT_GLOB,
  async (pyprojectFiles, rawOptions, context) => {
    const cache = cacheFor(rawOptions, context.workspaceRoot);
    const hashes = await hashMultiGlobWithWorkspaceContext(
      context.workspaceRoot,
      pyprojectFiles.map((file) => filesReadFor(file, rawOptions)),
    );
    const known = new Set(pyprojectFiles);
    const results: Array<readonly [string, CreateNodesResult]> = [];
    const add = (file: string, node: ProjectConfiguration) => results.push([file, { projects: { [node.root]: node } }]);

    for (const [index, file] of pyprojectFiles.entries()) {
      const cached = cache.get(file, hashes[index]);
      if (cached) {
        if (cached.node) add(file, cached.node);
        continue;
      }
      const { inferProject } = await import('./inference/infer-project.js');
      const isPyprojectFile = (candidate: string) => known.has(candidate);
      const outcome = inferProject(context.workspaceRoot, file, rawOptions, isPyprojectFile, cache.previous(file)?.node);
      for (const warning of outcome.warnings) warnOnce(warning);
      if ('project' in outcome) {
        cache.set(file, hashes[index], outcome.project);
        if (outcome.project.node) add(file, outcome.project.node);
      } else {
        // The last good entry stays (not served, its hash differs): it keeps the broken project's targets.
        logger.warn(`nx-uv-cuda: ${outcome.error.message}`);
        if (outcome.placeholder) add(file, outcome.placeholder);
      }
    }
    cache.retainOnly(pyprojectFiles);
    cache.save();
    return results;
  },
];

/** Nx 21–24 look for `createNodesV2`; both names export the same implementation. */
export const createNodesV2 = createNodes;

/**
 * The files whose content decides a project's inference: everything under its root (pyproject.toml,
 * Dockerfiles, .dockerignore, prod/, project.json), any uv.lock above it (whether one exists picks the lock),
 * any .dockerignore above it (the build context is usually the governing lock's folder) and the parent's
 * pyproject.toml (whether a `prod/` manifest belongs to a service).
 */
function filesReadFor(pyprojectFile: string, rawOptions: PluginOptions | undefined): string[] {
  const root = posix.dirname(pyprojectFile);
  const above = ancestorDirs(root).slice(1);
  const globs = [
    posix.join(root, '**/*'),
    ...above.flatMap((dir) => [posix.join(dir, 'uv.lock'), posix.join(dir, '.dockerignore')]),
    ...above.slice(0, 1).map((dir) => posix.join(dir, 'pyproject.toml')),
  ];
  if (typeof rawOptions?.context === 'string') globs.push(posix.join(root, rawOptions.context, '.dockerignore'));
  return globs;
}

/**
 * One cache per plugin version and options as written in nx.json (an upgrade never replays old targets or
 * edges); invalid options never reach it (inference throws first).
 */
function cacheFor(rawOptions: PluginOptions | undefined, workspaceRoot: string): InferenceCache {
  const key = hashObject({ version: pluginVersion(), options: rawOptions ?? {} });
  let cache = caches.get(key);
  if (!cache) {
    cache = new InferenceCache({
      dir: workspaceDataDirectory ?? posix.join(workspaceRoot, '.nx', 'workspace-data'),
      key,
      enabled: process.env.NX_CACHE_PROJECT_GRAPH !== 'false',
      onWriteError: (error) => logger.warn(`nx-uv-cuda: cannot write the inference cache (${error.message}): inferring without it`),
    });
    caches.set(key, cache);
  }
  return cache;
}

/** Deprecation notices once per process: a daemon recomputing the graph does not repeat them. */
const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  logger.warn(`nx-uv-cuda: ${message}`);
}

/**
 * Static edges: a project depends on the workspace projects its pyproject.toml names as uv sources
 * (`{ workspace = true }` or `{ path = ... }`), and on the projects whose folders its Dockerfile copies.
 */
export const createDependencies: CreateDependencies<PluginOptions> = (rawOptions, context) => {
  const cache = cacheFor(rawOptions, context.workspaceRoot);
  const rootToName = new Map(Object.entries(context.projects).map(([name, config]) => [config.root, name]));
  const inferred = cache.projects();
  const pythonNameToProject = new Map(
    inferred.flatMap(({ node, hints }) => (node && hints ? [[hints.pythonName, node.name ?? ''] as const] : [])),
  );
  const dependencies: RawProjectGraphDependency[] = [];
  const seen = new Set<string>();
  const add = (source: string | undefined, target: string | undefined, sourceFile: string) => {
    const key = `${source}>${target}`;
    if (!source || !target || source === target || seen.has(key)) return;
    seen.add(key);
    dependencies.push({ source, target, sourceFile, type: DependencyType.static });
  };

  for (const { node, hints } of inferred) {
    if (!node || !hints) continue;
    const source = rootToName.get(node.root);
    for (const name of hints.workspaceSources) add(source, pythonNameToProject.get(name), hints.pyprojectFile);
    for (const path of hints.pathSources) add(source, rootToName.get(path), hints.pyprojectFile);
    if (hints.dockerfile) {
      for (const path of hints.dockerfileContextPaths) {
        add(source, projectContaining(path, rootToName), hints.dockerfile);
      }
    }
  }
  return dependencies;
};

/** The project whose root holds `path` (the deepest one); the workspace root project does not count. */
function projectContaining(path: string, rootToName: Map<string, string>): string | undefined {
  const dir = ancestorDirs(posix.normalize(path)).find((candidate) => candidate !== '.' && rootToName.has(candidate));
  return dir ? rootToName.get(dir) : undefined;
}
