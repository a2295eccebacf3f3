import { join, posix } from 'node:path';
import { generateFiles, type Tree } from '@nx/devkit';
import { DOCKERFILE_NAME, DOCKERFILE_PATH, GENERATOR_DEFAULTS, templateCudaVersion } from '../shared/defaults';
import type { UvLayout } from '../shared/python-project';

/** Everything the template Dockerfile varies on; the generators derive it from their options and the project. */
export interface DockerfileSpec {
  projectName: string;
  /** The Python package `python -m` runs in the images. */
  module: string;
  layout: UvLayout;
  /** The normalized package name, for `uv sync --package` in a uv workspace. */
  packageName: string;
  /** The backend a plain `docker buildx build` builds: its CUDA_VERSION and TORCH_BACKEND defaults. */
  defaultBackend: string;
  /** Whether the project has backend extras (`uv sync --extra ${TORCH_BACKEND}`). */
  backendExtras: boolean;
  pythonVersion: string;
  uvVersion: string;
  /** undefined: FLASH_ATTN_VERSION=none (no wheel target is inferred). */
  flashAttnVersion?: string;
  /**
   * Whether the lock has flash-attn: `uv sync` then leaves it out (`--no-install-package`), since the images
   * install the wheel their wheel stage compiled instead of letting uv compile it once more.
   */
  lockHasFlashAttn: boolean;
  /** Whether the project has `<root>/prod/pyproject.toml` (the seed layout's production manifest and lock). */
  prodManifest: boolean;
  /** Whether the dev / prod manifest has a `build` dependency group (the wheel stages install it). */
  devBuildGroup: boolean;
  prodBuildGroup: boolean;
  /** Paths relative to the project folder that installing the project reads: `pyproject.toml` and `src`, or `.`. */
  projectFiles: string[];
  /** Further paths the dev image copies (tests). */
  devOnlyFiles: string[];
  /**
   * Folders of the local projects it depends on (`{ workspace = true }` or `{ path = ... }` sources), relative to
   * the build context: the dev image copies them, the prod image installs them without their dependencies.
   */
  localDependencies: string[];
}

export interface DockerignoreSpec {
  /** Workspace-relative path of the ignore file that applies to the template. */
  file: string;
  /** Whether the context is a uv workspace root (many projects) rather than the project folder. */
  sharedContext: boolean;
}

const FLASH_ATTN = 'flash-attn';
const WHEEL_BUILD_TOOLS = ['pip', 'setuptools', 'wheel', 'ninja', 'packaging', 'psutil'];

/** Writes `docker/Dockerfile-cu124-uv` (and its ignore file when `dockerignore` is given) into the project folder. */
export function writeDockerfile(tree: Tree, spec: DockerfileSpec, dockerignore?: DockerignoreSpec): void {
  generateFiles(tree, join(__dirname, 'files', 'dockerfile'), spec.layout.projectRoot, {
    dockerfileName: DOCKERFILE_NAME,
    ...templateVariables(spec),
  });
  if (dockerignore) {
    generateFiles(tree, join(__dirname, 'files', 'dockerignore'), '.', {
      dockerignoreFile: dockerignore.file,
      sharedContext: dockerignore.sharedContext,
      dockerfileName: DOCKERFILE_NAME,
      projectName: spec.projectName,
    });
  }
}

/** Where Docker looks for the template's ignore file: the context's `.dockerignore`, or one beside the Dockerfile. */
export function dockerignoreFor(layout: UvLayout): DockerignoreSpec {
  const sharedContext = layout.pathInContext !== '';
  const file = sharedContext
    ? posix.join(layout.projectRoot, `${DOCKERFILE_PATH}.dockerignore`)
    : posix.join(layout.lockDir, '.dockerignore');
  return { file, sharedContext };
}

