import { describe, expect, it } from 'vitest';
import { DEFAULT_DOCKERFILE_GLOBS, DEFAULT_WHEEL_PACKAGE } from '../config/plugin-options';
import { normalizePluginOptions, PluginOptionsError } from './normalize-options';

const PREFIX = 'nx.json plugins["nx-uv-cuda"].options: ';

const DEFAULT_STAGES = { dev: 'dev', prod: 'prod', wheel: 'wheel-prod', wheels: 'wheels' };
const DEFAULT_TARGET_NAMES = {
  image: 'image',
  imageDev: 'image-dev',
  imageProd: 'image-prod',
  wheel: 'wheel-flash-attn',
  lock: 'lock',
  lockCheck: 'lock-check',
  lockSlice: 'lock',
  smoke: 'smoke',
};

function optionsError(raw: unknown): PluginOptionsError {
  try {
    normalizePluginOptions(raw);
  } catch (error) {
    if (error instanceof PluginOptionsError) return error;
    throw error;
  }
  throw new Error('expected a PluginOptionsError');
}

describe('normalizePluginOptions defaults', () => {
  // toMatchObject: the normalized options may carry more than these documented keys.
  it.each([undefined, null, {}])('fills in every default for %j', (raw) => {
    expect(normalizePluginOptions(raw)).toMatchObject({
      dockerfile: ['docker/Dockerfile*', 'Dockerfile'],
      context: undefined,
      backends: undefined,
      buildArgs: undefined,
      stages: DEFAULT_STAGES,
      targetNames: DEFAULT_TARGET_NAMES,
      registry: undefined,
      wheelPackage: 'flash-attn',
    });
    expect(DEFAULT_DOCKERFILE_GLOBS).toEqual(['docker/Dockerfile*', 'Dockerfile']);
    expect(DEFAULT_WHEEL_PACKAGE).toBe('flash-attn');
  });

  it('keeps the given options and merges partial stage and target names over the defaults', () => {
    const options = normalizePluginOptions({
      dockerfile: 'build/Containerfile',
      context: '..',
      backends: { cu128: { buildArgs: { CUDA_VERSION: '12.8.1', UBUNTU: 24 } } },
      buildArgs: { CUDA_VARIANT: 'cudnn', DEBUG: false },
      stages: { wheel: 'flash-wheel' },
      targetNames: { image: 'docker', smoke: 'smoke-test' },
      registry: '127.0.0.1:5000/ml',
      wheelPackage: 'xformers',
    });
    expect(options).toMatchObject({
      dockerfile: 'build/Containerfile',
      context: '..',
      backends: { cu128: { buildArgs: { CUDA_VERSION: '12.8.1', UBUNTU: '24' } } },
      buildArgs: { CUDA_VARIANT: 'cudnn', DEBUG: 'false' },
      stages: { ...DEFAULT_STAGES, wheel: 'flash-wheel' },
      targetNames: { ...DEFAULT_TARGET_NAMES, image: 'docker', smoke: 'smoke-test' },
      registry: '127.0.0.1:5000/ml',
      wheelPackage: 'xformers',
    });
  });

  it('accepts backends as a list', () => {
    expect(normalizePluginOptions({ backends: ['cu124', 'rocm6.2'] }).backends).toEqual(['cu124', 'rocm6.2']);
  });
});

describe('normalizePluginOptions errors', () => {
  // `backends` is a union: only its key is asserted, zod words a union failure generically.
  it.each([
    [{ backends: 'cu124' }, 'backends: '],
    [{ backends: [] }, 'backends: Too small: expected array to have >=1 items'],
    [{ backends: ['CU124'] }, 'backends[0]: expected a backend name like cu124, cu128, cpu or rocm6.2'],
    [{ targetNames: { image: '' } }, 'targetNames.image: Too small: expected string to have >=1 characters'],
    [{ targetNames: { images: 'img' } }, 'targetNames: Unrecognized key: "images"'],
    [{ stages: { prod: 3 } }, 'stages.prod: expected string, received number'],
    [{ buildArgs: { 'bad name': 'x' } }, 'buildArgs["bad name"]: '],
    [{ registry: '' }, 'registry: Too small: expected string to have >=1 characters'],
    [{ dockerfile: [] }, 'dockerfile: '],
    [{ regsitry: '127.0.0.1:5000' }, '(top level): Unrecognized key: "regsitry"'],
  ])('reports %j in one message naming the key', (raw, expected) => {
    const error = optionsError(raw);
    expect(error.name).toBe('PluginOptionsError');
    expect(error.message.startsWith(`${PREFIX}${expected}`)).toBe(true);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('reports several invalid keys in the same message', () => {
    expect(optionsError({ registry: 5, wheelPackage: '' }).message).toBe(
      `${PREFIX}registry: expected string, received number; wheelPackage: Too small: expected string to have >=1 characters`,
    );
  });

  it('rejects options that are not an object', () => {
    expect(optionsError('cu124').message).toBe(`${PREFIX}(top level): expected object, received string`);
  });
});
