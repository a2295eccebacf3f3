import { posix } from 'node:path';
import { readNxJson, updateNxJson, visitNotIgnoredFiles, writeJson, type Tree } from '@nx/devkit';
import { minimatch } from 'minimatch';
import { DEFAULT_DOCKERFILE_GLOBS, targetNamesSchema } from '../../config/plugin-options';
import { parseDockerfile, resolveStageRef } from '../../docker/dockerfile-model';
import { findPythonProjects, type PythonProjectInfo } from './python-project';

export const PLUGIN_NAME = 'nx-uv-cuda';

type PluginEntry = string | { plugin: string; options?: unknown; include?: string[]; exclude?: string[] };

/** Whether an nx.json `plugins` entry is this plugin: by name or through its `./plugin` entry point. */
export function isThisPlugin(entry: PluginEntry): boolean {
  const name = typeof entry === 'string' ? entry : entry?.plugin;
  return name === PLUGIN_NAME || name === `${PLUGIN_NAME}/plugin`;
}

/** The plugin's options as nx.json gives them (the first registration), or undefined when it is not registered. */
export function registeredPluginOptions(tree: Tree): Record<string, unknown> | undefined {
  const entry = (readNxJson(tree)?.plugins ?? []).find((candidate) => isThisPlugin(candidate as PluginEntry));
  if (entry === undefined) return undefined;
  const options = typeof entry === 'string' ? undefined : entry.options;
  return options !== null && typeof options === 'object' ? (options as Record<string, unknown>) : {};
}

/**
 * Adds the plugin to nx.json's `plugins` unless it is there already, as a string or as an object, under
 * its name or its `./plugin` entry point. Returns whether nx.json changed.
 */
export function registerPlugin(tree: Tree, options: { registry?: string } = {}): boolean {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  if (plugins.some((entry) => isThisPlugin(entry as PluginEntry))) return false;
  const entry = options.registry ? { plugin: PLUGIN_NAME, options: { registry: options.registry } } : PLUGIN_NAME;
  const updated = { ...nxJson, plugins: [...plugins, entry] };
  // updateNxJson only rewrites an existing nx.json.
  if (tree.exists('nx.json')) updateNxJson(tree, updated);
  else writeJson(tree, 'nx.json', updated);
  return true;
}

/** What .gitignore must keep out: the plugin's outputs and Nx's local cache and workspace data. */
const IGNORED = [
  { line: 'dist', covers: ['dist'] },
  { line: '.nx/cache', covers: ['.nx', '.nx/cache'] },
  { line: '.nx/workspace-data', covers: ['.nx', '.nx/workspace-data'] },
];

/** Appends the missing entries to .gitignore (creating it); returns the lines added. */
export function ensureGitignore(tree: Tree): string[] {
  const text = tree.read('.gitignore', 'utf-8') ?? '';
  const present = new Set(
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
      .map((line) => line.replace(/^\/+/, '').replace(/\/+(\*\*?)?$/, '')),
  );
  const missing = IGNORED.filter(({ covers }) => !covers.some((path) => present.has(path))).map(({ line }) => line);
  if (missing.length === 0) return [];
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  const block = `${text === '' ? '' : '\n'}# Nx: build outputs (images metadata, wheels, lock slices) and the local cache\n${missing.join('\n')}\n`;
  tree.write('.gitignore', `${text}${separator}${block}`);
  return missing;
}

/** One line per Python project: what the plugin will make of it. */
export interface ProjectSummary {
  name: string;
  root: string;
  line: string;
}

/**
 * What the plugin infers from the workspace as the Tree holds it: each Python project, its backends, its
 * Dockerfile and the targets it gets. An estimate from the files (the plugin's own inference decides);
 * `nx show project <name>` shows the real thing.
 */