/** The template's variables: each a finished line or list of lines, so the template stays plain Dockerfile. */
export function templateVariables(spec: DockerfileSpec): Record<string, unknown> {
  const { layout } = spec;
  const inContext = (path: string) => posix.normalize(`${layout.pathInContext}${path}`).replace(/\/$/, '') || '.';
  const member = layout.uvWorkspaceRoot !== undefined;
  const extra = spec.backendExtras ? ' --extra ${TORCH_BACKEND}' : '';
  const skipWheel = spec.lockHasFlashAttn ? ` --no-install-package ${FLASH_ATTN}` : '';
  // A workspace member syncs from the workspace root; the other members' sources are not in the image yet,
  // so uv cannot check the lock against them (--frozen) and installs none of them (--no-install-workspace).
  const lockMode = member ? `--frozen --package ${spec.packageName}` : '--locked';
  const noInstallSelf = member ? '--no-install-workspace' : '--no-install-project';

  const bind = (source: string, target = source, rw = false) =>
    `--mount=type=bind,source=${source},target=${target}${rw ? ',rw' : ''}`;
  // `${LOCK_FILE}`: uv.lock, or the backend's own uv-<backend>.lock, where uv sync reads its lock.
  const lockMounts = [bind('${LOCK_FILE}', 'uv.lock'), bind('pyproject.toml'), ...(member ? [bind(inContext('pyproject.toml'))] : [])];
  const prodLockMounts = spec.prodManifest
    ? [bind(inContext('prod/uv.lock'), 'uv.lock'), bind(inContext('prod/pyproject.toml'), 'pyproject.toml')]
    : lockMounts;

  const devSync = `uv sync ${lockMode} ${noInstallSelf}${extra}${skipWheel}`;
  // The production manifest is a project of its own (not a workspace member), locked in its own prod/uv.lock.
  const prodSync = spec.prodManifest
    ? `uv sync --locked --no-install-project --no-dev --no-editable${extra}${skipWheel}`
    : `uv sync ${lockMode} ${noInstallSelf} --no-dev --no-editable${extra}${skipWheel}`;

  const buildTools = `uv pip install ${WHEEL_BUILD_TOOLS.join(' ')}`;
  const wheelDevSetup = spec.devBuildGroup ? `${devSync} --group build` : buildTools;
  const wheelProdSetup = spec.prodBuildGroup ? `${prodSync} --group build` : buildTools;

  const wholeProject = spec.projectFiles.includes('.');
  const lockFiles = member ? ['pyproject.toml'] : [];
  // The chosen lock goes in as uv.lock (after a whole-project COPY, over the universal one it brought).
  const chosenLock = 'COPY ${LOCK_FILE} uv.lock';
  const projectCopies = copyLines([
    ...lockFiles,
    ...spec.localDependencies,
    ...[...spec.projectFiles, ...spec.devOnlyFiles].map(inContext),
  ]);
  const devCopies = wholeProject ? [...projectCopies, chosenLock] : [chosenLock, ...projectCopies];
  const devInstall = `uv sync ${lockMode}${extra}${skipWheel}`;

  let prodInstallMounts: string[];
  let prodInstall: string;
  if (spec.prodManifest) {
    // The production lock has the third-party packages; the project itself goes in without its dependencies.
    const target = (path: string) => (path === '.' ? '/src' : posix.join('/src', path));
    const dependencyTarget = (dir: string, index: number) => `/deps/${index}-${posix.basename(dir)}`;
    prodInstallMounts = [
      ...spec.localDependencies.map((dir, index) => bind(dir, dependencyTarget(dir, index), true)),
      ...spec.projectFiles.map((path) => bind(inContext(path), target(path), path !== 'pyproject.toml')),
    ];
    prodInstall = ['uv pip install --no-deps /src', ...spec.localDependencies.map(dependencyTarget)].join(' ');
  } else {
    const target = (path: string) => (inContext(path) === '.' ? '/app' : inContext(path));
    const projectMounts = spec.projectFiles.map((path) => bind(inContext(path), target(path), path !== 'pyproject.toml'));
    const dependencyMounts = spec.localDependencies.map((dir) => bind(dir, dir, true));
    prodInstallMounts =
      wholeProject && !member ? [...dependencyMounts, ...projectMounts] : dedupe([...lockMounts, ...dependencyMounts, ...projectMounts]);
    prodInstall = `uv sync ${lockMode} --no-dev --no-editable${extra}${skipWheel}`;
  }

  return {
    projectName: spec.projectName,
    module: spec.module,
    contextDescription: contextDescription(layout),
    dockerfileInContext: inContext(DOCKERFILE_PATH),
    cudaVersion: templateCudaVersion(spec.defaultBackend),
    cudaVariant: GENERATOR_DEFAULTS.cudaVariant,
    cudaRuntimeVariant: GENERATOR_DEFAULTS.cudaRuntimeVariant,
    ubuntuVersion: GENERATOR_DEFAULTS.ubuntuVersion,
    cmakeVersion: GENERATOR_DEFAULTS.cmakeVersion,
    pythonVersion: spec.pythonVersion,
    torchBackend: spec.defaultBackend,
    uvVersion: spec.uvVersion,
    // prod builds FROM the runtime image, which has no uv: the install steps mount the binary instead of copying it.
    uvMount: `--mount=type=bind,from=ghcr.io/astral-sh/uv:${spec.uvVersion},source=/uv,target=/bin/uv`,
    flashAttnVersion: spec.flashAttnVersion ?? 'none',
    flashAttnCudaArchs: GENERATOR_DEFAULTS.flashAttnCudaArchs,
    maxJobs: GENERATOR_DEFAULTS.maxJobs,
    nvccThreads: GENERATOR_DEFAULTS.nvccThreads,
    devLockMounts: lockMounts,
    prodLockMounts,
    devSync,
    prodSync,
    wheelDevSetup,
    wheelProdSetup,
    devCopies,
    devInstall,
    prodInstallMounts,
    prodInstall,
  };
}

function contextDescription(layout: UvLayout): string {
  if (layout.uvWorkspaceRoot !== undefined) {
    const where = layout.uvWorkspaceRoot === '.' ? 'the workspace root' : layout.uvWorkspaceRoot;
    return `${where}, the uv workspace root holding uv.lock (this project is ${layout.pathInContext.replace(/\/$/, '')} there)`;
  }
  return `${layout.projectRoot === '.' ? 'the workspace root' : layout.projectRoot}, the folder holding uv.lock`;
}

/**
 * COPY lines that keep each path under the working directory: `COPY uv.lock pyproject.toml ./`, `COPY src src`,
 * `COPY . .`. Files going to the same folder share one line.
 */
function copyLines(paths: string[]): string[] {
  const lines: { files: string[]; dest: string }[] = [];
  for (const path of paths) {
    if (path === '.') {
      lines.push({ files: ['.'], dest: '.' });
      continue;
    }
    const isFile = /\.[A-Za-z0-9]+$/.test(posix.basename(path));
    if (!isFile) {
      lines.push({ files: [path], dest: path });
      continue;
    }
    const dir = posix.dirname(path);
    const dest = dir === '.' ? './' : `${dir}/`;
    const last = lines[lines.length - 1];
    if (last && last.dest === dest) last.files.push(path);
    else lines.push({ files: [path], dest });
  }
  return lines.map(({ files, dest }) => `COPY ${files.join(' ')} ${dest}`);
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}
