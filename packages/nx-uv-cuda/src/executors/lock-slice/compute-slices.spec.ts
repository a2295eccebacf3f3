import { describe, expect, it } from 'vitest';
import { readFixture } from '../../python/__fixtures__/read-fixture';
import { isPluginError } from '../../core/errors';
import { computeSlices, unreachedPackages } from './compute-slices';
import type { LockSliceOptions } from './schema';

const WORKSPACE_LOCK = readFixture('workspace/uv.lock');
const PROD_LOCK = readFixture('prod/uv.lock');
const VISION_LOCK = readFixture('vision-service/uv.lock');

/** A workspace held in memory: `read` answers only the files it holds. */
function reader(files: Record<string, string>): (file: string) => string {
  return (file) => {
    const text = files[file];
    if (text === undefined) throw new Error(`read of a file the test does not hold: ${file}`);
    return text;
  };
}

const options = (overrides: Partial<LockSliceOptions> = {}): LockSliceOptions => ({
  lockFile: 'uv.lock',
  project: 'ml-service',
  backend: 'cu124',
  check: false,
  devOutput: 'dist/services/ml-service/locks/cu124-dev.json',
  prodOutput: 'dist/services/ml-service/locks/cu124-prod.json',
  ...overrides,
});

type Slice = {
  lockFile?: string;
  project: string;
  backend?: string;
  kind: string;
  requiresPython?: string;
  packages: Array<{ name: string; version?: string; source: string; hashes: string[] }>;
};
const parsed = (json: string) => JSON.parse(json) as Slice;
const namesOf = (json: string) => [...new Set(parsed(json).packages.map((slicedPackage) => slicedPackage.name))];
/** `name version source` of each package, in the order written. */
const entriesOf = (json: string) =>
  parsed(json).packages.map((slicedPackage) => `${slicedPackage.name} ${slicedPackage.version} ${slicedPackage.source}`);
const headerOf = (json: string) => {
  const { packages: _packages, ...header } = parsed(json);
  return header;
};
const devOnly = ['colorama', 'iniconfig', 'packaging', 'pluggy', 'pytest'];
const PYPI = 'registry+https://pypi.org/simple';

/**
 * What ml-service installs with the cu124 extra, read off fixtures/workspace/uv.lock by hand: ml-service needs
 * requests and shared-lib (editable), cu124 adds flash-attn and torch 2.5.1+cu124, and torch's cu124 dependencies
 * are the CUDA 12.4 builds of the nvidia libraries, sympy 1.13.1 and triton 3.1.0.
 */
const ML_SERVICE_CU124_PROD = [
  `certifi 2025.1.31 ${PYPI}`,
  `charset-normalizer 3.4.1 ${PYPI}`,
  `einops 0.8.1 ${PYPI}`,
  `filelock 3.17.0 ${PYPI}`,
  `flash-attn 2.7.4.post1 ${PYPI}`,
  `fsspec 2025.2.0 ${PYPI}`,
  `idna 3.10 ${PYPI}`,
  `jinja2 3.1.5 ${PYPI}`,
  `markupsafe 3.0.2 ${PYPI}`,
  'ml-service 0.1.0 editable+services/ml-service',
  `mpmath 1.3.0 ${PYPI}`,
  `networkx 3.4.2 ${PYPI}`,
  `numpy 2.2.3 ${PYPI}`,
  `nvidia-cublas-cu12 12.4.5.8 ${PYPI}`,
  `nvidia-cuda-runtime-cu12 12.4.127 ${PYPI}`,
  `nvidia-cudnn-cu12 9.1.0.70 ${PYPI}`,
  `nvidia-nccl-cu12 2.21.5 ${PYPI}`,
  `requests 2.32.3 ${PYPI}`,
  `setuptools 75.8.0 ${PYPI}`,
  'shared-lib 0.1.0 editable+libs/shared',
  `sympy 1.13.1 ${PYPI}`,
  'torch 2.5.1+cu124 registry+https://download.pytorch.org/whl/cu124',
  `triton 3.1.0 ${PYPI}`,
  `typing-extensions 4.12.2 ${PYPI}`,
  `urllib3 2.3.0 ${PYPI}`,
];

/** The dev slice adds the dev group: pytest and what it needs. */
const ML_SERVICE_CU124_DEV = [
  ...ML_SERVICE_CU124_PROD,
  `colorama 0.4.6 ${PYPI}`,
  `iniconfig 2.0.0 ${PYPI}`,
  `packaging 24.2 ${PYPI}`,
  `pluggy 1.5.0 ${PYPI}`,
  `pytest 8.3.4 ${PYPI}`,
].sort();

