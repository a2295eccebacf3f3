import { posix } from 'node:path';
import {
  DependencyType,
  logger,
  type CreateDependencies,
  type CreateNodes,
  type CreateNodesContext,
  type CreateNodesResult,
  type RawProjectGraphDependency,
} from '@nx/devkit';
import { hashMultiGlobWithWorkspaceContext, hashObject } from 'nx/src/devkit-internals';
import { brokenProject } from './inference/broken-project';
import { InferenceCache, type CachedProject } from './inference/inference-cache';
import { ancestorDirs } from './inference/locate';
import { normalizePluginOptions, type NormalizedPluginOptions } from './inference/normalize-options';
import { readProject } from './inference/read-project';
import { inferTargets } from './inference/targets';
import type { PluginOptions } from './config/plugin-options';

const PYPROJECT_GLOB = '**/pyproject.toml';
const caches = new Map<string, InferenceCache>();

export const createNodes: CreateNodes<PluginOptions> = [
  PYPROJECT_GLOB,
  async (pyprojectFiles, rawOptions, context) => {
    const options = normalizePluginOptions(rawOptions);
    const cache = cacheFor(options, context.workspaceRoot);
    const hashes = await hashMultiGlobWithWorkspaceContext(
      context.workspaceRoot,
      pyprojectFiles.map((file) => filesReadFor(file, options)),
    );
    const known = new Set(pyprojectFiles);
    const results: Array<readonly [string, CreateNodesResult]> = [];

    pyprojectFiles.forEach((file, index) => {
      try {
        const cached = cache.get(file, hashes[index]) ?? cache.set(file, hashes[index], inferProject(file, options, context, known));
        if (cached.node) results.push([file, { projects: { [cached.node.root]: cached.node } }]);
      } catch (caught) {
        // One broken project must not break the graph of the others: report it, keep it visible, go on.
        const error = caught instanceof Error ? caught : new Error(String(caught));
        cache.delete(file);
        logger.warn(`nx-uv-cuda: ${error.message}`);
        if (posix.dirname(file) !== '.') {
          const node = brokenProject(context.workspaceRoot, file, error, options);
          results.push([file, { projects: { [node.root]: node } }]);
        }
      }
    });
    cache.retainOnly(pyprojectFiles);
    cache.save();
    return results;
  },
];

/** Nx 21–24 look for `createNodesV2`; both names export the same implementation. */
export const createNodesV2 = createNodes;

function inferProject(
  file: string,
  options: NormalizedPluginOptions,
  context: CreateNodesContext,
  known: Set<string>,
): CachedProject {
  const project = readProject(context.workspaceRoot, file, options, (candidate) => known.has(candidate));
  if (!project) return {};
  const { facts, hints } = project;
  return {
    node: {
      root: facts.root,
      name: facts.name,
      projectType: 'application',
      tags: ['python', 'nx-uv-cuda'],
      targets: inferTargets(facts),
      metadata: {
        technologies: ['python', 'uv', 'docker', 'cuda'],
        description: `uv project ${hints.pythonName}; backends: ${facts.backends.map((b) => b.name).join(', ')}`,
      },
    },
    hints,
  };
}

/**
 * The files whose content decides a project's inference: everything under its root (pyproject.toml,
 * Dockerfiles, .dockerignore, prod/, project.json), any uv.lock above it (whether one exists picks the lock)
 * and any .dockerignore above it (the build context is usually the governing lock's folder).
 */
function filesReadFor(pyprojectFile: string, options: NormalizedPluginOptions): string[] {
  const root = posix.dirname(pyprojectFile);
  const above = ancestorDirs(root).slice(1);
  const globs = [
    posix.join(root, '**/*'),
    ...above.flatMap((dir) => [posix.join(dir, 'uv.lock'), posix.join(dir, '.dockerignore')]),
  ];
  if (options.context) globs.push(posix.join(root, options.context, '.dockerignore'));
  return globs;
}

function cacheFor(options: NormalizedPluginOptions, workspaceRoot: string): InferenceCache {
  const key = hashObject(options);
  let cache = caches.get(key);
  if (!cache) {
    cache = new InferenceCache(workspaceRoot, key);
    caches.set(key, cache);
  }
  return cache;
}

/**
 * Static edges: a project depends on the workspace projects its pyproject.toml names as uv sources
 * (`{ workspace = true }` or `{ path = ... }`), and on the projects whose folders its Dockerfile copies.
 */
export const createDependencies: CreateDependencies<PluginOptions> = (rawOptions, context) => {
  const options = normalizePluginOptions(rawOptions);
  const cache = cacheFor(options, context.workspaceRoot);
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
