import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stageNamesSchema } from '../config/plugin-options';
import { edit } from '../__fixtures__/edit';
import { parseDockerfile } from '../docker/parse-dockerfile';
import type { LockSliceFile } from '../model/task-files';
import { computeBuildKeys, serializeKey, type BuildKeyInputs, type SliceFile } from './build-keys';

const recipe = readFileSync(join(__dirname, '..', 'docker', '__fixtures__', 'recipe.Dockerfile'), 'utf8');

const pkg = (name: string, version: string, source = 'registry+https://pypi.org/simple') => ({
  name,
  version,
  source,
  hashes: [`sha256:${name}-${version}`],
});

function slice(packages: LockSliceFile['packages'], kind: 'dev' | 'prod' = 'prod'): SliceFile {
  const data: LockSliceFile = { lockFile: 'uv.lock', project: 'svc', backend: 'cu124', kind, requiresPython: '>=3.11', packages };
  return { text: JSON.stringify(data), data };
}

const prodPackages = [
  pkg('flash-attn', '2.7.4'),
  pkg('numpy', '2.1.0'),
  pkg('setuptools', '75.0.0'),
  pkg('torch', '2.5.1+cu124', 'registry+https://download.pytorch.org/whl/cu124'),
];

function inputs(overrides: Partial<BuildKeyInputs> = {}, dockerfile = recipe): BuildKeyInputs {
  return {
    model: parseDockerfile(dockerfile, 'Dockerfile'),
    stages: stageNamesSchema.parse({}),
    buildArgs: { CUDA_VERSION: '12.4.1', TORCH_BACKEND: 'cu124', MAX_JOBS: '4' },
    wheel: { package: 'flash-attn', buildRequirements: ['setuptools', 'ninja'] },
    slices: { dev: slice([...prodPackages, pkg('pytest', '8.3.0')], 'dev'), prod: slice(prodPackages) },
    copiedFiles: (stages, forWheel) =>
      Object.fromEntries(
        stages.flatMap((stage) => stage.sources.flatMap((source) => (source.from ? [] : source.paths)))
          .filter((path) => !(forWheel && /pyproject\.toml|uv\.lock/.test(path)))
          .map((path) => [path, `hash-of-${path}`]),
      ),
    ...overrides,
  };
}

const keysOf = (overrides: Partial<BuildKeyInputs> = {}, dockerfile?: string) => {
  const keys = computeBuildKeys(inputs(overrides, dockerfile));
  return {
    wheel: serializeKey(keys.wheel!),
    dev: serializeKey(keys.dev),
    prod: serializeKey(keys.prod),
  };
};

const base = keysOf();

describe('the wheel key', () => {
  const wheel = computeBuildKeys(inputs()).wheel!;

  it('holds the stages from the base to the wheel stage, their ARG values and the base image', () => {
    expect(wheel.stages.map((stage) => stage.name)).toEqual(['base', 'deps-prod', 'wheel-prod']);
    expect(wheel.baseImages).toEqual(['nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04']);
    expect(wheel.args).toEqual({
      CMAKE_VERSION: '3.26.1',
      CUDA_VARIANT: 'cudnn',
      CUDA_VERSION: '12.4.1',
      FLASH_ATTN_VERSION: '2.7.4',
      TORCH_BACKEND: 'cu124',
      UBUNTU_VERSION: '22.04',
    });
  });

  it('holds only torch, the wheel package and its build requirements from the lock', () => {
    expect(wheel.packages.map((entry) => entry.name)).toEqual(['flash-attn', 'setuptools', 'torch']);
    expect(wheel.requiresPython).toBe('>=3.11');
  });

  it('takes build tools that only a dependency group (in the dev slice) pins', () => {
    const withBuildGroup = computeBuildKeys(
      inputs({ slices: { dev: slice([...prodPackages, pkg('ninja', '1.11.1')], 'dev'), prod: slice(prodPackages) } }),
    ).wheel!;
    expect(withBuildGroup.packages.map((entry) => entry.name)).toEqual(['flash-attn', 'ninja', 'setuptools', 'torch']);
    const bumped = keysOf({ slices: { dev: slice([...prodPackages, pkg('ninja', '1.12.0')], 'dev'), prod: slice(prodPackages) } });
    expect(bumped.wheel).not.toBe(serializeKey(withBuildGroup));
  });

  it('stays the same for what changes only speed, the images or unrelated packages', () => {
    expect(keysOf({ buildArgs: { CUDA_VERSION: '12.4.1', TORCH_BACKEND: 'cu124', MAX_JOBS: '64', NVCC_THREADS: '8' } }).wheel).toBe(base.wheel);
    expect(keysOf({ slices: { dev: slice(prodPackages, 'dev'), prod: slice([...prodPackages, pkg('requests', '2.32.0')]) } }).wheel).toBe(base.wheel);
    expect(keysOf({}, edit(recipe, 'USER app', 'USER nobody')).wheel).toBe(base.wheel);
    expect(keysOf({}, edit(recipe, 'RUN uv pip install /wheels/*.whl\n', 'RUN uv pip install --no-deps /wheels/*.whl\n')).wheel).toBe(base.wheel);
  });

  it('changes with torch, the CUDA version, the arch list and the base stage', () => {
    const torch128 = prodPackages.map((entry) => (entry.name === 'torch' ? pkg('torch', '2.7.0+cu128') : entry));
    expect(keysOf({ slices: { dev: slice(torch128, 'dev'), prod: slice(torch128) } }).wheel).not.toBe(base.wheel);
    expect(keysOf({ buildArgs: { CUDA_VERSION: '12.8.0', TORCH_BACKEND: 'cu124' } }).wheel).not.toBe(base.wheel);
    expect(keysOf({}, edit(recipe, 'ARG FLASH_ATTN_VERSION=2.7.4', 'ARG FLASH_ATTN_VERSION=2.7.4\nARG FLASH_ATTN_CUDA_ARCHS=90')).wheel).not.toBe(base.wheel);
    expect(keysOf({}, edit(recipe, 'git curl', 'git curl vim')).wheel).not.toBe(base.wheel);
  });
});

