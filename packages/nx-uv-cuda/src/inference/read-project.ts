import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseDockerfile, type DockerfileModel } from '../docker/dockerfile-model';
import { contextInputs } from '../docker/context-inputs';
import { parsePyproject, type PyProject } from '../python/pyproject';
import { resolveBackends } from './backends';
import { findDockerfile, findDockerignore, findGoverningLock } from './locate';
import type { NormalizedPluginOptions } from './normalize-options';
import type { DockerfileFacts, ProjectFacts } from './project-facts';

/** What createDependencies needs about a project, kept with the inferred nodes so it is cached with them. */
export interface DependencyHints {
  pythonName: string;
  pyprojectFile: string;
  /** Normalized names of `{ workspace = true }` sources. */
  workspaceSources: string[];
  /** Workspace-relative folders of `{ path = ... }` sources. */
  pathSources: string[];
  dockerfile?: string;
  /** Workspace-relative paths the Dockerfile reads from its build context. */
  dockerfileContextPaths: string[];
}

export interface ReadProject {
  facts: ProjectFacts;
  hints: DependencyHints;
}

/** Reads a project's files into facts; undefined when the pyproject.toml is not a project of ours. */
export function readProject(
  workspaceRoot: string,
  pyprojectFile: string,
  options: NormalizedPluginOptions,
  isPyprojectFile: (file: string) => boolean,
): ReadProject | undefined {
  const pyproject = parsePyproject(readText(workspaceRoot, pyprojectFile), pyprojectFile);
  const root = posix.dirname(pyprojectFile);
  if (!pyproject.name || !pyproject.config.enabled) return undefined;
  if (isProdManifest(root, isPyprojectFile)) return undefined;

  const lockFile = findGoverningLock(workspaceRoot, root);
  const prodLock = posix.join(root, 'prod', 'uv.lock');
  const contextSetting = pyproject.config.context ?? options.context;
  const contextDir = contextSetting ? posix.normalize(posix.join(root, contextSetting)) : posix.dirname(lockFile);
  const dockerfileFile = findDockerfile(workspaceRoot, root, globList(pyproject.config.dockerfile ?? options.dockerfile));
  const dockerfile = dockerfileFile ? readDockerfile(workspaceRoot, dockerfileFile, contextDir) : undefined;

  const facts: ProjectFacts = {
    root,
    name: explicitProjectName(workspaceRoot, root) ?? pyproject.name,
    pyprojectFile,
    lockFile,
    prodLockFile: existsSync(join(workspaceRoot, prodLock)) ? prodLock : undefined,
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
    pluginOptions: options.raw,
    registry: pyproject.config.registry ?? options.registry,
    smokeCommand: pyproject.config.smokeCommand,
  };
  return { facts, hints: dependencyHints(pyproject, facts) };
}

/** Parsed Dockerfiles by text: services made from one template share it, and parsing is inference's main cost. */
const parsedDockerfiles = new Map<string, DockerfileModel>();

function parseDockerfileOnce(text: string, file: string): DockerfileModel {
  const model = parsedDockerfiles.get(text) ?? parseDockerfile(text, file);
  parsedDockerfiles.set(text, model);
  return model.file === file ? model : { ...model, file };
}

function readDockerfile(workspaceRoot: string, file: string, contextDir: string): DockerfileFacts {
  const model = parseDockerfileOnce(readText(workspaceRoot, file), file);
  const dockerignoreFile = findDockerignore(workspaceRoot, file, contextDir);
  return {
    file,
    model,
    dockerignoreFile,
    dockerignoreText: dockerignoreFile ? readText(workspaceRoot, dockerignoreFile) : undefined,
  };
}

function dependencyHints(pyproject: PyProject, facts: ProjectFacts): DependencyHints {
  const sources = Object.entries(pyproject.uvSources);
  const model = facts.dockerfile?.model;
  return {
    pythonName: pyproject.name!,
    pyprojectFile: facts.pyprojectFile,
    workspaceSources: sources.filter(([, list]) => list.some((s) => 'workspace' in s)).map(([name]) => name),
    pathSources: sources.flatMap(([, list]) =>
      list.flatMap((s) => ('path' in s ? [posix.normalize(posix.join(facts.root, s.path))] : [])),
    ),
    dockerfile: facts.dockerfile?.file,
    dockerfileContextPaths: model
      ? contextInputs(model.stages, { contextRoot: facts.contextDir }).contextPaths
      : [],
  };
}

/** The seed layout keeps `<service>/prod/pyproject.toml`: a manifest of its service, not a project. */
function isProdManifest(root: string, isPyprojectFile: (file: string) => boolean): boolean {
  return posix.basename(root) === 'prod' && isPyprojectFile(posix.join(posix.dirname(root), 'pyproject.toml'));
}

/** A project.json or package.json beside the pyproject.toml may name the project. */
function explicitProjectName(workspaceRoot: string, root: string): string | undefined {
  for (const file of ['project.json', 'package.json']) {
    const path = join(workspaceRoot, root, file);
    if (!existsSync(path)) continue;
    try {
      const name = JSON.parse(readFileSync(path, 'utf8')).name;
      if (typeof name === 'string' && name.length > 0) return name;
    } catch {
      // A broken project.json is reported by Nx's own plugin; the pyproject name stands meanwhile.
    }
  }
  return undefined;
}

function globList(globs: string | string[]): string[] {
  return Array.isArray(globs) ? globs : [globs];
}

function definedValues<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function readText(workspaceRoot: string, file: string): string {
  return readFileSync(join(workspaceRoot, file), 'utf8');
}
