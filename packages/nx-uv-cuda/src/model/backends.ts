import type { BackendsOption, BackendSettings } from '../config/plugin-options';
import { PluginError } from '../core/errors';

/** One CUDA (or CPU/ROCm) flavour of a service: its images, wheel and lock slice are built per backend. */
export interface Backend {
  name: string;
  /** Whether the backend is an extra of the project (then the lock slice activates that extra). */
  isExtra: boolean;
  buildArgs: Record<string, string>;
  /**
   * The layers of `buildArgs` below the project's own `[tool.nx-uv-cuda]` ones (recipe defaults, derived from the
   * name, the workspace's options): the keys target gets these as options and reads the project's at run time.
   */
  workspaceBuildArgs: Record<string, string>;
}

/** The recipe's ARG defaults, shared by every backend; per-backend and user values override them. */
export const RECIPE_BUILD_ARGS: Readonly<Record<string, string>> = {
  CUDA_VARIANT: 'cudnn',
  UBUNTU_VERSION: '22.04',
  CMAKE_VERSION: '3.26.1',
};

/**
 * The CUDA version table: the nvidia/cuda release each PyTorch CUDA backend builds on; other cuXYZ map to X.Y.0.
 * Inference, generators, docs (reference.md, checked by a test) and benchmarks all read it from here.
 */
export const CUDA_VERSIONS: Readonly<Record<string, string>> = {
  cu118: '11.8.0',
  cu121: '12.1.1',
  cu124: '12.4.1',
  cu126: '12.6.3',
  cu128: '12.8.0',
  cu129: '12.9.1',
  cu130: '13.0.0',
};

/** A PyTorch CUDA backend as PyTorch names its wheel indexes: cu118, cu124, cu128, cu130, ... */
export const CUDA_BACKEND = /^cu(\d+)(\d)$/;
const NON_CUDA_BACKEND = /^(cpu|xpu|rocm\d+(\.\d+)*)$/;

export function isBackendExtra(extra: string): boolean {
  return CUDA_BACKEND.test(extra) || NON_CUDA_BACKEND.test(extra);
}

/** `cu124` → `12.4.1` (the nvidia/cuda tag the backend builds on); undefined for cpu, rocm, xpu, ... */
export function cudaVersionOfBackend(backend: string): string | undefined {
  const match = CUDA_BACKEND.exec(backend);
  if (!match) return undefined;
  return CUDA_VERSIONS[backend] ?? `${match[1]}.${match[2]}.0`;
}

/** `12.4.1` → `cu124`: names the single backend of a project that declares none. */
export function backendOfCudaVersion(cudaVersion: string): string | undefined {
  const match = /^(\d+)\.(\d+)/.exec(cudaVersion);
  return match ? `cu${match[1]}${match[2]}` : undefined;
}

export interface BackendSources {
  /** Where an error should point: the pyproject file. */
  pyprojectFile: string;
  extras: string[];
  projectBackends?: BackendsOption;
  workspaceBackends?: BackendsOption;
  projectBuildArgs?: Record<string, string>;
  workspaceBuildArgs?: Record<string, string>;
  /** The Dockerfile's own CUDA_VERSION default, to name the backend of a project that declares none. */
  dockerfileCudaVersion?: string;
}

/**
 * Which backends a project builds, and each one's build args. The set comes from the first of:
 * `[tool.nx-uv-cuda].backends`, the project's backend-like extras, the plugin's `backends` option,
 * one default backend. Build args layer: recipe defaults < backend-derived < workspace < project.
 */
export function resolveBackends(sources: BackendSources): Backend[] {
  const names =
    backendNames(sources.projectBackends) ??
    nonEmpty(sources.extras.filter(isBackendExtra)) ??
    backendNames(sources.workspaceBackends) ?? [defaultBackendName(sources.dockerfileCudaVersion)];

  const backendExtras = sources.extras.filter(isBackendExtra);
  return names.map((name) => {
    const workspaceBuildArgs = {
      ...RECIPE_BUILD_ARGS,
      ...derivedBuildArgs(name),
      ...sources.workspaceBuildArgs,
      ...settingsFor(sources.workspaceBackends, name)?.buildArgs,
    };
    const buildArgs = layerProjectBuildArgs(workspaceBuildArgs, name, sources.projectBuildArgs, sources.projectBackends);
    if (!isBackendExtra(name) && name !== 'default' && buildArgs.CUDA_VERSION === undefined) {
      throw backendError(
        sources.pyprojectFile,
        `${sources.pyprojectFile}: [tool.nx-uv-cuda].backends: unknown backend "${name}": expected cuXYZ (e.g. cu124), ` +
          `cpu, xpu or rocmX.Y, or a backend that sets build-args.CUDA_VERSION`,
      );
    }
    if (backendExtras.length > 0 && !backendExtras.includes(name)) {
      throw backendError(
        sources.pyprojectFile,
        `${sources.pyprojectFile}: [tool.nx-uv-cuda].backends: backend "${name}" is not an extra of the project: ` +
          `expected one of its [project.optional-dependencies] backends (${backendExtras.join(', ')})`,
      );
    }
    return { name, isExtra: sources.extras.includes(name), buildArgs, workspaceBuildArgs };
  });
}

/** The project's own layers over the workspace's: `[tool.nx-uv-cuda].build-args`, then the backend's own. */
export function layerProjectBuildArgs(
  workspaceBuildArgs: Record<string, string>,
  backend: string,
  projectBuildArgs: Record<string, string> | undefined,
  projectBackends: BackendsOption | undefined,
): Record<string, string> {
  return { ...workspaceBuildArgs, ...projectBuildArgs, ...settingsFor(projectBackends, backend)?.buildArgs };
}

function backendError(file: string, message: string): PluginError {
  return new PluginError('backend', message, { file });
}

function derivedBuildArgs(backend: string): Record<string, string> {
  const cudaVersion = cudaVersionOfBackend(backend);
  const args: Record<string, string> = backend === 'default' ? {} : { TORCH_BACKEND: backend };
  if (cudaVersion) args.CUDA_VERSION = cudaVersion;
  return args;
}

function defaultBackendName(dockerfileCudaVersion: string | undefined): string {
  return (dockerfileCudaVersion && backendOfCudaVersion(dockerfileCudaVersion)) || 'default';
}

function backendNames(option: BackendsOption | undefined): string[] | undefined {
  if (!option) return undefined;
  return nonEmpty(Array.isArray(option) ? option : Object.keys(option));
}

function settingsFor(option: BackendsOption | undefined, name: string): BackendSettings | undefined {
  return option && !Array.isArray(option) ? option[name] : undefined;
}

function nonEmpty<T>(values: T[]): T[] | undefined {
  return values.length > 0 ? values : undefined;
}
