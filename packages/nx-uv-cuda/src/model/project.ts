import { posix } from 'node:path';
import { minimatch } from 'minimatch';
import {
  DEFAULT_DOCKERFILE_GLOBS,
  globList,
  type NormalizedPluginOptions,
  type ReleasePluginOptions,
  type StageNames,
  type TargetNames,
} from '../config/plugin-options';
import { PluginError } from '../core/errors';
import { exists, type FileSource } from '../core/file-source';
import { leavesRoot } from '../core/paths';
import { slug } from '../core/slug';
import { contextSourcePaths } from '../docker/context-inputs';
import type { DockerfileModel } from '../docker/dockerfile-model';
import { readDockerignore } from '../docker/dockerignore';
import { normalizeName } from '../python/names';
import { parsePyproject, type PyProject } from '../python/pyproject';
import { lockedLocalVersions } from '../python/uv-lock';
import {
  acceleratorFamily,
  acceleratorRoutes,
  backendOfCudaVersion,
  isAcceleratorName,
  RECIPE_BUILD_ARGS,
  resolveBackends,
  torchTagOfName,
  type Backend,
} from './backends';
import { loadDockerfile } from './dockerfile';
import { imageStages, type ImageStage } from './images';
import { findDockerfiles, findDockerignore, findGoverningLock } from './locate';
import { resolvePlacements, type BackendPlacements } from './builders';
import { backendLocks, type BackendLocks } from './locks';
import { sourceProblems } from './context-sources';
import { secretArgWarnings } from './secret-build-args';

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
  /** The Dockerfiles that build images of the project (none without a uv.lock: lock targets only). */
  dockerfiles: ProjectDockerfile[];
  backends: Backend[];
  /** The lock files each backend reads (its own `uv-<backend>.lock` where one exists), by backend name. */
  locks: Record<string, BackendLocks>;
  stages: StageNames;
  targetNames: TargetNames;
  wheelPackage: string;
  wheelBuildRequirements: string[];
  registry?: string;
  release: ReleasePluginOptions;
  smokeCommand?: string[];
  /** The builder and engine of each backend's wheel and image builds (model/builders.ts). */
  placements: Record<string, BackendPlacements>;
  /** What the user should know, one line each: renamed options, ARGs nothing fills, skipped Dockerfiles... */
  warnings: string[];
  /** Dockerfiles found but not images of the project, and why. */
  skippedDockerfiles: Array<{ file: string; reason: string }>;
}

export interface ProjectDockerfile {
  file: string;
  model: DockerfileModel;
  dockerignoreFile?: string;
  dockerignoreText?: string;
  /** What target names call this Dockerfile among the project's several ('' for the only or the main one). */
  label: string;
  /** The backends it builds (a repository that keeps one Dockerfile per accelerator builds each with its own). */
  backends: string[];
  /** Its product stages (see images.ts), and whether they are the recipe's dev and prod. */
  recipe: boolean;
  images: ImageStage[];
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

  const warnings = [...options.deprecations, ...pyproject.deprecations, ...conflictWarnings(pyproject)];
  const lockFile = findGoverningLock(files, root);
  const lockText = files.read(lockFile);
  const prodLock = posix.join(root, 'prod', 'uv.lock');
  const contextSetting = pyproject.config.context ?? options.context;
  const contextDir = contextSetting ? contextInWorkspace(pyprojectFile, contextSetting, pyproject.config.context !== undefined) : posix.dirname(lockFile);
  const globs = pyproject.config.dockerfile ? globList(pyproject.config.dockerfile) : options.dockerfile;
  const skippedDockerfiles: ProjectModel['skippedDockerfiles'] = [];
  const found = lockText === undefined ? [] : readDockerfiles(files, root, globs, contextDir, pyprojectFile, skippedDockerfiles);
  if (lockText === undefined) warnings.push(`${lockFile} does not exist: lock targets only until \`uv lock\` writes it`);
  for (const dockerfile of found) {
    warnings.push(...secretArgWarnings(dockerfile.model));
    const context = { files, dir: contextDir, dockerignore: dockerfile.dockerignoreText };
    for (const problem of sourceProblems(dockerfile.model, dockerfile.model.stages, context)) {
      warnings.push(problem.fails ? `${problem.message}: the build fails unless a task writes it first` : problem.message);
    }
  }
  if (found.length === 0 && (pyproject.config.dockerfile || options.dockerfile !== DEFAULT_DOCKERFILE_GLOBS) && lockText !== undefined) {
    warnings.push(`${pyprojectFile}: the dockerfile globs (${globs.join(', ')}) match no Dockerfile of this project`);
  }

