import { posix } from 'node:path';
import type { Tree } from '@nx/devkit';
import { minimatch } from 'minimatch';
import { parse as parseToml, TomlError } from 'smol-toml';
import { isBackendExtra } from '../../inference/backends';
import { ancestorDirs } from '../../inference/paths';
import { normalizeName } from '../../python/names';
import { GeneratorOptionsError } from './options';

/** What the generators need to know about an existing pyproject.toml (read from the Tree, not the disk). */
export interface PythonProjectInfo {
  root: string;
  pyprojectFile: string;
  /** `[project].name` as written; undefined for a virtual uv workspace root. */
  name?: string;
  normalizedName?: string;
  requiresPython?: string;
  /** `[project.optional-dependencies]` keys that name a backend (cu124, cpu, ...). */
  backendExtras: string[];
  /** `[dependency-groups]` keys, normalized. */
  groups: string[];
  /** The flash-attn requirement, when a dependency or an extra lists one, e.g. `flash-attn==2.8.3`. */
  flashAttnRequirement?: string;
  /** The file `[project].readme` names, when it is a file path. */
  readmeFile?: string;
  /** `[tool.uv.workspace]` member and exclude globs, when this file is a uv workspace root. */
  uvWorkspace?: { members: string[]; exclude: string[] };
  /** `[tool.nx-uv-cuda]` as written (kebab-case keys). */
  nxUvCuda: Record<string, unknown>;
  /** `[tool.uv.sources]` entries that are local projects: `{ workspace = true }` (by name) or `{ path = ... }`. */
  localSources: { name: string; path?: string }[];
}

type Table = Record<string, unknown>;

