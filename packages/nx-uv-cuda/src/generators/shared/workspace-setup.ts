import { posix } from 'node:path';
import { readNxJson, updateNxJson, visitNotIgnoredFiles, writeJson, type Tree } from '@nx/devkit';
import { globList, normalizePluginOptions, type NormalizedPluginOptions } from '../../config/plugin-options';
import { compareCodeUnits } from '../../core/compare';
import { treeFiles } from '../../core/file-source';
import { layeredBuildArgs } from '../../model/backends';
import { findDockerfiles } from '../../model/locate';
import { bestEffortProjectName, readProjectModel, type ProjectModel } from '../../model/project';
import { declaredBuildArgs, hasWheel } from '../../model/stages';
import type { PythonProjectInfo } from './python-project';

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
 * Dockerfile and the targets it gets, read with the plugin's own model (`nx show project <name>` shows all).
 */
export function summarizeWorkspace(tree: Tree): ProjectSummary[] {
  const files = treeFiles(tree);
  const options = summaryOptions(tree);
  const pyprojects: string[] = [];
  visitNotIgnoredFiles(tree, '.', (file) => {
    if (posix.basename(file) === 'pyproject.toml') pyprojects.push(file);
  });
  const known = new Set(pyprojects);
  return pyprojects.sort(compareCodeUnits).flatMap((file) => {
    const root = posix.dirname(file);
    const where = (name: string) => `${name} (${root === '.' ? 'workspace root' : root})`;
    try {
      const project = readProjectModel(files, file, options, (candidate) => known.has(candidate));
      return project ? [{ name: project.name, root, line: `${where(project.name)}: ${describeProject(project)}` }] : [];
    } catch (error) {
      const name = bestEffortProjectName(files, file);
      return [{ name, root, line: `${where(name)}: cannot be read: ${(error as Error).message}` }];
    }
  });
}

/** Invalid plugin options are the plugin's to report (it fails the graph); the summary then uses the defaults. */
function summaryOptions(tree: Tree): NormalizedPluginOptions {
  try {
    return normalizePluginOptions(registeredPluginOptions(tree) ?? {});
  } catch {
    return normalizePluginOptions({});
  }
}

/** `backends cu124, cu128; docker/Dockerfile: images dev, prod and the flash-attn wheel` (from the model). */
function describeProject(project: ProjectModel): string {
  const backends = project.backends.map((backend) => backend.name);
  const backendText = `backend${backends.length === 1 ? '' : 's'} ${backends.join(', ')}`;
  if (project.dockerfiles.length === 0) {
    const names = project.targetNames;
    return `${backendText}; no Dockerfile builds it: ${names.lock}, ${names.lockCheck}`;
  }
  const dockerfiles = project.dockerfiles.map((dockerfile) => {
    const model = dockerfile.model;
    const withWheel = project.backends.some((backend) =>
      hasWheel(model, project.stages.wheelBuild, declaredBuildArgs(model, layeredBuildArgs(backend))),
    );
    const images = dockerfile.images.map((image) => (image.kind === 'image' ? image.part : image.kind));
    return `${dockerfile.file}: image${images.length === 1 ? '' : 's'} ${images.join(', ')}${withWheel ? ` and the ${project.wheelPackage} wheel` : ''}`;
  });
  return `${backendText}; ${dockerfiles.join('; ')}`;
}

/** The plugin's rule, on the Tree: which Dockerfiles build the project. */
export function chosenDockerfiles(tree: Tree, project: PythonProjectInfo): string[] {
  const options = summaryOptions(tree);
  const globs = project.config.dockerfile ? globList(project.config.dockerfile) : options.dockerfile;
  return findDockerfiles(treeFiles(tree), project.root, globs);
}