export function summarizeWorkspace(tree: Tree): ProjectSummary[] {
  const pluginOptions = registeredPluginOptions(tree) ?? {};
  // Invalid target names are the plugin's to report; the summary then uses the defaults.
  const renamed = targetNamesSchema.safeParse({ ...(pluginOptions.targetNames as object | undefined) });
  const names = renamed.success ? renamed.data : targetNamesSchema.parse({});
  const projects = findPythonProjects(tree, (visitor) => visitNotIgnoredFiles(tree, '.', visitor));
  return projects.flatMap((project) => {
    if (project.nxUvCuda.enabled === false) return [];
    const name = project.normalizedName!;
    const where = `${name} (${project.root === '.' ? 'workspace root' : project.root})`;
    try {
      return [{ name, root: project.root, line: `${where}: ${describeProject(tree, project, pluginOptions, names)}` }];
    } catch (error) {
      return [{ name, root: project.root, line: `${where}: cannot be read: ${(error as Error).message}` }];
    }
  });
}

function describeProject(
  tree: Tree,
  project: PythonProjectInfo,
  pluginOptions: Record<string, unknown>,
  names: ReturnType<typeof targetNamesSchema.parse>,
): string {
  const dockerfile = findDockerfileInTree(tree, project, pluginOptions);
  if (dockerfile === undefined) return `no Dockerfile: ${names.lock}, ${names.lockCheck}`;
  const backends = backendsOf(project, pluginOptions);
  const model = parseDockerfile(tree.read(dockerfile, 'utf-8') ?? '', dockerfile);
  const wheelStage = stageOption(project, pluginOptions, 'wheel') ?? 'wheel-prod';
  const flashDefault = [...model.globalArgs, ...model.stages.flatMap((stage) => stage.args)].find(
    (arg) => arg.name === 'FLASH_ATTN_VERSION',
  )?.defaultValue;
  const hasWheel = resolveStageRef(model, wheelStage) !== undefined && flashDefault !== 'none';
  const keys = (names as Record<string, string>).keys;
  const perBackend = [
    names.lockSlice,
    ...(keys ? [keys] : []),
    ...(hasWheel ? [names.wheel] : []),
    names.imageDev,
    names.imageProd,
    names.smoke,
  ];
  const backendText = backends ? `backends ${backends.join(', ')}` : 'one backend (named after CUDA_VERSION)';
  return `${backendText}; ${dockerfile}: ${perBackend.map((target) => `${target}-<backend>`).join(', ')}, and ${names.image}`;
}

function backendsOf(project: PythonProjectInfo, pluginOptions: Record<string, unknown>): string[] | undefined {
  const fromList = (value: unknown) =>
    Array.isArray(value) ? value.map(String) : value && typeof value === 'object' ? Object.keys(value) : undefined;
  const own = fromList(project.nxUvCuda.backends);
  if (own && own.length > 0) return own;
  if (project.backendExtras.length > 0) return project.backendExtras;
  const workspace = fromList(pluginOptions.backends);
  return workspace && workspace.length > 0 ? workspace : undefined;
}

function stageOption(project: PythonProjectInfo, pluginOptions: Record<string, unknown>, key: string): string | undefined {
  const own = project.nxUvCuda.stages as Record<string, unknown> | undefined;
  const workspace = pluginOptions.stages as Record<string, unknown> | undefined;
  const value = own?.[key] ?? workspace?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** The plugin's rule, on the Tree: the first glob that matches a file (name order within a glob), no `.dockerignore`. */
export function findDockerfileInTree(
  tree: Tree,
  project: PythonProjectInfo,
  pluginOptions: Record<string, unknown> = {},
): string | undefined {
  const setting = project.nxUvCuda.dockerfile ?? pluginOptions.dockerfile ?? DEFAULT_DOCKERFILE_GLOBS;
  const globs = (Array.isArray(setting) ? setting : [setting]).map(String);
  for (const glob of globs) {
    const dir = posix.dirname(glob);
    const folder = posix.join(project.root, dir);
    const match = tree
      .children(folder)
      .filter((name) => tree.isFile(posix.join(folder, name)))
      .map((name) => posix.join(dir, name))
      .filter((path) => minimatch(path, posix.normalize(glob), { dot: true }) && !path.endsWith('.dockerignore'))
      .sort()[0];
    if (match) return posix.join(project.root, match);
  }
  return undefined;
}
