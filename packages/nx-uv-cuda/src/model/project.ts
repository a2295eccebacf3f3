import { posix } from 'node:path';
import { globList, type NormalizedPluginOptions, type StageNames, type TargetNames } from '../config/plugin-options';
import { exists, type FileSource } from '../core/file-source';
import type { DockerfileModel } from '../docker/dockerfile-model';
import { normalizeName } from '../python/names';
import { parsePyproject, type PyProject } from '../python/pyproject';
import { resolveBackends, type Backend } from './backends';
import { loadDockerfile } from './dockerfile';
import { findDockerfile, findDockerignore, findGoverningLock } from './locate';

/**
 * One Python project as every part of the plugin sees it: inference builds its targets from this, the keys
 * target re-reads it at run time, and the generators read it from an Nx Tree. Built by `readProjectModel`.
 */
export interface ProjectModel {
  /** Workspace-relative project root ('.' is the workspace root). */
  root: string;
  /** The Nx project name: project.json's or package.json's `name`, else the normalized `[project].name`. */
  name: string;
  /** The normalized `[project].name`: what uv.lock and other projects' sources call it. */
  pythonName: string;
  pyprojectFile: string;
  pyproject: PyProject;
  /** The governing uv.lock (the project's own, or its uv workspace root's), workspace-relative. */
  lockFile: string;
  /** `<root>/prod/uv.lock` when the service keeps a minimal production lock. */
  prodLockFile?: string;
  /** Workspace-relative Docker build context. */
  contextDir: string;
  dockerfile?: ProjectDockerfile;
  backends: Backend[];
  stages: StageNames;
  targetNames: TargetNames;
  wheelPackage: string;
  wheelBuildRequirements: string[];
  registry?: string;
  smokeCommand?: string[];
  /** Renamed options in use (plugin options and `[tool.nx-uv-cuda]`), one line each. */
  deprecations: string[];
}

export interface ProjectDockerfile {
  file: string;
  model: DockerfileModel;
  dockerignoreFile?: string;
  dockerignoreText?: string;
}

/**
 * Reads a project's files into its model; undefined when the pyproject.toml is not a project of ours (no
 * `[project]`, `enabled = false`, or a seed-layout prod manifest). Throws a PluginError naming the file at fault.
 */
export function readProjectModel(
  files: FileSource,
  pyprojectFile: string,
  options: NormalizedPluginOptions,
  isPyprojectFile: (file: string) => boolean = (file) => exists(files, file),
): ProjectModel | undefined {
  const pyproject = parsePyproject(files.read(pyprojectFile) ?? '', pyprojectFile);
  const root = posix.dirname(pyprojectFile);
  if (!pyproject.name || !pyproject.config.enabled) return undefined;
  if (isProdManifest(root, isPyprojectFile)) return undefined;

  const lockFile = findGoverningLock(files, root);
  const prodLock = posix.join(root, 'prod', 'uv.lock');
  const contextSetting = pyproject.config.context ?? options.context;
  const contextDir = contextSetting ? posix.normalize(posix.join(root, contextSetting)) : posix.dirname(lockFile);
  const dockerfileFile = findDockerfile(files, root, pyproject.config.dockerfile ? globList(pyproject.config.dockerfile) : options.dockerfile);
  const dockerfile = dockerfileFile ? readProjectDockerfile(files, dockerfileFile, contextDir) : undefined;

  return {
    root,
    name: explicitProjectName(files, root) ?? pyproject.name,
    pythonName: pyproject.name,
    pyprojectFile,
    pyproject,
    lockFile,
    prodLockFile: exists(files, prodLock) ? prodLock : undefined,
    contextDir,
    dockerfile,
    backends: resolveBackends({
      pyprojectFile,
      extras: pyproject.optionalDependencyNames,
      projectBackends: pyproject.config.backends,
      workspaceBackends: options.backends,
      projectBuildArgs: pyproject.config.buildArgs,
      workspaceBuildArgs: options.buildArgs,
      dockerfileCudaVersion: dockerfile?.model.globalArgs.find((arg) => arg.name === 'CUDA_VERSION')?.defaultValue,
    }),
    stages: { ...options.stages, ...definedValues(pyproject.config.stages ?? {}) },
    targetNames: options.targetNames,
    wheelPackage: pyproject.config.wheelPackage ?? options.wheelPackage,
    wheelBuildRequirements: pyproject.config.wheelBuildRequirements ?? options.wheelBuildRequirements,
    registry: pyproject.config.registry ?? options.registry,
    smokeCommand: pyproject.config.smokeCommand,
    deprecations: [...options.deprecations, ...pyproject.deprecations],
  };
}

export function readProjectDockerfile(files: FileSource, file: string, contextDir: string): ProjectDockerfile {
  const dockerignoreFile = findDockerignore(files, file, contextDir);
  return {
    file,
    model: loadDockerfile(files, file),
    dockerignoreFile,
    dockerignoreText: dockerignoreFile ? files.read(dockerignoreFile) : undefined,
  };
}

/** The seed layout keeps `<service>/prod/pyproject.toml`: a manifest of its service, not a project. */
export function isProdManifest(root: string, isPyprojectFile: (file: string) => boolean): boolean {
  return posix.basename(root) === 'prod' && isPyprojectFile(posix.join(posix.dirname(root), 'pyproject.toml'));
}

/** A project.json or package.json beside the pyproject.toml may name the project. */
export function explicitProjectName(files: FileSource, root: string): string | undefined {
  for (const file of ['project.json', 'package.json']) {
    const text = files.read(posix.join(root, file));
    if (text === undefined) continue;
    try {
      const name = JSON.parse(text).name;
      if (typeof name === 'string' && name.length > 0) return name;
    } catch {
      // A broken project.json is reported by Nx's own plugin; the pyproject name stands meanwhile.
    }
  }
  return undefined;
}

/**
 * The project's name when its pyproject.toml cannot be read as a whole: project.json's, else the
 * `name = "..."` line, else the folder's. A broken project keeps its name, so the graph around it holds.
 */
export function bestEffortProjectName(files: FileSource, pyprojectFile: string): string {
  const root = posix.dirname(pyprojectFile);
  const written = /^\s*name\s*=\s*["']([A-Za-z0-9._-]+)["']/m.exec(files.read(pyprojectFile) ?? '')?.[1];
  return explicitProjectName(files, root) ?? (written ? normalizeName(written) : posix.basename(root));
}

/** Local projects the pyproject.toml installs: `{ workspace = true }` sources by name, `{ path = ... }` by folder. */
export function localSources(project: Pick<ProjectModel, 'root' | 'pyproject'>): LocalSources {
  const sources = Object.entries(project.pyproject.uvSources);
  return {
    names: sources.filter(([, list]) => list.some((source) => 'workspace' in source)).map(([name]) => name),
    paths: sources.flatMap(([name, list]) =>
      list.flatMap((source) =>
        'path' in source ? [{ name, folder: posix.normalize(posix.join(project.root, source.path)) }] : [],
      ),
    ),
  };
}

export interface LocalSources {
  /** Normalized names of `{ workspace = true }` sources. */
  names: string[];
  /** `{ path = ... }` sources: the package name and its workspace-relative folder. */
  paths: Array<{ name: string; folder: string }>;
}

function definedValues<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
