import { describe, expect, it } from 'vitest';
import { isPluginError } from '../core/errors';
import { parsePyproject } from '../python/pyproject';
import {
  acceleratorFamily,
  acceleratorRoutes,
  backendOfCudaVersion,
  baseBuildArgs,
  CUDA_BACKEND,
  CUDA_VERSIONS,
  cudaMajorOf,
  cudaVersionOfBackend,
  isAcceleratorName,
  layeredBuildArgs,
  layerProjectBuildArgs,
  RECIPE_BUILD_ARGS,
  resolveBackends,
  type BackendSources,
} from './backends';

const FILE = 'svc/pyproject.toml';
const NO_ROUTES = { extras: {}, groups: {} };
const sources = (more: Partial<BackendSources> = {}): BackendSources => ({
  pyprojectFile: FILE,
  extras: [],
  groups: [],
  routes: NO_ROUTES,
  ...more,
});
const toml = (...lines: string[]) => parsePyproject(`${['[project]', 'name = "svc"', ...lines].join('\n')}\n`, FILE);

describe('isAcceleratorName', () => {
  it('accepts the exact accelerator names', () => {
    const names = ['cu118', 'cu124', 'cu128', 'cu130', 'cpu', 'gpu', 'cuda', 'cuda12', 'rocm', 'rocm6.2', 'amd', 'xpu', 'mps', 'tpu', 'npu'];
    expect(names.filter((name) => !isAcceleratorName(name))).toEqual([]);
  });

  it('refuses other names, and names that only contain an accelerator', () => {
    const names = ['dev', 'docs', 'cu', 'cu12', 'gpu-fast', 'cpu-only', 'cu128_torch27', 'cuda-12', 'CUDA', 'torch-cu128', 'hopper'];
    expect(names.filter(isAcceleratorName)).toEqual([]);
  });
});

