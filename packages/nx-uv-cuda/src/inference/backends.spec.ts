import { describe, expect, it } from 'vitest';
import { backendForCudaVersion, BackendError, cudaVersionFor, isBackendExtra, resolveBackends } from './backends';

describe('backend detection', () => {
  it('recognises PyTorch backend extras and nothing else', () => {
    expect(['cu118', 'cu124', 'cu128', 'cpu', 'rocm6.2', 'xpu'].every(isBackendExtra)).toBe(true);
    expect(['dev', 'cuda', 'docs', 'cu', 'gpu'].some(isBackendExtra)).toBe(false);
  });

  it('maps backends to nvidia/cuda versions that exist, and derives the rest', () => {
    expect(cudaVersionFor('cu124')).toBe('12.4.1');
    expect(cudaVersionFor('cu128')).toBe('12.8.0');
    expect(cudaVersionFor('cu118')).toBe('11.8.0');
    expect(cudaVersionFor('cu127')).toBe('12.7.0');
    expect(cudaVersionFor('cpu')).toBeUndefined();
    expect(backendForCudaVersion('12.4.1')).toBe('cu124');
  });

  it('takes the project extras as backends, with the recipe defaults as build args', () => {
    const backends = resolveBackends({ pyprojectFile: 'svc/pyproject.toml', extras: ['cu124', 'cu128', 'dev'] });
    expect(backends.map((backend) => backend.name)).toEqual(['cu124', 'cu128']);
    expect(backends[1]).toEqual({
      name: 'cu128',
      isExtra: true,
      buildArgs: {
        CUDA_VERSION: '12.8.0',
        CUDA_VARIANT: 'cudnn',
        UBUNTU_VERSION: '22.04',
        CMAKE_VERSION: '3.26.1',
        TORCH_BACKEND: 'cu128',
      },
    });
  });

  it('lets [tool.nx-uv-cuda] pick backends and override build args over the workspace options', () => {
    const [backend] = resolveBackends({
      pyprojectFile: 'svc/pyproject.toml',
      extras: ['cu124', 'cu128'],
      projectBackends: { cu128: { buildArgs: { CUDA_VERSION: '12.8.1' } } },
      workspaceBackends: { cu128: { buildArgs: { CUDA_VERSION: '12.8.0', UBUNTU_VERSION: '24.04' } } },
      workspaceBuildArgs: { CUDA_VARIANT: 'runtime' },
    });
    expect(backend.name).toBe('cu128');
    expect(backend.buildArgs).toMatchObject({ CUDA_VERSION: '12.8.1', UBUNTU_VERSION: '24.04', CUDA_VARIANT: 'runtime' });
  });

  it('names the single backend of a project without any after the Dockerfile CUDA_VERSION', () => {
    const [backend] = resolveBackends({ pyprojectFile: 'p/pyproject.toml', extras: [], dockerfileCudaVersion: '12.4.1' });
    expect(backend).toMatchObject({ name: 'cu124', isExtra: false });
    const [fallback] = resolveBackends({ pyprojectFile: 'p/pyproject.toml', extras: [] });
    expect(fallback.name).toBe('default');
    expect(fallback.buildArgs.TORCH_BACKEND).toBeUndefined();
  });

  it('rejects an unknown backend with the file, the key and what was expected', () => {
    const resolve = () =>
      resolveBackends({ pyprojectFile: 'svc/pyproject.toml', extras: [], projectBackends: ['gpu-fast'] });
    expect(resolve).toThrow(BackendError);
    expect(resolve).toThrow(/svc\/pyproject.toml: \[tool.nx-uv-cuda\].backends: unknown backend "gpu-fast": expected cuXYZ/);
  });

  it('rejects a backend that is not one of the project backend extras', () => {
    const resolve = () =>
      resolveBackends({ pyprojectFile: 'svc/pyproject.toml', extras: ['cu124', 'cu128'], projectBackends: ['cu126'] });
    expect(resolve).toThrow(/backend "cu126" is not an extra of the project: expected one of .*\(cu124, cu128\)/);
  });

  it('accepts a custom backend that sets CUDA_VERSION itself', () => {
    const [backend] = resolveBackends({
      pyprojectFile: 'svc/pyproject.toml',
      extras: [],
      projectBackends: { hopper: { buildArgs: { CUDA_VERSION: '12.6.3' } } },
    });
    expect(backend.buildArgs.CUDA_VERSION).toBe('12.6.3');
  });
});