  const declared = resolveBackends({
    pyprojectFile,
    extras: pyproject.optionalDependencyNames,
    groups: pyproject.dependencyGroupNames,
    routes: acceleratorRoutes(pyproject),
    lockedTorchTag: single(lockText === undefined ? [] : lockedLocalVersions(lockText, 'torch')),
    projectBackends: pyproject.config.backends,
    workspaceBackends: options.backends,
    projectBuildArgs: pyproject.config.buildArgs,
    workspaceBuildArgs: options.buildArgs,
    dockerfileCudaVersion: found.map((dockerfile) => defaultCudaVersion(dockerfile.model)).find(Boolean),
  });
  const stages = { ...options.stages, ...definedValues(pyproject.config.stages ?? {}) };
  const { backends, dockerfiles } = assignBackends(found, declared, stages);
  const prodLockFile = exists(files, prodLock) ? prodLock : undefined;
  for (const name of Object.keys(pyproject.config.builders?.backends ?? {})) {
    if (!backends.some((backend) => backend.name === name)) {
      warnings.push(`${pyprojectFile}: builders.backends.${name} names no backend of this project (${backends.map((backend) => backend.name).join(', ')})`);
    }
  }
  const locks = Object.fromEntries(
    backends.map((backend) => [backend.name, backendLocks(files, { lockFile, prodLockFile, root }, backend.name)]),
  );

  return {
    root,
    name: explicitProjectName(files, root) ?? pyproject.name,
    pythonName: pyproject.name,
    pyprojectFile,
    pyproject,
    lockFile,
    prodLockFile,
    contextDir,
    dockerfiles,
    backends,
    locks,
    stages,
    targetNames: options.targetNames,
    wheelPackage: pyproject.config.wheelPackage ?? options.wheelPackage,
    wheelBuildRequirements: pyproject.config.wheelBuildRequirements ?? options.wheelBuildRequirements,
    registry: pyproject.config.registry ?? options.registry,
    release: options.release,
    smokeCommand: pyproject.config.smokeCommand,
    placements: resolvePlacements(backends.map((backend) => backend.name), pyproject.config.builders, options.builders),
    warnings,
    skippedDockerfiles,
  };
}

type FoundDockerfile = Omit<ProjectDockerfile, 'backends' | 'recipe' | 'images'>;

/**
 * The Dockerfiles that build images of the project: every one the globs find whose build copies the project's
 * pyproject.toml from the context (what `uv sync` needs to install it). One that only builds FROM a published
 * image, or copies other things, is not an image of this project.
 */
function readDockerfiles(
  files: FileSource,
  root: string,
  globs: readonly string[],
  contextDir: string,
  pyprojectFile: string,
  skipped: ProjectModel['skippedDockerfiles'],
): FoundDockerfile[] {
  const paths = findDockerfiles(files, root, globs);
  const labels = dockerfileLabels(paths.map((path) => posix.relative(root, path)));
  return paths.flatMap((file, index) => {
    const dockerfile = readProjectDockerfile(files, file, contextDir);
    if (!copiesFile(dockerfile, contextDir, pyprojectFile)) {
      skipped.push({ file, reason: `its build copies no ${posix.basename(pyprojectFile)} of the project from the context` });
      return [];
    }
    return [{ ...dockerfile, label: paths.length > 1 ? labels[index] : '' }];
  });
}

