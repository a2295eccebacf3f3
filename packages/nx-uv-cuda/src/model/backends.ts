import { PLUGIN_OPTIONS_WHERE, type BackendsOption, type BackendSettings } from '../config/plugin-options';
import { PluginError } from '../core/errors';
import { normalizeName } from '../python/names';
import type { PyProject } from '../python/pyproject';

/** One CUDA (or CPU/ROCm) flavour of a service: its images, wheel and lock slice are built per backend. */
export interface Backend {
  name: string;
  /** What selects the backend in the lock: one of the project's extras, one of its dependency groups, or nothing. */
  via: 'extra' | 'group' | 'none';
  /** Where the backend came from, for `nx show project`: "extra cu128 of services/ml/pyproject.toml". */
  source: string;
  /** Named after what the project always installs, for lack of declared backends (Dockerfiles per accelerator replace it). */
  implicit?: true;
  /** The PyTorch wheel flavour it installs (`cu128`, `rocm6.2`, `cpu`), when that can be read. */
  torchTag?: string;
  /** Build args below the Dockerfile's own rules: the recipe's defaults and what the name or torch tag implies. */
  derivedBuildArgs: Record<string, string>;
  /** nx.json's `buildArgs` and this backend's, over the Dockerfile rules. */
  workspaceBuildArgs: Record<string, string>;
  /** `[tool.nx-uv-cuda]` build args (and this backend's): they always win. */
  projectBuildArgs: Record<string, string>;
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

/** Names that say "accelerator": the one pattern for extras, groups and Dockerfile names alike. */
const ACCELERATOR = /^(cu\d{3,}|cpu|gpu|cuda\d*|rocm[\d.]*|amd|xpu|mps|tpu|npu)$/;

/** PyTorch's wheel flavours, as its index paths and local versions spell them: cu128, rocm6.2, cpu, xpu. */
const TORCH_FLAVOUR = String.raw`(cu\d{3,}|rocm[\d.]+|cpu|xpu)`;

/** The wheel flavour an accelerator index serves: `https://download.pytorch.org/whl/cu128` → `cu128`. */
const INDEX_FLAVOUR = new RegExp(String.raw`/whl/${TORCH_FLAVOUR}(?:/|$)`);
/** A name that starts with a flavour (`cu128_torch27`), and one that holds it (`cosmos-cu128-torch27`). */
const FLAVOUR_NAME = new RegExp(`^${TORCH_FLAVOUR}(?:$|[-_])`);
const FLAVOUR_IN_NAME = new RegExp(`(?:^|[-_])${TORCH_FLAVOUR}(?:[-_]|$)`);

export function isAcceleratorName(name: string): boolean {
  return ACCELERATOR.test(name);
}

/** `cu128`, `cuda`, `cuda12`, `gpu` → `cuda`; `rocm6.2` → `rocm`; the others are their own family. */
export function acceleratorFamily(name: string): string | undefined {
  if (!ACCELERATOR.test(name)) return undefined;
  if (/^(cu\d|cuda|gpu)/.test(name)) return 'cuda';
  if (name.startsWith('rocm') || name === 'amd') return 'rocm';
  return name;
}

/** The CUDA major version a backend name or torch tag implies: `cu128` → 12, `cuda13` → 13. */
export function cudaMajorOf(name: string | undefined): number | undefined {
  const match = /^cu(\d+)\d$/.exec(name ?? '') ?? /^cuda(\d+)$/.exec(name ?? '');
  return match ? Number(match[1]) : undefined;
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

/** Where `[tool.uv.sources]` sends packages: per extra, per group, and unconditionally (by wheel flavour). */
export interface AcceleratorRoutes {
  extras: Record<string, string>;
  groups: Record<string, string>;
  always?: string;
}

/** The accelerator indexes `[tool.uv.sources]` routes packages (torch and the like) to, read with `[[tool.uv.index]]`. */
export function acceleratorRoutes(pyproject: Pick<PyProject, 'uvSources' | 'uvIndexes'>): AcceleratorRoutes {
  const routes: AcceleratorRoutes = { extras: {}, groups: {} };
  for (const sources of Object.values(pyproject.uvSources)) {
    for (const source of sources) {
      if (!('other' in source) || source.index === undefined) continue;
      const flavour =
        INDEX_FLAVOUR.exec(pyproject.uvIndexes[source.index] ?? '')?.[1] ??
        flavourOfIndexName(source.index) ??
        (source.extra === undefined ? undefined : torchTagOfName(source.extra));
      if (!flavour) continue;
      if (source.extra !== undefined) routes.extras[source.extra] ??= flavour;
      else if (source.group !== undefined) routes.groups[source.group] ??= flavour;
      else routes.always ??= flavour;
    }
  }
  return routes;
}

/** `pytorch-cu128`, `cosmos-cu128-torch27` → `cu128`: for an index whose URL is not in this file or names no flavour. */
function flavourOfIndexName(name: string): string | undefined {
  return FLAVOUR_IN_NAME.exec(name)?.[1];
}

export interface BackendSources {
  /** Where an error should point: the pyproject file. */
  pyprojectFile: string;
  extras: string[];
  groups: string[];
  routes: AcceleratorRoutes;
  /** The local version of the locked torch (`2.7.0+cu128` → `cu128`), when the lock has exactly one. */
  lockedTorchTag?: string;
  projectBackends?: BackendsOption;
  workspaceBackends?: BackendsOption;
  projectBuildArgs?: Record<string, string>;
  workspaceBuildArgs?: Record<string, string>;
  /** The CUDA version the Dockerfile builds on by default (CUDA_VERSION, or its nvidia/cuda base), to name the backend of a project that declares none. */
  dockerfileCudaVersion?: string;
}

interface Candidate {
  name: string;
  via: Backend['via'];
  source: string;
  torchTag?: string;
  implicit?: true;
}

/**
 * Which backends a project builds, and each one's build-arg layers. The set comes from the first of:
 * `[tool.nx-uv-cuda].backends`; the extras and dependency groups that name an accelerator or route torch to an
 * accelerator index; the plugin's `backends` option; the one accelerator the project always installs (an index
 * every torch comes from, the locked torch's `+cu128`, the Dockerfile's CUDA_VERSION); one `default` backend.
 */
export function resolveBackends(sources: BackendSources): Backend[] {
  const file = sources.pyprojectFile;
  const declared = declaredBackends(sources);
  const candidates =
    explicit(sources.projectBackends, declared, `${file}: [tool.nx-uv-cuda].backends`, sources) ??
    nonEmpty(declared) ??
    explicit(sources.workspaceBackends, declared, `${PLUGIN_OPTIONS_WHERE}: backends`, sources) ?? [
      { ...implicitBackend(sources), implicit: true },
    ];

  return candidates.map((candidate) => {
    const { name } = candidate;
    const torchTag = candidate.torchTag ?? (acceleratorFamily(name) === 'cuda' ? cudaTagOf(sources) : undefined);
    const backend: Backend = {
      ...candidate,
      ...(torchTag && { torchTag }),
      derivedBuildArgs: { ...RECIPE_BUILD_ARGS, ...impliedBuildArgs(name, torchTag) },
      workspaceBuildArgs: { ...sources.workspaceBuildArgs, ...settingsFor(sources.workspaceBackends, name)?.buildArgs },
      projectBuildArgs: { ...sources.projectBuildArgs, ...settingsFor(sources.projectBackends, name)?.buildArgs },
    };
    return backend;
  });
}

/** Extras and groups that name an accelerator, or that `[tool.uv.sources]` routes to an accelerator index. */
function declaredBackends(sources: BackendSources): Candidate[] {
  const fromExtras = sources.extras.flatMap((extra): Candidate[] => {
    const routed = sources.routes.extras[normalizeName(extra)];
    if (!isAcceleratorName(extra) && !routed) return [];
    const why = routed ? `, which routes torch to the ${routed} index` : '';
    return [{ name: extra, via: 'extra', source: `extra ${extra} of ${sources.pyprojectFile}${why}`, torchTag: routed ?? torchTagOfName(extra) }];
  });
  const fromGroups = sources.groups.flatMap((group): Candidate[] => {
    const routed = sources.routes.groups[group];
    if (!isAcceleratorName(group) && !routed) return [];
    const why = routed ? `, which routes torch to the ${routed} index` : '';
    return [{ name: group, via: 'group', source: `dependency group ${group} of ${sources.pyprojectFile}${why}`, torchTag: routed ?? torchTagOfName(group) }];
  });
  return [...fromExtras, ...fromGroups];
}

/**
 * Backends named in options: one that is an extra or a dependency group of the project is selected by it; any
 * other must name an accelerator (or set CUDA_VERSION) and, where the project declares accelerator backends, be one.
 */
function explicit(option: BackendsOption | undefined, declared: Candidate[], key: string, sources: BackendSources): Candidate[] | undefined {
  const names = backendNames(option);
  if (!names) return undefined;
  const file = sources.pyprojectFile;
  return names.map((name): Candidate => {
    const match = declared.find((candidate) => candidate.name === name);
    if (match) return { ...match, source: `${key} (${match.source})` };
    if (sources.extras.includes(name)) return { name, via: 'extra', source: `${key}: extra ${name} of ${file}`, torchTag: torchTagOfName(name) };
    if (sources.groups.includes(name)) return { name, via: 'group', source: `${key}: dependency group ${name} of ${file}`, torchTag: torchTagOfName(name) };
    const setsCuda = [settingsFor(option, name)?.buildArgs, sources.projectBuildArgs, sources.workspaceBuildArgs].some(
      (args) => args?.CUDA_VERSION !== undefined,
    );
    if (!isAcceleratorName(name) && !setsCuda) {
      throw backendError(
        file,
        `${key}: unknown backend "${name}": expected cuXYZ (e.g. cu124), cpu, gpu, cuda, xpu or rocmX.Y, ` +
          'an extra or dependency group of the project, or a backend that sets build-args.CUDA_VERSION',
      );
    }
    if (declared.length > 0) {
      throw backendError(
        file,
        `${key}: backend "${name}" is not an extra or dependency group of the project: ` +
          `expected one of its backends (${declared.map((candidate) => candidate.name).join(', ')})`,
      );
    }
    return { name, via: 'none', source: key, torchTag: torchTagOfName(name) };
  });
}

/** The one backend of a project that declares none: named after what it always installs. */
function implicitBackend(sources: BackendSources): Candidate {
  if (sources.routes.always) {
    return { name: sources.routes.always, via: 'none', source: `${sources.pyprojectFile} takes torch from the ${sources.routes.always} index`, torchTag: sources.routes.always };
  }
  if (sources.lockedTorchTag) {
    return { name: sources.lockedTorchTag, via: 'none', source: `the lock resolves torch to +${sources.lockedTorchTag}`, torchTag: sources.lockedTorchTag };
  }
  const fromDockerfile = sources.dockerfileCudaVersion && backendOfCudaVersion(sources.dockerfileCudaVersion);
  if (fromDockerfile) {
    return { name: fromDockerfile, via: 'none', source: `the Dockerfile builds on CUDA ${sources.dockerfileCudaVersion}`, torchTag: fromDockerfile };
  }
  return { name: 'default', via: 'none', source: 'no backend declared: one default backend' };
}

/** The CUDA torch flavour a generic CUDA backend (`cuda`, `gpu`) installs: an index route, else the lock. */
function cudaTagOf(sources: BackendSources): string | undefined {
  const routed = sources.routes.always ?? Object.values(sources.routes.extras).find((tag) => tag.startsWith('cu'));
  return routed ?? sources.lockedTorchTag;
}

/** `cu128`, `cu128_torch27`, `rocm6.2` → their wheel flavour. */
export function torchTagOfName(name: string): string | undefined {
  return FLAVOUR_NAME.exec(name)?.[1];
}

/** What a backend's name and torch flavour imply: TORCH_BACKEND, and CUDA_VERSION for a CUDA flavour. */
function impliedBuildArgs(name: string, torchTag: string | undefined): Record<string, string> {
  if (name === 'default') return {};
  const cudaVersion = cudaVersionOfBackend(torchTag ?? name);
  return { TORCH_BACKEND: torchTag ?? name, ...(cudaVersion && { CUDA_VERSION: cudaVersion }) };
}

/**
 * A backend's build args below the project's own: derived, then the Dockerfile rules, then nx.json's. The keys
 * target gets these as options and lays `[tool.nx-uv-cuda]` over them at run time (layerProjectBuildArgs).
 */
export function baseBuildArgs(backend: Backend, dockerfileRules: Record<string, string> = {}): Record<string, string> {
  return { ...backend.derivedBuildArgs, ...dockerfileRules, ...backend.workspaceBuildArgs };
}

/** Every build arg a backend passes: its base layers, then the project's (which always win). */
export function layeredBuildArgs(backend: Backend, dockerfileRules: Record<string, string> = {}): Record<string, string> {
  return { ...baseBuildArgs(backend, dockerfileRules), ...backend.projectBuildArgs };
}

/** The project's own layers over the rest: `[tool.nx-uv-cuda].build-args`, then the backend's own. */
export function layerProjectBuildArgs(
  baseBuildArgs: Record<string, string>,
  backend: string,
  projectBuildArgs: Record<string, string> | undefined,
  projectBackends: BackendsOption | undefined,
): Record<string, string> {
  return { ...baseBuildArgs, ...projectBuildArgs, ...settingsFor(projectBackends, backend)?.buildArgs };
}

function backendError(file: string, message: string): PluginError {
  return new PluginError('backend', message, { file });
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
