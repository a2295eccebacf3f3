import { posix } from 'node:path';
import type {
  CreateDependencies,
  CreateNodes,
  CreateNodesResult,
  ProjectConfiguration,
  RawProjectGraphDependency,
} from '@nx/devkit';
// The modules behind nx's devkit facades rather than the facades (or @nx/devkit, which also loads the generator
// utilities): graph computation loads this module in a plugin worker every time, and the facades cost ~80 ms more
// to load. These paths exist in every nx of the peer range (22–24). Inference itself loads on a cache miss.
import { DependencyType } from 'nx/src/config/project-graph';
import { hashObject } from 'nx/src/hasher/file-hasher';
import { workspaceDataDirectory } from 'nx/src/utils/cache-directory';
import { logger } from 'nx/src/utils/logger';
import { hashMultiGlobWithWorkspaceContext } from 'nx/src/utils/workspace-context';
import type { PluginOptions } from './config/plugin-options';
import { compareCodeUnits } from './core/compare';
import { ancestorDirs } from './core/paths';
import { pluginVersion } from './core/plugin-version';
import { slug } from './core/slug';
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
    const found: Array<[string, ProjectConfiguration]> = [];
    const add = (file: string, node: ProjectConfiguration) => found.push([file, node]);

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
    const named = disambiguateNames(found.map(([, node]) => node));
    return found.map(([file], index): readonly [string, CreateNodesResult] => [
      file,
      { projects: { [named[index].root]: named[index] } },
    ]);
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
 * Two projects of one name would fail the whole graph (Nx refuses duplicates). The one nearest the workspace root
 * (then the first in path order) keeps the name; each other one is renamed `<name>-<its root, slugged>`, which
 * depends only on its own path, so names stay stable as projects come and go. Said once per process.
 */
function disambiguateNames(nodes: ProjectConfiguration[]): ProjectConfiguration[] {
  const byName = new Map<string, ProjectConfiguration[]>();
  for (const node of nodes) if (node.name) byName.set(node.name, [...(byName.get(node.name) ?? []), node]);
  const renamed = new Map<ProjectConfiguration, string>();
  for (const [name, same] of byName) {
    if (same.length < 2) continue;
    const depth = (node: ProjectConfiguration) => (node.root === '.' ? 0 : node.root.split('/').length);
    const [keeper, ...others] = [...same].sort((a, b) => depth(a) - depth(b) || compareCodeUnits(a.root, b.root));
    for (const node of others) renamed.set(node, `${name}-${slug(node.root)}`);
    warnOnce(
      `${same.length} projects are named "${name}" (${same.map((node) => node.root).join(', ')}): ${keeper.root} keeps ` +
        `the name, ${others.map((node) => `${node.root} is ${renamed.get(node)}`).join(', ')}; a project.json name chooses otherwise`,
    );
  }
  // Copies: the nodes are the inference cache's own objects.
  return nodes.map((node) => (renamed.has(node) ? { ...node, name: renamed.get(node) } : node));
}

/**
 * Static edges: a project depends on the workspace projects its pyproject.toml names as uv sources
 * (`{ workspace = true }` or `{ path = ... }`), and on the projects whose folders its Dockerfile copies.
 */
export const createDependencies: CreateDependencies<PluginOptions> = (rawOptions, context) => {
  const cache = cacheFor(rawOptions, context.workspaceRoot);
  const rootToName = new Map(Object.entries(context.projects).map(([name, config]) => [config.root, name]));
  const inferred = cache.projects();
  // A `{ workspace = true }` source names a member of the same uv workspace: the project of that name under the
  // same uv.lock (two projects may share a Python name elsewhere in the repository).
  const byPythonName = new Map<string, Array<{ name?: string; lockFile: string }>>();
  for (const { node, hints } of inferred) {
    if (!node || !hints) continue;
    byPythonName.set(hints.pythonName, [...(byPythonName.get(hints.pythonName) ?? []), { name: rootToName.get(node.root), lockFile: hints.lockFile }]);
  }
  const memberNamed = (pythonName: string, lockFile: string) => {
    const candidates = byPythonName.get(pythonName) ?? [];
    const sameLock = candidates.filter((candidate) => candidate.lockFile === lockFile);
    return (sameLock.length === 1 ? sameLock[0] : candidates.length === 1 ? candidates[0] : undefined)?.name;
  };
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
    for (const name of hints.workspaceSources) add(source, memberNamed(name, hints.lockFile), hints.pyprojectFile);
    for (const path of hints.pathSources) add(source, rootToName.get(path), hints.pyprojectFile);
    for (const dockerfile of hints.dockerfiles) {
      for (const path of dockerfile.contextPaths) add(source, projectContaining(path, rootToName), dockerfile.file);
    }
  }
  return dependencies;
};

/** The project whose root holds `path` (the deepest one); the workspace root project does not count. */
function projectContaining(path: string, rootToName: Map<string, string>): string | undefined {
  const dir = ancestorDirs(posix.normalize(path)).find((candidate) => candidate !== '.' && rootToName.has(candidate));
  return dir ? rootToName.get(dir) : undefined;
}