/**
 * Which backends each Dockerfile builds. Among several Dockerfiles, one whose name says an accelerator
 * (`docker/gpu/`, `docker/cpu/`, `Dockerfile.rocm`, `Dockerfile.amd`) builds the backends of that accelerator, and
 * an accelerator no extra declares becomes a backend of its own; every other Dockerfile builds every backend.
 */
function assignBackends(found: FoundDockerfile[], declared: Backend[], stages: StageNames) {
  const accelerators = found.map((dockerfile) => dockerfile.label.split('-').find(isAcceleratorName));
  // An implicit backend stands for "what the project installs"; Dockerfiles that are all per accelerator replace it.
  const kept = accelerators.every(Boolean) && declared.every((backend) => backend.implicit) ? [] : [...declared];
  const backends = [...kept];
  const serves = (backend: Backend, accelerator: string) =>
    backend.name === accelerator || [backend.name, backend.torchTag].some((name) => name && acceleratorFamily(name) === acceleratorFamily(accelerator));
  const dockerfiles = found.map((dockerfile, index): ProjectDockerfile => {
    const accelerator = accelerators[index];
    let mine = accelerator ? backends.filter((backend) => serves(backend, accelerator)) : kept;
    if (accelerator && mine.length === 0) {
      const added = acceleratorBackend(accelerator, dockerfile, declared[0]);
      backends.push(added);
      mine = [added];
    }
    return { ...dockerfile, backends: mine.map((backend) => backend.name), ...imageStages(dockerfile.model, stages) };
  });
  return { backends: backends.length > 0 ? backends : declared, dockerfiles };
}

/**
 * A backend that a per-accelerator Dockerfile stands for, with the build-arg layers of the project's options; a
 * CUDA one builds on the Dockerfile's CUDA version.
 */
function acceleratorBackend(name: string, dockerfile: FoundDockerfile, template: Backend): Backend {
  const cudaVersion = acceleratorFamily(name) === 'cuda' ? defaultCudaVersion(dockerfile.model) : undefined;
  const torchTag = torchTagOfName(name) === name ? name : cudaVersion && backendOfCudaVersion(cudaVersion);
  return {
    name,
    via: 'none',
    source: `the Dockerfile ${dockerfile.file} (one Dockerfile per accelerator)`,
    ...(torchTag && { torchTag }),
    derivedBuildArgs: { ...RECIPE_BUILD_ARGS, TORCH_BACKEND: torchTag ?? name, ...(cudaVersion && { CUDA_VERSION: cudaVersion }) },
    workspaceBuildArgs: template.workspaceBuildArgs,
    projectBuildArgs: template.projectBuildArgs,
  };
}

