import { PluginError } from '../../core/errors';
import { cudaVersionOfBackend } from '../../model/backends';

/**
 * Versions the generators write. One place, so the template Dockerfile, the pyproject.toml files and the
 * docs agree. uv 0.10 is the first release where `extra-build-dependencies` (with `match-runtime`) is stable.
 */
export const GENERATOR_DEFAULTS = {
  backends: ['cu124', 'cu128'],
  pythonVersion: '3.12',
  uvVersion: '0.10.12',
  flashAttnVersion: '2.8.3',
  flashAttnBuild: 'match-runtime',
  cmakeVersion: '3.26.1',
  cudaVariant: 'cudnn',
  /**
   * The flavour of the prod image's nvidia/cuda base (`${CUDA_VERSION}-<flavour>-ubuntu${UBUNTU_VERSION}`): the CUDA
   * runtime with cuDNN, no compilers or toolkit. PyTorch wheels bring their own CUDA libraries, so `runtime` or
   * `base` also work (`--build-arg CUDA_RUNTIME_VARIANT=base`).
   */
  cudaRuntimeVariant: 'cudnn-runtime',
  ubuntuVersion: '22.04',
  /** Compute capabilities flash-attn compiles for (Ampere, Hopper); `FLASH_ATTN_CUDA_ARCHS` overrides it. */
  flashAttnCudaArchs: '80;90',
  maxJobs: '4',
  nvccThreads: '2',
} as const;

/** The template's file name: the recipe's own, kept so its command lines and docs still apply. */
export const DOCKERFILE_NAME = 'Dockerfile-cu124-uv';
export const DOCKERFILE_PATH = `docker/${DOCKERFILE_NAME}`;

/** The stages of the template, in file order: `docs/caching.md` draws them and a test parses the template into them. */
export const TEMPLATE_STAGES = ['base', 'deps-dev', 'deps-prod', 'wheel-dev', 'wheel-prod', 'wheels', 'dev', 'prod'] as const;

/** What compiling flash-attn without build isolation needs besides torch (pip runs the compile in the wheel stages). */
export const FLASH_ATTN_BUILD_REQUIREMENTS = ['ninja>=1.11', 'packaging>=24', 'psutil>=5.9', 'setuptools>=75', 'wheel>=0.44'];

/**
 * torch versions published on each backend's index (download.pytorch.org/whl/<backend>), as a range the
 * resolver picks the newest from; the lock then pins it. Backends not listed get an unconstrained `torch`.
 */
const TORCH_RANGES: Readonly<Record<string, string>> = {
  cu118: '>=2.1,<2.8',
  cu121: '>=2.1,<2.6',
  cu124: '>=2.4,<2.7',
  cu126: '>=2.6',
  cu128: '>=2.7',
  cu129: '>=2.8',
  cu130: '>=2.9',
};

export function torchRequirement(backend: string): string {
  return `torch${TORCH_RANGES[backend] ?? ''}`;
}

export function pytorchIndexName(backend: string): string {
  return `pytorch-${backend}`;
}

export function pytorchIndexUrl(backend: string): string {
  return `https://download.pytorch.org/whl/${backend}`;
}

/** The nvidia/cuda tag the template's ARG default takes for a CUDA backend (`cu124` → `12.4.1`). */
export function templateCudaVersion(backend: string): string {
  const version = cudaVersionOfBackend(backend);
  if (!version) throw new PluginError('options', `${backend} is not a CUDA backend (expected cuXYZ, e.g. cu124)`);
  return version;
}

/** `uv_build>=0.10.12,<0.11`: the build backend of the uv release the image pins, bounded to its minor series. */
export function uvBuildRequirement(uvVersion: string): string {
  const [major, minor] = uvVersion.split('.').map(Number);
  return `uv_build>=${uvVersion},<${major}.${minor + 1}`;
}
