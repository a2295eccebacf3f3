import { posix } from 'node:path';
import type { Tree } from '@nx/devkit';
import { minimatch } from 'minimatch';
import type { ProjectConfig } from '../../config/project-config';
import { compareCodeUnits } from '../../core/compare';
import { PluginError } from '../../core/errors';
import { treeFiles } from '../../core/file-source';
import { ancestorDirs } from '../../core/paths';
import { isAcceleratorName } from '../../model/backends';
import { explicitProjectName, isProdManifest, localSources, type LocalSources } from '../../model/project';
import { parsePyproject, type PyProject } from '../../python/pyproject';

/** What the generators need to know about an existing pyproject.toml (read from the Tree, not the disk). */
export interface PythonProjectInfo {
  root: string;
  pyprojectFile: string;
  pyproject: PyProject;
  /** `[project].name` as written; undefined for a virtual uv workspace root. */
  name?: string;
  normalizedName?: string;
  /** The Nx name: project.json's or package.json's, else the normalized `[project].name`. */
  projectName?: string;
  /** `[project.optional-dependencies]` keys that name a backend (cu124, cpu, ...). */
  backendExtras: string[];
  /** The flash-attn requirement, when a dependency or an extra lists one, e.g. `flash-attn==2.8.3`. */
  flashAttnRequirement?: string;
  config: ProjectConfig;
  /** Local projects it installs: `{ workspace = true }` sources by name, `{ path = ... }` sources by folder. */
  localSources: LocalSources;
}

/** Reads `<root>/pyproject.toml` from the Tree with the plugin's own reader (so both apply the same rules). */
export function readPythonProject(tree: Tree, root: string): PythonProjectInfo {
  const pyprojectFile = posix.join(root, 'pyproject.toml');
  const text = tree.read(pyprojectFile, 'utf-8');
  if (text === null) throw new PluginError('options', `${pyprojectFile} does not exist`, { file: pyprojectFile });
  const pyproject = parsePyproject(text, pyprojectFile);
  const name = pyproject.name === undefined ? undefined : (explicitProjectName(treeFiles(tree), root) ?? pyproject.name);
  return {
    root,
    pyprojectFile,
    pyproject,
    name: pyproject.displayName,
    normalizedName: pyproject.name,
    projectName: name,
    backendExtras: pyproject.optionalDependencyNames.filter(isAcceleratorName),
    flashAttnRequirement: pyproject.requirements.find((requirement) => /^flash[-_.]attn\b/i.test(requirement.trim()))?.trim(),
    config: pyproject.config,
    localSources: localSources({ root, pyproject }),
  };
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
    const workspace = readPythonProject(tree, workspaceDir).pyproject.uvWorkspace!;
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
  return readPythonProject(tree, posix.dirname(file)).pyproject.uvWorkspace !== undefined;
}

/** Every folder of the Tree holding a pyproject.toml with a `[project]` name, except seed-layout prod manifests. */
export function findPythonProjects(tree: Tree, visit: (visitor: (file: string) => void) => void): PythonProjectInfo[] {
  const files: string[] = [];
  visit((file) => {
    if (posix.basename(file) === 'pyproject.toml') files.push(file);
  });
  const known = new Set(files);
  return files
    .filter((file) => !isProdManifest(posix.dirname(file), (candidate) => known.has(candidate)))
    .flatMap((file) => {
      try {
        const info = readPythonProject(tree, posix.dirname(file));
        return info.name ? [info] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => compareCodeUnits(a.root, b.root));
}