/** Whether the Dockerfile's stages copy (or bind-mount) `file` from the build context, after .dockerignore. */
function copiesFile(dockerfile: Pick<ProjectDockerfile, 'model' | 'dockerignoreText'>, contextDir: string, file: string): boolean {
  const inContext = posix.relative(contextDir, file);
  if (inContext.startsWith('..')) return false;
  if (readDockerignore(dockerfile.dockerignoreText).ignores(inContext)) return false;
  return contextSourcePaths(dockerfile.model.stages).some((source) => {
    if (source === '' || source === '.') return true;
    if (/[*?[]/.test(source)) return minimatch(inContext, source, { dot: true }) || minimatch(inContext, `${source}/**`, { dot: true });
    return inContext === source || inContext.startsWith(`${source.replace(/\/$/, '')}/`);
  });
}

/**
 * Stable names for several Dockerfiles of one project, from their paths: the usual folders dropped, `Dockerfile`
 * and `Containerfile` dropped from the file name (`docker/gpu/Dockerfile.optimized` → `gpu-optimized`,
 * `scripts/docker/serve_policy.Dockerfile` → `serve-policy`, `Dockerfile` → ''). Equal names fall back to the path.
 */
export function dockerfileLabels(paths: readonly string[]): string[] {
  const short = paths.map(shortLabel);
  return short.map((label, index) => (short.indexOf(label) === short.lastIndexOf(label) ? label : slug(paths[index])));
}

const USUAL_FOLDERS = /^(scripts\/docker|deploy\/docker|build\/docker|ci\/docker|docker|deploy|containers?|\.docker)\//;

function shortLabel(path: string): string {
  const rest = path.replace(USUAL_FOLDERS, '');
  const folders = posix.dirname(rest) === '.' ? [] : posix.dirname(rest).split('/');
  const name = posix.basename(rest).replace(/^(Dockerfile|Containerfile)[._-]?|[._-]?(Dockerfile|dockerfile)$/g, '');
  return slug([...folders, name].filter(Boolean).join('-'));
}

/** `[tool.uv].conflicts` naming an extra or group nobody declares: uv ignores it, and so does the plugin, aloud. */
function conflictWarnings(pyproject: PyProject): string[] {
  const extras = new Set(pyproject.optionalDependencyNames.map(normalizeName));
  const groups = new Set(pyproject.dependencyGroupNames);
  return pyproject.uvConflicts.flat().flatMap((item) => {
    if (item.extra !== undefined && !extras.has(item.extra)) {
      return [`${pyproject.file}: [tool.uv].conflicts names the extra "${item.extra}", which [project.optional-dependencies] does not declare: ignored`];
    }
    if (item.group !== undefined && !groups.has(item.group)) {
      return [`${pyproject.file}: [tool.uv].conflicts names the group "${item.group}", which [dependency-groups] does not declare: ignored`];
    }
    return [];
  });
}

/** The CUDA version a Dockerfile builds on by default: its CUDA_VERSION ARG, else an nvidia/cuda or pytorch/pytorch base. */
function defaultCudaVersion(model: DockerfileModel): string | undefined {
  const declared = model.globalArgs.find((arg) => arg.name === 'CUDA_VERSION')?.defaultValue;
  if (declared && /^\d+\.\d+/.test(declared)) return declared;
  const images = [...model.globalArgs.map((arg) => arg.defaultValue ?? ''), ...model.stages.map((stage) => stage.baseImage)];
  for (const image of images) {
    const version = /nvidia\/cuda:(\d+\.\d+(?:\.\d+)?)/.exec(image)?.[1] ?? /pytorch\/pytorch:[^\s]*-cuda(\d+\.\d+)/.exec(image)?.[1];
    if (version) return version;
  }
  return undefined;
}

function single<T>(values: T[]): T | undefined {
  return values.length === 1 ? values[0] : undefined;
}

export function readProjectDockerfile(files: FileSource, file: string, contextDir: string): Omit<FoundDockerfile, 'label'> {
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

/**
 * The build context, workspace-relative. One outside the workspace is refused: Nx hashes only workspace files,
 * so an edit there would be served from the cache as the old build.
 */
function contextInWorkspace(pyprojectFile: string, setting: string, setByProject: boolean): string {
  const contextDir = posix.normalize(posix.join(posix.dirname(pyprojectFile), setting));
  if (posix.isAbsolute(setting) || leavesRoot(contextDir)) {
    const where = setByProject ? `${pyprojectFile}: [tool.nx-uv-cuda] context` : `nx.json: the context option, for ${pyprojectFile},`;
    throw new PluginError(
      'options',
      `${where} = "${setting}" is outside the workspace: Nx hashes only files inside it, so an edit there would be ` +
        'served from the cache as the old build; expected a folder of the workspace, relative to the project',
      { file: setByProject ? pyprojectFile : 'nx.json' },
    );
  }
  return contextDir;
}