export function readTomlFile(tree: Tree, file: string): Table {
  const text = tree.read(file, 'utf-8');
  if (text === null) throw new GeneratorOptionsError(`${file} does not exist`);
  try {
    return parseToml(text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      throw new GeneratorOptionsError(`${file}:${error.line}:${error.column}: invalid TOML: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
}

export function readPythonProject(tree: Tree, root: string): PythonProjectInfo {
  const pyprojectFile = posix.join(root, 'pyproject.toml');
  const data = readTomlFile(tree, pyprojectFile);
  const project = table(data.project);
  const tool = table(data.tool);
  const uv = table(tool.uv);
  const optional = table(project['optional-dependencies']);
  const requirements = [...strings(project.dependencies), ...Object.values(optional).flatMap(strings)];
  const flashAttn = requirements.find((requirement) => /^flash[-_.]attn\b/i.test(requirement.trim()));
  const workspace = uv.workspace === undefined ? undefined : table(uv.workspace);
  const name = typeof project.name === 'string' ? project.name : undefined;
  return {
    root,
    pyprojectFile,
    name,
    normalizedName: name === undefined ? undefined : normalizeName(name),
    requiresPython: typeof project['requires-python'] === 'string' ? project['requires-python'] : undefined,
    backendExtras: Object.keys(optional).filter(isBackendExtra),
    groups: Object.keys(table(data['dependency-groups'])).map(normalizeName),
    flashAttnRequirement: flashAttn?.trim(),
    readmeFile: typeof project.readme === 'string' ? project.readme : undefined,
    uvWorkspace: workspace && { members: strings(workspace.members), exclude: strings(workspace.exclude) },
    nxUvCuda: table(tool['nx-uv-cuda']),
    localSources: localSources(table(uv.sources)),
  };
}

function localSources(sources: Table): { name: string; path?: string }[] {
  return Object.entries(sources).flatMap(([name, value]) => {
    const entries = (Array.isArray(value) ? value : [value]).map(table);
    const workspace = entries.some((entry) => entry.workspace === true);
    const path = entries.map((entry) => entry.path).find((candidate): candidate is string => typeof candidate === 'string');
    if (workspace) return [{ name: normalizeName(name) }];
    return path === undefined ? [] : [{ name: normalizeName(name), path }];
  });
}

/** `flash-attn==2.8.3` → `2.8.3`; undefined for a range or no pin. */
export function pinnedVersion(requirement: string | undefined): string | undefined {
  return requirement ? /==\s*([0-9][0-9A-Za-z.+!-]*)\s*(;.*)?$/.exec(requirement)?.[1] : undefined;
}

/** `>=3.11` or `>=3.11,<3.14` → `3.11`. */
export function lowestPython(requiresPython: string | undefined): string | undefined {
  return requiresPython ? /(?:>=|==|~=)\s*(3\.\d+)/.exec(requiresPython)?.[1] : undefined;
}

/** How the project sits in uv's world, which decides the build context and the paths the Dockerfile uses. */
export interface UvLayout {
  projectRoot: string;
  /** The folder of the uv.lock that governs the project (`.` is the workspace root): the build context. */
  lockDir: string;
  /** Set when the project is a member of the uv workspace rooted there (then lockDir is that root). */
  uvWorkspaceRoot?: string;
  /** The project folder relative to the build context, with a trailing slash; '' when it is the context. */
  pathInContext: string;
  /** Things the user should know, each one sentence. */
  notes: string[];
}

/**
 * The lock that governs `projectRoot`, as uv sees it: the uv workspace's when the project is one of its
 * members (whether or not `uv lock` ran yet), else the project's own.
 */
export function uvLayoutFor(tree: Tree, projectRoot: string): UvLayout {
  const notes: string[] = [];
  const rootDir = projectRoot === '' ? '.' : projectRoot;
  const workspaceDir = ancestorDirs(rootDir)
    .slice(1)
    .find((dir) => {
      const file = posix.join(dir, 'pyproject.toml');
      return tree.exists(file) && isUvWorkspaceRoot(tree, file);
    });

  let lockDir = rootDir;
  let uvWorkspaceRoot: string | undefined;
  if (workspaceDir !== undefined) {
    const workspace = readPythonProject(tree, workspaceDir).uvWorkspace!;
    const relative = posix.relative(workspaceDir, rootDir);
    const matches = (globs: string[]) => globs.some((glob) => minimatch(relative, posix.normalize(glob)));
    if (matches(workspace.members) && !matches(workspace.exclude)) {
      lockDir = workspaceDir;
      uvWorkspaceRoot = workspaceDir;
    } else {
      notes.push(
        `${rootDir} lies inside the uv workspace rooted at ${workspaceDir} but is not one of its members: ` +
          `it gets its own uv.lock; add "${relative}" to [tool.uv.workspace].exclude in ${posix.join(workspaceDir, 'pyproject.toml')} ` +
          'to say so to uv as well',
      );
    }
  }
  const strayLock = ancestorDirs(rootDir)
    .slice(1)
    .find((dir) => tree.exists(posix.join(dir, 'uv.lock')));
  if (uvWorkspaceRoot === undefined && strayLock !== undefined && !tree.exists(posix.join(rootDir, 'uv.lock'))) {
    notes.push(
      `until ${posix.join(rootDir, 'uv.lock')} exists, nx-uv-cuda takes ${posix.join(strayLock, 'uv.lock')} as the ` +
        `project's lock (and its folder as the build context): run \`uv lock\` in ${rootDir} first`,
    );
  }
  const pathInContext = posix.relative(lockDir, rootDir);
  return { projectRoot: rootDir, lockDir, uvWorkspaceRoot, pathInContext: pathInContext ? `${pathInContext}/` : '', notes };
}

function isUvWorkspaceRoot(tree: Tree, file: string): boolean {
  const uv = table(table(readTomlFile(tree, file).tool).uv);
  return uv.workspace !== undefined;
}

/** Every folder of the Tree holding a pyproject.toml with a `[project]` name, except seed-layout prod manifests. */
export function findPythonProjects(tree: Tree, visit: (visitor: (file: string) => void) => void): PythonProjectInfo[] {
  const files: string[] = [];
  visit((file) => {
    if (posix.basename(file) === 'pyproject.toml') files.push(file);
  });
  const known = new Set(files);
  return files
    .filter((file) => {
      const dir = posix.dirname(file);
      const isProdManifest = posix.basename(dir) === 'prod' && known.has(posix.join(posix.dirname(dir), 'pyproject.toml'));
      return !isProdManifest;
    })
    .flatMap((file) => {
      try {
        const info = readPythonProject(tree, posix.dirname(file));
        return info.name ? [info] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.root.localeCompare(b.root));
}

function table(value: unknown): Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Table) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