describe('computeSlices from the governing lock alone', () => {
  const read = reader({ 'uv.lock': WORKSPACE_LOCK });
  const slices = computeSlices(options(), read);

  it('gives the dev slice the dev groups and the prod slice none', () => {
    expect(headerOf(slices.dev)).toEqual({
      lockFile: 'uv.lock',
      project: 'ml-service',
      backend: 'cu124',
      kind: 'dev',
      requiresPython: '>=3.11',
    });
    expect(headerOf(slices.prod)).toEqual({
      lockFile: 'uv.lock',
      project: 'ml-service',
      backend: 'cu124',
      kind: 'prod',
      requiresPython: '>=3.11',
    });
    expect(entriesOf(slices.prod)).toEqual(ML_SERVICE_CU124_PROD);
    expect(entriesOf(slices.dev)).toEqual(ML_SERVICE_CU124_DEV);
    expect(namesOf(slices.dev)).toEqual(expect.arrayContaining(devOnly));
    expect(namesOf(slices.prod).filter((name) => devOnly.includes(name))).toEqual([]);
    expect(namesOf(slices.dev).filter((name) => !namesOf(slices.prod).includes(name))).toEqual(devOnly);
  });

  it('slices the requested backend', () => {
    const torch = (json: string) => parsed(json).packages.filter((slicedPackage) => slicedPackage.name === 'torch');
    expect(torch(slices.prod).map((slicedPackage) => slicedPackage.version)).toEqual(['2.5.1+cu124']);
    const cu128 = computeSlices(options({ backend: 'cu128' }), read);
    expect(torch(cu128.dev).map((slicedPackage) => slicedPackage.version)).toEqual(['2.7.0+cu128']);
  });

  it('writes pretty JSON in a fixed key order, with the sorted hashes of every distribution of a package', () => {
    expect(slices.prod.startsWith(
      [
        '{',
        '  "lockFile": "uv.lock",',
        '  "project": "ml-service",',
        '  "backend": "cu124",',
        '  "kind": "prod",',
        '  "requiresPython": ">=3.11",',
        '  "packages": [',
        '    {',
        '      "name": "certifi",',
        '      "version": "2025.1.31",',
        '      "source": "registry+https://pypi.org/simple",',
        '      "hashes": [',
        '        "sha256:20262536ddd98869b577044196400119e01bcd5d28b7fe3753a7811d5af6e649",',
        '        "sha256:26a47e8ddcc743bdfa8c357a94f90b8f63994b777822d36edb522abcc44f5cdf"',
        '      ]',
        '    },',
        '',
      ].join('\n'),
    )).toBe(true);
    expect(slices.prod.endsWith('  ]\n}\n')).toBe(true);
  });

  it('gives a local project no hashes', () => {
    const local = parsed(slices.prod).packages.filter((slicedPackage) => slicedPackage.source.startsWith('editable+'));
    expect(local).toEqual([
      { name: 'ml-service', version: '0.1.0', source: 'editable+services/ml-service', hashes: [] },
      { name: 'shared-lib', version: '0.1.0', source: 'editable+libs/shared', hashes: [] },
    ]);
  });

  it('is byte-identical across calls', () => {
    expect(computeSlices(options(), reader({ 'uv.lock': WORKSPACE_LOCK }))).toEqual(slices);
  });

  it('lets a missing backend extra fail with the lock named', () => {
    let thrown: unknown;
    try {
      computeSlices(options({ backend: 'cu999' }), read);
    } catch (error) {
      thrown = error;
    }
    expect(isPluginError(thrown, 'lock-slice') && thrown.detail).toBe('extra-not-in-lock');
    expect(() => computeSlices(options({ backend: 'cu999' }), read)).toThrow('ml-service has no extra "cu999" in uv.lock');
  });
});

