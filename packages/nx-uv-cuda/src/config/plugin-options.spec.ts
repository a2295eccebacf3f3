import { describe, expect, it } from 'vitest';
import type { PluginError } from '../core/errors';
import { DEFAULT_DOCKERFILE_GLOBS, DEFAULT_WHEEL_PACKAGE, DOCKERFILE_PLACES, normalizePluginOptions } from './plugin-options';
import { thrownPluginError } from '../__fixtures__/thrown';

const PREFIX = 'nx.json plugins["nx-uv-cuda"].options: ';

const DEFAULT_STAGES = { dev: 'dev', prod: 'prod', wheelBuild: 'wheel-prod', wheelExport: 'wheels' };
const DEFAULT_TARGET_NAMES = {
  image: 'image',
  imageDev: 'image-dev',
  imageProd: 'image-prod',
  wheel: 'wheel-flash-attn',
  lock: 'lock',
  lockCheck: 'lock-check',
  lockSlice: 'lock',
  keys: 'keys',
  smoke: 'smoke',
  run: 'run',
  release: 'release',
};

const optionsError = (raw: unknown): PluginError => thrownPluginError('options', () => normalizePluginOptions(raw));

describe('normalizePluginOptions defaults', () => {
  it.each([undefined, null, {}])('fills in every default for %j', (raw) => {
    expect(normalizePluginOptions(raw)).toEqual({
      dockerfile: DEFAULT_DOCKERFILE_GLOBS,
      context: undefined,
      backends: undefined,
      buildArgs: undefined,
      stages: DEFAULT_STAGES,
      targetNames: DEFAULT_TARGET_NAMES,
      registry: undefined,
      wheelPackage: 'flash-attn',
      wheelBuildRequirements: ['setuptools', 'packaging', 'ninja', 'wheel', 'psutil'],
      release: {},
      deprecations: [],
    });
    expect(DEFAULT_WHEEL_PACKAGE).toBe('flash-attn');
  });

  it('looks for Dockerfiles under every usual name in every usual place, place by place', () => {
    expect(DOCKERFILE_PLACES).toEqual([
      '',
      'docker/',
      'docker/*/',
      'docker/*/*/',
      'scripts/docker/',
      'deploy/',
      'deploy/docker/',
      'build/docker/',
      'ci/docker/',
      'containers/',
      'container/',
      '.docker/',
    ]);
    expect(DEFAULT_DOCKERFILE_GLOBS).toHaveLength(DOCKERFILE_PLACES.length * 4);
    expect(DEFAULT_DOCKERFILE_GLOBS.slice(0, 8)).toEqual([
      'Dockerfile*',
      '*.Dockerfile',
      '*.dockerfile',
      'Containerfile*',
      'docker/Dockerfile*',
      'docker/*.Dockerfile',
      'docker/*.dockerfile',
      'docker/Containerfile*',
    ]);
    expect(DEFAULT_DOCKERFILE_GLOBS).toEqual(
      expect.arrayContaining(['docker/*/*/Dockerfile*', 'scripts/docker/*.Dockerfile', '.docker/Containerfile*']),
    );
  });

  it('keeps the given options and merges partial stage and target names over the defaults', () => {
    const options = normalizePluginOptions({
      dockerfile: 'build/Containerfile',
      context: '..',
      backends: { cu128: { buildArgs: { CUDA_VERSION: '12.8.1', UBUNTU: 24 } } },
      buildArgs: { CUDA_VARIANT: 'cudnn', DEBUG: false },
      stages: { wheelBuild: 'flash-wheel' },
      targetNames: { image: 'docker', smoke: 'smoke-test' },
      registry: '127.0.0.1:5000/ml',
      wheelPackage: 'xformers',
    });
    expect(options).toMatchObject({
      dockerfile: ['build/Containerfile'],
      context: '..',
      backends: { cu128: { buildArgs: { CUDA_VERSION: '12.8.1', UBUNTU: '24' } } },
      buildArgs: { CUDA_VARIANT: 'cudnn', DEBUG: 'false' },
      stages: { ...DEFAULT_STAGES, wheelBuild: 'flash-wheel' },
      targetNames: { ...DEFAULT_TARGET_NAMES, image: 'docker', smoke: 'smoke-test' },
      registry: '127.0.0.1:5000/ml',
      wheelPackage: 'xformers',
      deprecations: [],
    });
  });

  it('keeps a list of Dockerfile globs as given', () => {
    expect(normalizePluginOptions({ dockerfile: ['a/Dockerfile', 'Dockerfile'] }).dockerfile).toEqual([
      'a/Dockerfile',
      'Dockerfile',
    ]);
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
    [{ buildArgs: { HF_TOKEN: 'hf_canary' } }, 'buildArgs.HF_TOKEN: looks like a credential'],
    [{ backends: { cu128: { buildArgs: { PIP_PASSWORD: 'pw' } } } }, 'backends.cu128.buildArgs.PIP_PASSWORD: looks like a credential'],
    [{ registry: '' }, 'registry: Too small: expected string to have >=1 characters'],
    [{ dockerfile: [] }, 'dockerfile: '],
    [{ regsitry: '127.0.0.1:5000' }, '(top level): Unrecognized key: "regsitry"'],
  ])('reports %j in one message naming the key', (raw, expected) => {
    const error = optionsError(raw);
    expect(error.name).toBe('PluginError');
    expect(error.kind).toBe('options');
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

describe('renamed stage options', () => {
  it('moves stages.wheel and stages.wheels to their new names, with a warning naming the old and new key', () => {
    const options = normalizePluginOptions({ stages: { wheel: 'flash-build', wheels: 'flash-out' } });
    expect(options.stages).toEqual({ dev: 'dev', prod: 'prod', wheelBuild: 'flash-build', wheelExport: 'flash-out' });
    expect(options.deprecations).toEqual([
      `${PREFIX}stages.wheel is deprecated: write stages.wheelBuild instead`,
      `${PREFIX}stages.wheels is deprecated: write stages.wheelExport instead`,
    ]);
  });

  it('keeps the new key when both are set, and warns that the old one is ignored', () => {
    const options = normalizePluginOptions({ stages: { wheel: 'old-build', wheelBuild: 'new-build' } });
    expect(options.stages.wheelBuild).toBe('new-build');
    expect(options.deprecations).toEqual([
      `${PREFIX}stages.wheel is deprecated and ignored here, since stages.wheelBuild is set too: remove stages.wheel`,
    ]);
  });

  it('does not change the options object it was given', () => {
    const raw = { stages: { wheel: 'flash-build' } };
    normalizePluginOptions(raw);
    expect(raw).toEqual({ stages: { wheel: 'flash-build' } });
  });

  it('still validates the value of a renamed key under its new name', () => {
    expect(optionsError({ stages: { wheel: '' } }).message).toBe(
      `${PREFIX}stages.wheelBuild: Too small: expected string to have >=1 characters`,
    );
  });
});

describe('the registry option', () => {
  const problem = (registry: string) => {
    try {
      normalizePluginOptions({ registry });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('refuses credentials, pointing to docker login, and never repeats them', () => {
    const message = problem('ci-bot:s3cret-token@registry.example.com/ml');
    expect(message).toMatch(/registry.*must not hold credentials.*docker login/);
    expect(message).not.toContain('s3cret-token');
    expect(message).not.toContain('ci-bot');
  });

  it('refuses a scheme and an uppercase namespace before any build', () => {
    expect(problem('https://registry.example.com/ml')).toMatch(/without a scheme/);
    expect(problem('127.0.0.1:5000/ML')).toMatch(/lowercase namespace/);
  });

  it('takes a host, a port and a namespace', () => {
    expect(problem('127.0.0.1:5000/ml')).toBeUndefined();
    expect(problem('registry.example.com')).toBeUndefined();
    expect(problem('ghcr.io/acme/ml-images')).toBeUndefined();
  });
});
