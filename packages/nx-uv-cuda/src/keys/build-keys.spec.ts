import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit } from '../__fixtures__/edit';
import { parseDockerfile } from '../docker/parse-dockerfile';
import type { LockSliceFile } from '../model/task-files';
import { computeBuildKeys, digest, serializeKey, type BuildKeyInputs, type KeyedImage, type SliceFile } from './build-keys';

const recipe = readFileSync(join(__dirname, '..', 'docker', '__fixtures__', 'recipe.Dockerfile'), 'utf8');

const lines = (...text: string[]) => `${text.join('\n')}\n`;

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

/** The recipe's images, as the keys target gets them. */
const RECIPE_IMAGES: KeyedImage[] = [
  { stage: 'dev', kind: 'dev', slice: 'dev' },
  { stage: 'prod', kind: 'prod', slice: 'prod' },
];

function inputs(overrides: Partial<BuildKeyInputs> = {}, dockerfile = recipe): BuildKeyInputs {
  return {
    model: parseDockerfile(dockerfile, 'Dockerfile'),
    wheelStages: { build: 'wheel-prod', export: 'wheels' },
    images: RECIPE_IMAGES,
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
    dev: serializeKey(keys.images[0]),
    prod: serializeKey(keys.images[1]),
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
  const { images } = computeBuildKeys(inputs());
  const keys = { dev: images[0], prod: images[1] };

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
    expect(withoutWheel.images[1].wheel).toBeUndefined();
    expect(withoutWheel.images[1].stages.map((stage) => stage.name)).toEqual(['base', 'deps-prod', 'wheel-prod', 'wheels', 'prod']);
  });

  it('never holds the values of speed-only build args', () => {
    const withKnobs = computeBuildKeys(inputs({ buildArgs: { CUDA_VERSION: '12.4.1', MAX_JOBS: '4', NVCC_THREADS: '2' } }));
    expect(withKnobs.wheel!.args).not.toHaveProperty('MAX_JOBS');
    expect(withKnobs.images[1].args).not.toHaveProperty('NVCC_THREADS');
  });
});

describe('the recipe keys', () => {
  // The sha256 of each serialized key, as the plugin wrote them before it knew other products than dev and prod:
  // the recipe's caches must stay valid.
  it('serialize byte for byte as before, with and without the wheel', () => {
    expect([digest(base.wheel), digest(base.dev), digest(base.prod)]).toEqual([
      '577f2357543dd6bcfb786623fb05c069328086600372d552fd443ed7aaded6b1',
      '1074868fb9c7c053f0f63934161dbd8192f3e27fc2977db7cedb7e34c7c96324',
      '7fe50b1579fc0104ccb472331f0c0767ce7735d07dc7af52159beced1ad3ca9d',
    ]);
    const withoutWheel = computeBuildKeys(inputs({ wheel: undefined }));
    expect(withoutWheel.images.map((key) => digest(serializeKey(key)))).toEqual([
      '4c3601b2c9d2cbfd136e6120fc6ea6981a95226bb5abc456dd478b57c2e6a9d7',
      '26b9a22b9daa5174c03d3e7e5043d755849bea5b8bf18f520292e71057b1db61',
    ]);
  });

  it('come in the order of the images given', () => {
    const reversed = computeBuildKeys(inputs({ images: [...RECIPE_IMAGES].reverse() }));
    expect(reversed.images.map((key) => key.kind)).toEqual(['prod', 'dev']);
    expect(serializeKey(reversed.images[0])).toBe(base.prod);
  });
});

describe('the keys of other product stages', () => {
  const server = lines(
    'FROM python:3.12-slim AS base',
    'COPY pyproject.toml uv.lock ./',
    'RUN uv sync --frozen',
    'FROM base AS server',
    'COPY src/ ./src/',
    'FROM base AS worker',
    'COPY worker/ ./worker/',
  );
  const products = (images: KeyedImage[], overrides: Partial<BuildKeyInputs> = {}, dockerfile = server) =>
    computeBuildKeys(inputs({ images, wheel: undefined, buildArgs: {}, ...overrides }, dockerfile)).images;
  const both: KeyedImage[] = [
    { stage: 'server', kind: 'image', slice: 'dev' },
    { stage: 'worker', kind: 'image', slice: 'dev' },
  ];

  it('hold kind image, their own chain and the dev slice, one per image in order', () => {
    const [serverKey, workerKey] = products(both);
    expect(serverKey).toMatchObject({ kind: 'image', baseImages: ['python:3.12-slim'] });
    expect(serverKey.stages.map((stage) => stage.name)).toEqual(['base', 'server']);
    expect(workerKey.stages.map((stage) => stage.name)).toEqual(['base', 'worker']);
    expect(serverKey.files).toEqual({ 'pyproject.toml': 'hash-of-pyproject.toml', 'uv.lock': 'hash-of-uv.lock', 'src/': 'hash-of-src/' });
    expect(serverKey.lockSlice).toBe(digest(inputs().slices.dev.text));
    expect(serverKey.wheel).toBeUndefined();
  });

  it('change with the dev slice, not with the prod slice or the other product stage', () => {
    const [serverKey] = products(both).map(serializeKey);
    const prodChanged = { slices: { dev: inputs().slices.dev, prod: slice([...prodPackages, pkg('requests', '2.32.0')]) } };
    expect(serializeKey(products(both, prodChanged)[0])).toBe(serverKey);
    const devChanged = { slices: { dev: slice([pkg('requests', '2.32.0')], 'dev'), prod: inputs().slices.prod } };
    expect(serializeKey(products(both, devChanged)[0])).not.toBe(serverKey);
    const workerEdited = edit(server, 'COPY worker/ ./worker/', 'COPY worker/ ./w/');
    expect(serializeKey(products(both, {}, workerEdited)[0])).toBe(serverKey);
    expect(serializeKey(products(both, {}, workerEdited)[1])).not.toBe(serializeKey(products(both)[1]));
  });

  it('keep the kind they are given, a stage name included', () => {
    expect(products([{ stage: 'worker', kind: 'worker', slice: 'prod' }])[0]).toMatchObject({
      kind: 'worker',
      lockSlice: digest(inputs().slices.prod.text),
    });
  });
});