describe('computeSlices with a production lock', () => {
  const files = {
    'services/ml-service/uv.lock': WORKSPACE_LOCK,
    'services/ml-service/prod/uv.lock': PROD_LOCK,
    'services/ml-service/prod/pyproject.toml': '[project]\nname = "Prod"\nversion = "0.1.0"\ndependencies = ["uvicorn>=0.34"]\n',
  };
  const prodOptions = options({
    lockFile: 'services/ml-service/uv.lock',
    prodLockFile: 'services/ml-service/prod/uv.lock',
  });

  it('takes the dev slice from the governing lock and the prod slice from prod/uv.lock', () => {
    const slices = computeSlices(prodOptions, reader(files));
    expect(parsed(slices.dev)).toMatchObject({ lockFile: 'services/ml-service/uv.lock', project: 'ml-service', kind: 'dev' });
    expect(namesOf(slices.dev)).toContain('pytest');
    expect(parsed(slices.prod)).toMatchObject({ lockFile: 'services/ml-service/prod/uv.lock', project: 'prod', kind: 'prod' });
    expect(entriesOf(slices.dev)).toEqual(ML_SERVICE_CU124_DEV);
  });

  it('falls back to the whole production lock when it has no extra for the backend', () => {
    const { prod } = computeSlices(prodOptions, reader(files));
    expect(headerOf(prod)).toEqual({
      lockFile: 'services/ml-service/prod/uv.lock',
      project: 'prod',
      kind: 'prod',
      requiresPython: '>=3.12',
    });
    expect(entriesOf(prod)).toEqual([
      `click 8.1.8 ${PYPI}`,
      `colorama 0.4.6 ${PYPI}`,
      `h11 0.14.0 ${PYPI}`,
      'prod 0.1.0 virtual+.',
      `uvicorn 0.34.0 ${PYPI}`,
    ]);
    // The wheel's and the sdist's hash, sorted (the lock lists the sdist first).
    expect(parsed(prod).packages.find((slicedPackage) => slicedPackage.name === 'h11')?.hashes).toEqual([
      'sha256:490bc26f82c0ea5fd6dda4ea3103cd48d23a843d8412903a827f01f3e264d858',
      'sha256:c5704d1df6e1a728b05794da5b7fe8d772f6637660f83860fef0c9fc6a2cb8a6',
    ]);
  });

  it('slices the production lock by backend when it has the extra', () => {
    const slices = computeSlices(
      options({ backend: 'cu128', lockFile: 'svc/uv.lock', prodLockFile: 'svc/prod/uv.lock' }),
      reader({
        'svc/uv.lock': WORKSPACE_LOCK,
        'svc/prod/uv.lock': VISION_LOCK,
        'svc/prod/pyproject.toml': '[project]\nname = "vision_service"\n',
      }),
    );
    expect(parsed(slices.prod)).toMatchObject({ project: 'vision-service', backend: 'cu128', kind: 'prod' });
    expect(parsed(slices.prod).packages.map((slicedPackage) => `${slicedPackage.name} ${slicedPackage.version}`)).toEqual([
      'filelock 3.17.0',
      'numpy 2.2.3',
      'pillow 11.1.0',
      'torch 2.7.0+cu128',
      'typing-extensions 4.12.2',
      'vision-service 0.3.0',
    ]);
  });

  it('does not fall back when prod/pyproject.toml names a project the production lock lacks', () => {
    const misnamed = { ...files, 'services/ml-service/prod/pyproject.toml': '[project]\nname = "ghost"\n' };
    expect(() => computeSlices(prodOptions, reader(misnamed))).toThrow(
      'ghost is not in services/ml-service/prod/uv.lock; run `uv lock`',
    );
  });

  it('is byte-identical across calls', () => {
    const first = computeSlices(prodOptions, reader(files));
    const second = computeSlices(prodOptions, reader({ ...files }));
    expect(second.dev).toBe(first.dev);
    expect(second.prod).toBe(first.prod);
    expect(first.prod.endsWith('}\n')).toBe(true);
  });
});

describe('computeSlices for a backend that is a dependency group', () => {
  it('puts the group, and only it, into the prod slice', () => {
    const read = reader({ 'uv.lock': WORKSPACE_LOCK });
    const withGroup = computeSlices(options({ backend: undefined, backendGroup: 'dev' }), read);
    const without = computeSlices(options({ backend: undefined }), read);
    for (const name of devOnly) expect(namesOf(withGroup.prod)).toContain(name);
    for (const name of devOnly) expect(namesOf(without.prod)).not.toContain(name);
    expect(namesOf(withGroup.prod)).not.toContain('torch');
  });
});

describe('unreachedPackages', () => {
  it('names what a lock pins that the slice does not reach, by name and version', () => {
    const read = reader({ 'uv.lock': WORKSPACE_LOCK });
    const { dev } = computeSlices(options({ backend: 'cu124' }), read);
    const unreached = unreachedPackages(WORKSPACE_LOCK, 'uv.lock', dev);
    expect(unreached).toContain('torch 2.7.0+cu128');
    expect(unreached.some((name) => name.startsWith('torch 2.5.1+cu124'))).toBe(false);
    expect(unreached.some((name) => name.startsWith('ml-service'))).toBe(false);
  });
});