describe('acceleratorFamily and cudaMajorOf', () => {
  it('puts cuXYZ, cuda, cudaNN and gpu in the cuda family, rocm and amd in rocm, the others in their own', () => {
    expect(['cu128', 'cu118', 'cuda', 'cuda12', 'gpu'].map(acceleratorFamily)).toEqual(['cuda', 'cuda', 'cuda', 'cuda', 'cuda']);
    expect(['rocm6.2', 'rocm', 'amd'].map(acceleratorFamily)).toEqual(['rocm', 'rocm', 'rocm']);
    expect(['cpu', 'xpu', 'mps'].map(acceleratorFamily)).toEqual(['cpu', 'xpu', 'mps']);
    expect(acceleratorFamily('dev')).toBeUndefined();
  });

  it('reads the CUDA major of cuXYZ and cudaNN only', () => {
    expect([cudaMajorOf('cu128'), cudaMajorOf('cu118'), cudaMajorOf('cu130'), cudaMajorOf('cuda13')]).toEqual([12, 11, 13, 13]);
    expect([cudaMajorOf('cuda'), cudaMajorOf('cpu'), cudaMajorOf('gpu'), cudaMajorOf(undefined)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('acceleratorRoutes', () => {
  it('reads the flavour from the [[tool.uv.index]] URL, per extra, per group and unconditionally', () => {
    const pyproject = toml(
      '[tool.uv.sources]',
      'torch = [{ index = "gpu-wheels", extra = "gpu" }, { index = "small", group = "lite" }]',
      'torchvision = { index = "all" }',
      '[[tool.uv.index]]',
      'name = "gpu-wheels"',
      'url = "https://download.pytorch.org/whl/cu128"',
      '[[tool.uv.index]]',
      'name = "small"',
      'url = "https://download.pytorch.org/whl/cpu/"',
      '[[tool.uv.index]]',
      'name = "all"',
      'url = "https://download.pytorch.org/whl/rocm6.2"',
    );
    expect(acceleratorRoutes(pyproject)).toEqual({ extras: { gpu: 'cu128' }, groups: { lite: 'cpu' }, always: 'rocm6.2' });
  });

  it('prefers the URL over the index name', () => {
    const pyproject = toml(
      '[tool.uv.sources]',
      'torch = { index = "pytorch-cu126", extra = "cuda" }',
      '[[tool.uv.index]]',
      'name = "pytorch-cu126"',
      'url = "https://download.pytorch.org/whl/cu128"',
    );
    expect(acceleratorRoutes(pyproject).extras).toEqual({ cuda: 'cu128' });
  });

  it('reads the flavour from the index name when the URL names none or is not in the file', () => {
    const pyproject = toml(
      '[tool.uv.sources]',
      'torch = [{ index = "pytorch-cu128", extra = "gpu" }, { index = "cosmos-cu126-torch27", extra = "cosmos" }]',
      '[[tool.uv.index]]',
      'name = "cosmos-cu126-torch27"',
      'url = "https://example.com/simple"',
    );
    expect(acceleratorRoutes(pyproject).extras).toEqual({ gpu: 'cu128', cosmos: 'cu126' });
  });

  it("reads the flavour from the extra's name when neither the URL nor the index name says one", () => {
    const pyproject = toml(
      '[tool.uv.sources]',
      'torch = [{ index = "mirror", extra = "cu128_torch27" }, { index = "mirror", extra = "docs" }]',
      '[[tool.uv.index]]',
      'name = "mirror"',
      'url = "https://example.com/simple"',
    );
    expect(acceleratorRoutes(pyproject)).toEqual({ extras: { 'cu128-torch27': 'cu128' }, groups: {} });
  });

  it('ignores workspace, path, git sources and indexes of no accelerator', () => {
    const pyproject = toml(
      '[tool.uv.sources]',
      'shared = { workspace = true }',
      'local = { path = "../local" }',
      'kernels = { git = "https://github.com/acme/kernels" }',
      'numpy = { index = "internal" }',
      '[[tool.uv.index]]',
      'name = "internal"',
      'url = "https://pypi.internal/simple"',
    );
    expect(acceleratorRoutes(pyproject)).toEqual({ extras: {}, groups: {} });
  });
});

describe('CUDA versions', () => {
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
});

describe('resolveBackends: which backends', () => {
  const names = (more: Partial<BackendSources>) => resolveBackends(sources(more)).map((backend) => [backend.name, backend.via]);

  it('takes [tool.nx-uv-cuda].backends first, keeping how a declared one is selected', () => {
    expect(names({ extras: ['cu124', 'cu128'], projectBackends: ['cu128'], workspaceBackends: ['cu124'] })).toEqual([['cu128', 'extra']]);
    const [backend] = resolveBackends(sources({ extras: ['cu124', 'cu128'], projectBackends: ['cu128'] }));
    expect(backend.source).toBe(`${FILE}: [tool.nx-uv-cuda].backends (extra cu128 of ${FILE})`);
  });

  it('else takes the extras and groups that name an accelerator, extras first', () => {
    expect(names({ extras: ['cu124', 'dev', 'cu128'], groups: ['cpu', 'lint'] })).toEqual([
      ['cu124', 'extra'],
      ['cu128', 'extra'],
      ['cpu', 'group'],
    ]);
  });

  it('else takes extras and groups routed to an accelerator index, with the flavour as torchTag', () => {
    const routes = { extras: { 'cu128-torch27': 'cu128' }, groups: { 'gpu-stack': 'cu126' } };
    const backends = resolveBackends(sources({ extras: ['cu128_torch27', 'docs'], groups: ['gpu-stack'], routes }));
    expect(backends.map(({ name, via, torchTag }) => ({ name, via, torchTag }))).toEqual([
      { name: 'cu128_torch27', via: 'extra', torchTag: 'cu128' },
      { name: 'gpu-stack', via: 'group', torchTag: 'cu126' },
    ]);
    expect(backends[0].source).toBe(`extra cu128_torch27 of ${FILE}, which routes torch to the cu128 index`);
    expect(backends[0].derivedBuildArgs).toMatchObject({ TORCH_BACKEND: 'cu128', CUDA_VERSION: '12.8.0' });
  });

  it('prefers declared backends over the workspace option, which applies when the project declares none', () => {
    expect(names({ extras: ['cu128'], workspaceBackends: ['cu124'] })).toEqual([['cu128', 'extra']]);
    expect(names({ workspaceBackends: ['cu124', 'cpu'] })).toEqual([
      ['cu124', 'none'],
      ['cpu', 'none'],
    ]);
    expect(resolveBackends(sources({ workspaceBackends: { cu124: {} } }))[0].source).toBe('nx.json plugins["nx-uv-cuda"].options: backends');
  });

  it('else names ONE implicit backend: the index torch always comes from, the locked +tag, the Dockerfile CUDA, default', () => {
    const implicit = (more: Partial<BackendSources>) => {
      const backends = resolveBackends(sources(more));
      expect(backends).toHaveLength(1);
      return { name: backends[0].name, via: backends[0].via, torchTag: backends[0].torchTag };
    };
    const all = { routes: { ...NO_ROUTES, always: 'cu126' }, lockedTorchTag: 'cu124', dockerfileCudaVersion: '12.8.0' };
    expect(implicit(all)).toEqual({ name: 'cu126', via: 'none', torchTag: 'cu126' });
    expect(implicit({ ...all, routes: NO_ROUTES })).toEqual({ name: 'cu124', via: 'none', torchTag: 'cu124' });
    expect(implicit({ dockerfileCudaVersion: '12.8.0' })).toEqual({ name: 'cu128', via: 'none', torchTag: 'cu128' });
    expect(implicit({ dockerfileCudaVersion: 'latest' })).toEqual({ name: 'default', via: 'none', torchTag: undefined });
    expect(implicit({ extras: ['dev', 'docs'], groups: ['test'] })).toEqual({ name: 'default', via: 'none', torchTag: undefined });
  });

  it('gives a generic cuda or gpu backend the torch tag of the routes or the lock, and the CUDA_VERSION it implies', () => {
    const [cuda] = resolveBackends(sources({ extras: ['cuda'], routes: { ...NO_ROUTES, always: 'cu126' } }));
    expect(cuda).toMatchObject({ name: 'cuda', via: 'extra', torchTag: 'cu126' });
    expect(cuda.derivedBuildArgs).toMatchObject({ TORCH_BACKEND: 'cu126', CUDA_VERSION: '12.6.3' });
    const [gpu, cpu] = resolveBackends(sources({ extras: ['gpu', 'cpu'], lockedTorchTag: 'cu128' }));
    expect(gpu).toMatchObject({ torchTag: 'cu128', derivedBuildArgs: { TORCH_BACKEND: 'cu128', CUDA_VERSION: '12.8.0' } });
    expect(cpu.torchTag).toBe('cpu');
    expect(cpu.derivedBuildArgs).toEqual({ ...RECIPE_BUILD_ARGS, TORCH_BACKEND: 'cpu' });
    const [bare] = resolveBackends(sources({ groups: ['cuda'] }));
    expect(bare).toMatchObject({ via: 'group', derivedBuildArgs: { TORCH_BACKEND: 'cuda' } });
    expect(bare.torchTag).toBeUndefined();
    expect(bare.derivedBuildArgs.CUDA_VERSION).toBeUndefined();
  });
});

describe('resolveBackends: build-arg layers', () => {
  it('derives the recipe defaults, TORCH_BACKEND and CUDA_VERSION from the name, and keeps the option layers apart', () => {
    const [, backend] = resolveBackends(sources({ extras: ['cu124', 'cu128', 'dev'] }));
    expect(backend).toEqual({
      name: 'cu128',
      via: 'extra',
      source: `extra cu128 of ${FILE}`,
      torchTag: 'cu128',
      derivedBuildArgs: { ...RECIPE_BUILD_ARGS, TORCH_BACKEND: 'cu128', CUDA_VERSION: '12.8.0' },
      workspaceBuildArgs: {},
      projectBuildArgs: {},
    });
  });

  it('derives only the recipe defaults for the default backend', () => {
    const [fallback] = resolveBackends(sources());
    expect(fallback.derivedBuildArgs).toEqual(RECIPE_BUILD_ARGS);
  });

  it('lays derived < Dockerfile rules < workspace, then the project on top', () => {
    const projectBuildArgs = { CUDA_VARIANT: 'devel', MAX_JOBS: '8' };
    const projectBackends = { cu128: { buildArgs: { CUDA_VERSION: '12.8.1' } } };
    const [backend] = resolveBackends(
      sources({
        extras: ['cu124', 'cu128'],
        projectBackends,
        projectBuildArgs,
        workspaceBackends: { cu128: { buildArgs: { UBUNTU_VERSION: '24.04' } } },
        workspaceBuildArgs: { CUDA_VARIANT: 'runtime' },
      }),
    );
    expect(backend.workspaceBuildArgs).toEqual({ CUDA_VARIANT: 'runtime', UBUNTU_VERSION: '24.04' });
    expect(backend.projectBuildArgs).toEqual({ CUDA_VARIANT: 'devel', MAX_JOBS: '8', CUDA_VERSION: '12.8.1' });
    const rules = { CUDA_VERSION: '12.8.2', UBUNTU_VERSION: '20.04', EXTRA: 'cu128' };
    expect(baseBuildArgs(backend, rules)).toEqual({
      ...RECIPE_BUILD_ARGS,
      TORCH_BACKEND: 'cu128',
      CUDA_VERSION: '12.8.2',
      CUDA_VARIANT: 'runtime',
      UBUNTU_VERSION: '24.04',
      EXTRA: 'cu128',
    });
    expect(layeredBuildArgs(backend, rules)).toEqual({
      ...baseBuildArgs(backend, rules),
      CUDA_VERSION: '12.8.1',
      CUDA_VARIANT: 'devel',
      MAX_JOBS: '8',
    });
    expect(layerProjectBuildArgs(baseBuildArgs(backend, rules), 'cu128', projectBuildArgs, projectBackends)).toEqual(
      layeredBuildArgs(backend, rules),
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
});

describe('resolveBackends: errors', () => {
  const thrown = (resolve: () => unknown): unknown => {
    try {
      resolve();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it('rejects an unknown backend with the file, the key and what was expected', () => {
    const resolve = () => resolveBackends(sources({ projectBackends: ['gpu-fast'] }));
    const error = thrown(resolve);
    expect(isPluginError(error, 'backend') && error.where).toEqual({ file: FILE });
    expect(resolve).toThrow(/svc\/pyproject.toml: \[tool.nx-uv-cuda\].backends: unknown backend "gpu-fast": expected cuXYZ/);
  });

  it('rejects an explicit backend that is not one of the declared extras or groups', () => {
    const resolve = () => resolveBackends(sources({ extras: ['cu124'], groups: ['cu128'], projectBackends: ['cu126'] }));
    expect(isPluginError(thrown(resolve), 'backend')).toBe(true);
    expect(resolve).toThrow(/backend "cu126" is not an extra or dependency group of the project: expected one of its backends \(cu124, cu128\)/);
  });

  it('accepts a custom backend that sets CUDA_VERSION itself, in the project or the workspace options', () => {
    const [backend] = resolveBackends(sources({ projectBackends: { hopper: { buildArgs: { CUDA_VERSION: '12.6.3' } } } }));
    expect(layeredBuildArgs(backend).CUDA_VERSION).toBe('12.6.3');
    const [viaWorkspace] = resolveBackends(sources({ projectBackends: ['hopper'], workspaceBuildArgs: { CUDA_VERSION: '12.6.3' } }));
    expect(viaWorkspace.name).toBe('hopper');
  });

  // Suspected bug: an unknown backend from nx.json's `backends` option is reported as if [tool.nx-uv-cuda] named it.
  it('says where an unknown backend came from when the workspace option names it', () => {
    expect(() => resolveBackends(sources({ workspaceBackends: ['gpu-fast'] }))).toThrow(/^nx\.json plugins\["nx-uv-cuda"\]\.options: backends: unknown backend "gpu-fast"/);
  });

  // Suspected bug: an explicit backend that IS one of the project's extras, but whose name is no accelerator, is
  // refused as "not an extra or dependency group of the project" as soon as another extra names an accelerator.
  it('accepts an explicit backend that is a declared extra without an accelerator name', () => {
    const [backend] = resolveBackends(sources({ extras: ['cu128', 'hopper'], projectBackends: ['hopper'], projectBuildArgs: { CUDA_VERSION: '12.8.0' } }));
    expect(backend).toMatchObject({ name: 'hopper', via: 'extra' });
  });
});
