import { describe, expect, it } from 'vitest';
import { isPluginError } from '../core/errors';
import {
  backendOfCudaVersion,
  CUDA_BACKEND,
  CUDA_VERSIONS,
  cudaVersionOfBackend,
  isBackendExtra,
  layerProjectBuildArgs,
  RECIPE_BUILD_ARGS,
  resolveBackends,
} from './backends';

describe('backend detection', () => {
  it('recognises PyTorch backend extras and nothing else', () => {
    expect(['cu118', 'cu124', 'cu128', 'cpu', 'rocm6.2', 'xpu'].every(isBackendExtra)).toBe(true);
    expect(['dev', 'cuda', 'docs', 'cu', 'gpu'].some(isBackendExtra)).toBe(false);
  });

  it('maps backends to nvidia/cuda versions that exist, and derives the rest', () => {
    expect(cudaVersionOfBackend('cu124')).toBe('12.4.1');
    expect(cudaVersionOfBackend('cu128')).toBe('12.8.0');
    expect(cudaVersionOfBackend('cu118')).toBe('11.8.0');
    expect(cudaVersionOfBackend('cu127')).toBe('12.7.0');
    expect(cudaVersionOfBackend('cpu')).toBeUndefined();
    expect(backendOfCudaVersion('12.4.1')).toBe('cu124');
    expect(backendOfCudaVersion('13.0.0')).toBe('cu130');
    expect(backendOfCudaVersion('latest')).toBeUndefined();
  });

  it('maps every backend of the CUDA version table to its version and back', () => {
    for (const [backend, version] of Object.entries(CUDA_VERSIONS)) {
      expect(CUDA_BACKEND.test(backend)).toBe(true);
      expect(cudaVersionOfBackend(backend)).toBe(version);
      expect(backendOfCudaVersion(version)).toBe(backend);
    }
    expect(CUDA_BACKEND.test('cpu')).toBe(false);
    expect(CUDA_BACKEND.test('cu1')).toBe(false);
  });

  it('takes the project extras as backends, with the recipe defaults as build args', () => {
    const backends = resolveBackends({ pyprojectFile: 'svc/pyproject.toml', extras: ['cu124', 'cu128', 'dev'] });
    expect(backends.map((backend) => backend.name)).toEqual(['cu124', 'cu128']);
    const recipeArgs = {
      CUDA_VERSION: '12.8.0',
      CUDA_VARIANT: 'cudnn',
      UBUNTU_VERSION: '22.04',
      CMAKE_VERSION: '3.26.1',
      TORCH_BACKEND: 'cu128',
    };
    expect(backends[1]).toEqual({ name: 'cu128', isExtra: true, buildArgs: recipeArgs, workspaceBuildArgs: recipeArgs });
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

  it("keeps the layers below the project's own as workspaceBuildArgs, and re-layers the project's over them", () => {
    const projectBuildArgs = { CUDA_VARIANT: 'devel', MAX_JOBS: '8' };
    const projectBackends = { cu128: { buildArgs: { CUDA_VERSION: '12.8.1' } } };
    const [backend] = resolveBackends({
      pyprojectFile: 'svc/pyproject.toml',
      extras: ['cu124', 'cu128'],
      projectBackends,
      projectBuildArgs,
      workspaceBackends: { cu128: { buildArgs: { UBUNTU_VERSION: '24.04' } } },
      workspaceBuildArgs: { CUDA_VARIANT: 'runtime' },
    });
    expect(backend.workspaceBuildArgs).toEqual({
      CUDA_VERSION: '12.8.0',
      CUDA_VARIANT: 'runtime',
      UBUNTU_VERSION: '24.04',
      CMAKE_VERSION: '3.26.1',
      TORCH_BACKEND: 'cu128',
    });
    expect(backend.buildArgs).toEqual({
      CUDA_VERSION: '12.8.1',
      CUDA_VARIANT: 'devel',
      UBUNTU_VERSION: '24.04',
      CMAKE_VERSION: '3.26.1',
      TORCH_BACKEND: 'cu128',
      MAX_JOBS: '8',
    });
    expect(layerProjectBuildArgs(backend.workspaceBuildArgs, 'cu128', projectBuildArgs, projectBackends)).toEqual(
      backend.buildArgs,
    );
  });

  it('layers project build args, then the backend settings of that backend only', () => {
    const workspace = { ...RECIPE_BUILD_ARGS, A: 'workspace' };
    expect(layerProjectBuildArgs(workspace, 'cu124', { A: 'project', B: 'project' }, { cu124: { buildArgs: { B: 'backend' } } })).toEqual({
      ...RECIPE_BUILD_ARGS,
      A: 'project',
      B: 'backend',
    });
    expect(layerProjectBuildArgs(workspace, 'cu128', undefined, { cu124: { buildArgs: { B: 'backend' } } })).toEqual(workspace);
    expect(layerProjectBuildArgs(workspace, 'cu124', undefined, ['cu124'])).toEqual(workspace);
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
    let thrown: unknown;
    try {
      resolve();
    } catch (error) {
      thrown = error;
    }
    expect(isPluginError(thrown, 'backend') && thrown.where).toEqual({ file: 'svc/pyproject.toml' });
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
