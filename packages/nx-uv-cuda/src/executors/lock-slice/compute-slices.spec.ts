import { describe, expect, it } from 'vitest';
import { readFixture } from '../../python/__fixtures__/read-fixture';
import { LockSliceError, serializeLockSlice, sliceLock } from '../../python/lock-slice';
import { parseUvLock } from '../../python/uv-lock';
import { computeSlices } from './compute-slices';
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
  devOutput: 'dist/services/ml-service/locks/cu124-dev.json',
  prodOutput: 'dist/services/ml-service/locks/cu124-prod.json',
  ...overrides,
});

type Slice = { lockFile?: string; project: string; backend?: string; kind: string; packages: Array<{ name: string; version: string }> };
const parsed = (json: string) => JSON.parse(json) as Slice;
const namesOf = (json: string) => [...new Set(parsed(json).packages.map((slicedPackage) => slicedPackage.name))];
const devOnly = ['colorama', 'iniconfig', 'packaging', 'pluggy', 'pytest'];

describe('computeSlices from the governing lock alone', () => {
  const read = reader({ 'uv.lock': WORKSPACE_LOCK });
  const slices = computeSlices(options(), read);

  it('gives the dev slice the dev groups and the prod slice none', () => {
    expect(parsed(slices.dev)).toMatchObject({ lockFile: 'uv.lock', project: 'ml-service', backend: 'cu124', kind: 'dev' });
    expect(parsed(slices.prod)).toMatchObject({ lockFile: 'uv.lock', project: 'ml-service', backend: 'cu124', kind: 'prod' });
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

  it('writes what serializeLockSlice writes for the same request', () => {
    const lock = parseUvLock(WORKSPACE_LOCK, 'uv.lock');
    const request = { project: 'ml-service', backend: 'cu124', lockFile: 'uv.lock' } as const;
    expect(slices.dev).toBe(serializeLockSlice(sliceLock(lock, { ...request, devGroups: 'all' })));
    expect(slices.prod).toBe(serializeLockSlice(sliceLock(lock, { ...request, devGroups: 'none' })));
  });

  it('is byte-identical across calls', () => {
    expect(computeSlices(options(), reader({ 'uv.lock': WORKSPACE_LOCK }))).toEqual(slices);
  });

  it('lets a missing backend extra fail with the lock named', () => {
    expect(() => computeSlices(options({ backend: 'cu999' }), read)).toThrow(LockSliceError);
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
  });

  it('falls back to the whole production lock when it has no extra for the backend', () => {
    const { prod } = computeSlices(prodOptions, reader(files));
    expect(parsed(prod).backend).toBeUndefined();
    expect(namesOf(prod)).toEqual(['click', 'colorama', 'h11', 'prod', 'uvicorn']);
    const wholeLock = sliceLock(parseUvLock(PROD_LOCK, 'services/ml-service/prod/uv.lock'), {
      project: 'prod',
      backend: undefined,
      devGroups: 'none',
      lockFile: 'services/ml-service/prod/uv.lock',
    });
    expect(prod).toBe(serializeLockSlice(wholeLock));
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