describe('the image keys', () => {
  const keys = computeBuildKeys(inputs());

  it('hold their own stage chain, without the wheel stages the plugin hands in as a build context', () => {
    expect(keys.prod.stages.map((stage) => stage.name)).toEqual(['base', 'deps-prod', 'prod']);
    expect(keys.dev.stages.map((stage) => stage.name)).toEqual(['base', 'deps-dev', 'dev']);
    expect(keys.prod.wheel).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.prod.lockSlice).not.toBe(keys.dev.lockSlice);
  });

  it('keep the prod key when only the dev stage, dev dependencies or dev-only files change', () => {
    const devOnly = keysOf({
      slices: { dev: slice([...prodPackages, pkg('pytest', '8.4.0')], 'dev'), prod: slice(prodPackages) },
    });
    expect(devOnly.prod).toBe(base.prod);
    expect(devOnly.dev).not.toBe(base.dev);
    const devStage = keysOf({}, edit(recipe, 'RUN uv pip install /wheels/*.whl\n', 'RUN uv pip install --no-deps /wheels/*.whl\n'));
    expect(devStage.prod).toBe(base.prod);
    expect(devStage.dev).not.toBe(base.dev);
  });

  it('change the prod key with the prod stage, the prod slice and the wheel key', () => {
    expect(keysOf({}, edit(recipe, 'USER app', 'USER nobody')).prod).not.toBe(base.prod);
    expect(keysOf({ slices: { dev: slice(prodPackages, 'dev'), prod: slice([...prodPackages, pkg('requests', '2.32.0')]) } }).prod).not.toBe(base.prod);
    expect(keysOf({ buildArgs: { CUDA_VERSION: '12.8.0', TORCH_BACKEND: 'cu124' } }).prod).not.toBe(base.prod);
  });

  it('has no wheel part and builds the wheel stages itself when the project has no wheel target', () => {
    const withoutWheel = computeBuildKeys(inputs({ wheel: undefined }));
    expect(withoutWheel.wheel).toBeUndefined();
    expect(withoutWheel.prod.wheel).toBeUndefined();
    expect(withoutWheel.prod.stages.map((stage) => stage.name)).toEqual(['base', 'deps-prod', 'wheel-prod', 'wheels', 'prod']);
  });

  it('never holds the values of speed-only build args', () => {
    const withKnobs = computeBuildKeys(inputs({ buildArgs: { CUDA_VERSION: '12.4.1', MAX_JOBS: '4', NVCC_THREADS: '2' } }));
    expect(withKnobs.wheel!.args).not.toHaveProperty('MAX_JOBS');
    expect(withKnobs.prod.args).not.toHaveProperty('NVCC_THREADS');
  });
});
