// The two workspaces the graph benchmark compares: the plugin variant (nx.json registers nx-uv-cuda, no
// project.json) and the static variant (the same files, no plugin, a project.json per project holding what
// the plugin inferred for it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, NX_VERSION, nxBin } from '../../example-workspace.mjs';
import { writeServices } from './generate.mjs';

/**
 * No daemon, no Nx Cloud, no terminal UI; Nx settings that the caller's environment might carry and that would
 * change what is measured (plugin isolation, graph caching, logging) are removed, so Nx runs with its defaults.
 */
export const NX_ENV = {
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  CI: 'true',
  NX_ISOLATE_PLUGINS: undefined,
  NX_CACHE_PROJECT_GRAPH: undefined,
  NX_SKIP_NX_CACHE: undefined,
  NX_PERF_LOGGING: undefined,
  NX_VERBOSE_LOGGING: undefined,
  NX_WORKSPACE_DATA_DIRECTORY: undefined,
  NX_CACHE_DIRECTORY: undefined,
};

/** The environment of every nx process of the benchmark. */
export function nxEnv(extra = {}) {
  const env = { ...process.env, ...NX_ENV, ...extra };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return env;
}

/** Runs nx in `root` and returns stdout. */
export function nx(root, args, { timeout = 600_000, env = {} } = {}) {
  return execFileSync(process.execPath, [nxBin(root), ...args], {
    cwd: root,
    env: nxEnv(env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout,
    maxBuffer: 256 * 1024 * 1024,
  });
}

function writeJson(file, value) {
  // The static variant is a hard-link copy of the plugin variant: replace files, never write into them.
  rmSync(file, { force: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The plugin variant: services, libs, root package.json, nx.json with the plugin, a git repository.
 * @returns {{ root: string, bytes: number, files: number }}
 */
export function createPluginWorkspace({ repoRoot, installDir, services, libs, lockPackages }) {
  const root = mkdtempSync(join(tmpdir(), `nx-uv-cuda-bench-graph-${services}-plugin-`));
  const written = writeServices({ repoRoot, root, services, libs, lockPackages });
  writeJson(join(root, 'package.json'), { name: `bench-graph-${services}`, private: true, devDependencies: { nx: NX_VERSION } });
  writeJson(join(root, 'nx.json'), { plugins: [{ plugin: 'nx-uv-cuda', options: {} }] });
  writeFileSync(join(root, '.gitignore'), 'node_modules\ndist\n.nx\n');
  symlinkSync(join(installDir, 'node_modules'), join(root, 'node_modules'), 'dir');
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '-m', 'initial']);
  return { root, ...written };
}

/**
 * The static variant: a hard-link copy of the plugin variant (same bytes, same page cache, git history
 * included) whose nx.json has no plugin and whose projects each have a project.json with the targets,
 * tags, metadata and edges that the plugin inferred (from `nx graph --file` in the plugin variant).
 */
export function createStaticWorkspace({ pluginRoot, services, scratch }) {
  const root = mkdtempSync(join(tmpdir(), `nx-uv-cuda-bench-graph-${services}-static-`));
  rmSync(root, { recursive: true });
  execFileSync('cp', ['-al', pluginRoot, root], { stdio: 'pipe' });
  rmSync(join(root, '.nx'), { recursive: true, force: true });

  const graphFile = join(scratch, `graph-${services}-plugin.json`);
  nx(pluginRoot, ['graph', `--file=${graphFile}`]);
  const { graph } = JSON.parse(readFileSync(graphFile, 'utf8'));
  const written = staticProjectFiles(graph);
  for (const [projectRoot, config] of Object.entries(written)) writeJson(join(root, projectRoot, 'project.json'), config);
  writeJson(join(root, 'nx.json'), {});
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '-m', 'static project.json files instead of the plugin']);
  return { root, projects: Object.keys(written).length, graph };
}

/** project.json contents keyed by project root, from a project graph: what the plugin contributed. */
export function staticProjectFiles(graph) {
  const files = {};
  const edges = new Map();
  for (const [source, deps] of Object.entries(graph.dependencies)) {
    edges.set(
      source,
      deps.filter((dep) => graph.nodes[dep.target]).map((dep) => dep.target),
    );
  }
  for (const [name, node] of Object.entries(graph.nodes)) {
    const { root, targets, tags, metadata, projectType } = node.data;
    if (root === '.') continue;
    files[root] = {
      name,
      projectType,
      tags,
      metadata,
      implicitDependencies: [...new Set(edges.get(name) ?? [])].sort(),
      targets: Object.fromEntries(Object.entries(targets).map(([target, config]) => [target, withoutNxDefaults(config)])),
    };
  }
  return files;
}

/** A target as the plugin wrote it: without the defaults that Nx adds when it normalizes targets. */
function withoutNxDefaults(target) {
  const { configurations, parallelism, ...rest } = target;
  return {
    ...rest,
    ...(configurations && Object.keys(configurations).length > 0 ? { configurations } : {}),
    ...(parallelism === false ? { parallelism } : {}),
  };
}

/** Project names and edges of a graph, for comparing the two variants. */
export function graphSummary(graph) {
  const names = Object.keys(graph.nodes).sort();
  const edges = Object.entries(graph.dependencies)
    .flatMap(([source, deps]) => deps.filter((dep) => graph.nodes[dep.target]).map((dep) => `${source}>${dep.target}`))
    .sort();
  return { names, edges };
}
