import { parse, stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { readFixture } from './__fixtures__/read-fixture';
import type { PluginError } from '../core/errors';
import {
  serializeLockSlice,
  sliceLock,
  type LockSlice,
  type LockSliceRequest,
} from './lock-slice';
import { parseUvLock } from './uv-lock';
import { thrownPluginError } from '../__fixtures__/thrown';

const WORKSPACE_LOCK = readFixture('workspace/uv.lock');

function slice(lockText: string, request: Partial<LockSliceRequest> = {}): LockSlice {
  return sliceLock(parseUvLock(lockText, 'uv.lock'), {
    project: 'ml-service',
    backend: 'cu124',
    devGroups: 'none',
    ...request,
  });
}

function serializedSlice(lockText: string, request: Partial<LockSliceRequest> = {}): string {
  return serializeLockSlice(slice(lockText, request));
}

function versionsOf(lockSlice: LockSlice, name: string): (string | undefined)[] {
  return lockSlice.packages.filter((slicedPackage) => slicedPackage.name === name).map((slicedPackage) => slicedPackage.version);
}

function namesOf(lockSlice: LockSlice): string[] {
  return [...new Set(lockSlice.packages.map((slicedPackage) => slicedPackage.name))];
}

/** The same lock with its `[[package]]` tables in another order. */
function shuffledPackages(lockText: string): string {
  const [header, ...packages] = lockText.split(/\n(?=\[\[package\]\]\n)/);
  const reordered = packages.map((table) => `${table.trimEnd()}\n`).reverse();
  reordered.push(...reordered.splice(0, 7));
  return [header, ...reordered].join('\n');
}

const sliceError = (run: () => unknown): PluginError => thrownPluginError('lock-slice', run);

describe('sliceLock per backend', () => {
  const cu124 = slice(WORKSPACE_LOCK, { backend: 'cu124' });
  const cu128 = slice(WORKSPACE_LOCK, { backend: 'cu128' });

  it('takes only the torch of the requested backend, with its index', () => {
    expect(cu124.packages.filter((slicedPackage) => slicedPackage.name === 'torch')).toEqual([
      {
        name: 'torch',
        version: '2.5.1+cu124',
        source: 'registry+https://download.pytorch.org/whl/cu124',
        hashes: expect.arrayContaining([expect.stringMatching(/^sha256:/)]),
      },
    ]);
    expect(versionsOf(cu128, 'torch')).toEqual(['2.7.0+cu128']);
  });

  it("follows each torch's own CUDA libraries", () => {
    expect(versionsOf(cu124, 'nvidia-cublas-cu12')).toEqual(['12.4.5.8']);
    expect(versionsOf(cu124, 'triton')).toEqual(['3.1.0']);
    expect(versionsOf(cu124, 'sympy')).toEqual(['1.13.1']);
    expect(versionsOf(cu128, 'nvidia-cublas-cu12')).toEqual(['12.8.3.14']);
    expect(versionsOf(cu128, 'nvidia-cudnn-cu12')).toEqual(['9.7.1.26']);
    expect(versionsOf(cu128, 'sympy')).toEqual(['1.13.3']);
  });

  it('drops the edges of a shared package that belong to the other backend', () => {
    expect(versionsOf(cu124, 'flash-attn')).toEqual(['2.7.4.post1']);
    expect(versionsOf(cu128, 'flash-attn')).toEqual(['2.7.4.post1']);
    expect(versionsOf(cu124, 'torch')).toEqual(['2.5.1+cu124']);
    expect(versionsOf(cu128, 'torch')).toEqual(['2.7.0+cu128']);
  });

  it('keeps platform-dependent edges, since some image platform may need them', () => {
    expect(namesOf(cu124)).toEqual(expect.arrayContaining(['setuptools', 'triton', 'nvidia-nccl-cu12']));
  });

  it('describes the slice and sorts its packages', () => {
    expect(cu124).toMatchObject({ project: 'ml-service', backend: 'cu124', kind: 'prod', requiresPython: '>=3.11' });
    const keys = cu124.packages.map((slicedPackage) => `${slicedPackage.name} ${slicedPackage.version}`);
    expect(keys).toEqual([...keys].sort());
    expect(namesOf(cu124)).toEqual([
      'certifi',
      'charset-normalizer',
      'einops',
      'filelock',
      'flash-attn',
      'fsspec',
      'idna',
      'jinja2',
      'markupsafe',
      'ml-service',
      'mpmath',
      'networkx',
      'numpy',
      'nvidia-cublas-cu12',
      'nvidia-cuda-runtime-cu12',
      'nvidia-cudnn-cu12',
      'nvidia-nccl-cu12',
      'requests',
      'setuptools',
      'shared-lib',
      'sympy',
      'torch',
      'triton',
      'typing-extensions',
      'urllib3',
    ]);
  });

  it('gives local projects their path and no hashes, and registry packages their sorted hashes', () => {
    expect(cu124.packages.find((slicedPackage) => slicedPackage.name === 'shared-lib')).toEqual({
      name: 'shared-lib',
      version: '0.1.0',
      source: 'editable+libs/shared',
      hashes: [],
    });
    const numpy = cu124.packages.find((slicedPackage) => slicedPackage.name === 'numpy');
    expect(numpy?.hashes).toHaveLength(5);
    expect(numpy?.hashes).toEqual([...(numpy?.hashes ?? [])].sort());
  });

  it('installs no backend when none is requested', () => {
    const cpu = slice(WORKSPACE_LOCK, { backend: undefined });
    expect(namesOf(cpu)).not.toContain('torch');
    expect(namesOf(cpu)).not.toContain('flash-attn');
    expect(namesOf(cpu)).toContain('numpy');
  });
});

describe('sliceLock dev groups', () => {
  it('adds the dev group and its transitive dependencies to a dev slice only', () => {
    const dev = slice(WORKSPACE_LOCK, { devGroups: 'all' });
    const prod = slice(WORKSPACE_LOCK, { devGroups: 'none' });
    expect(dev.kind).toBe('dev');
    expect(prod.kind).toBe('prod');
    expect(namesOf(dev)).toEqual(expect.arrayContaining(['pytest', 'iniconfig', 'pluggy', 'packaging', 'colorama']));
    expect(namesOf(prod)).not.toContain('pytest');
    expect(namesOf(prod)).not.toContain('pluggy');
  });

  it('selects named groups', () => {
    expect(namesOf(slice(WORKSPACE_LOCK, { devGroups: ['dev'] }))).toContain('pytest');
    expect(slice(WORKSPACE_LOCK, { devGroups: [] }).kind).toBe('prod');
  });
});

describe('slice stability', () => {
  const bothBackends = ['cu124', 'cu128'] as const;

  it('is byte-identical from a re-parsed and from a re-written lock', () => {
    const rewritten = stringify(parse(WORKSPACE_LOCK));
    for (const backend of bothBackends) {
      const expected = serializedSlice(WORKSPACE_LOCK, { backend });
      expect(serializedSlice(WORKSPACE_LOCK, { backend })).toBe(expected);
      expect(serializedSlice(rewritten, { backend })).toBe(expected);
    }
  });

  it('does not depend on the order of packages in the lock', () => {
    const shuffled = shuffledPackages(WORKSPACE_LOCK);
    expect(shuffled).not.toBe(WORKSPACE_LOCK);
    expect(parseUvLock(shuffled, 'uv.lock').packages).toHaveLength(parseUvLock(WORKSPACE_LOCK, 'uv.lock').packages.length);
    for (const backend of bothBackends) {
      expect(serializedSlice(shuffled, { backend, devGroups: 'all' })).toBe(
        serializedSlice(WORKSPACE_LOCK, { backend, devGroups: 'all' }),
      );
    }
  });

  it('changes only the cu128 slice when the cu128 torch changes', () => {
    const bumped = WORKSPACE_LOCK.replaceAll('2.7.0+cu128', '2.7.1+cu128').replaceAll('2.7.0%2Bcu128', '2.7.1%2Bcu128');
    expect(serializedSlice(bumped, { backend: 'cu124' })).toBe(serializedSlice(WORKSPACE_LOCK, { backend: 'cu124' }));
    expect(serializedSlice(bumped, { backend: 'cu128' })).not.toBe(serializedSlice(WORKSPACE_LOCK, { backend: 'cu128' }));
    expect(versionsOf(slice(bumped, { backend: 'cu128' }), 'torch')).toEqual(['2.7.1+cu128']);
  });

  it("leaves ml-service's slices alone when a package it does not reach changes", () => {
    const pyyamlSdistHash = /(pyyaml-6\.0\.2\.tar\.gz", hash = "sha256:)[0-9a-f]{64}/;
    expect(WORKSPACE_LOCK).toMatch(pyyamlSdistHash);
    const changed = WORKSPACE_LOCK.replace(pyyamlSdistHash, `$1${'0'.repeat(64)}`);
    for (const backend of bothBackends) {
      expect(serializedSlice(changed, { backend, devGroups: 'all' })).toBe(
        serializedSlice(WORKSPACE_LOCK, { backend, devGroups: 'all' }),
      );
    }
    const otherService = { project: 'other-service', backend: undefined };
    expect(serializedSlice(changed, otherService)).not.toBe(serializedSlice(WORKSPACE_LOCK, otherService));
  });
});

describe('sliceLock on other lock layouts', () => {
  it('slices a single-project lock whose project sits at the lock root', () => {
    const vision = sliceLock(parseUvLock(readFixture('vision-service/uv.lock'), 'vision-service/uv.lock'), {
      project: 'vision-service',
      backend: 'cu128',
      devGroups: 'all',
      lockFile: 'services/vision-service/uv.lock',
    });
    expect(vision).toMatchObject({ lockFile: 'services/vision-service/uv.lock', kind: 'dev', requiresPython: '>=3.12' });
    expect(vision.packages.map((slicedPackage) => `${slicedPackage.name} ${slicedPackage.version} ${slicedPackage.source}`)).toEqual([
      'filelock 3.17.0 registry+https://pypi.org/simple',
      'numpy 2.2.3 registry+https://pypi.org/simple',
      'pillow 11.1.0 registry+https://pypi.org/simple',
      'torch 2.7.0+cu128 registry+https://download.pytorch.org/whl/cu128',
      'typing-extensions 4.12.2 registry+https://pypi.org/simple',
      'vision-service 0.3.0 editable+.',
    ]);
  });

  it('slices a virtual project without backends', () => {
    const prod = sliceLock(parseUvLock(readFixture('prod/uv.lock'), 'prod/uv.lock'), {
      project: 'prod',
      backend: undefined,
      devGroups: 'none',
    });
    expect(namesOf(prod)).toEqual(['click', 'colorama', 'h11', 'prod', 'uvicorn']);
    expect(prod.packages.find((slicedPackage) => slicedPackage.name === 'prod')?.source).toBe('virtual+.');
  });

  it('finds the project by its normalized name', () => {
    expect(slice(WORKSPACE_LOCK, { project: 'ML_Service' }).project).toBe('ml-service');
  });
});

describe('sliceLock with extras of dependencies', () => {
  // app needs lib[gpu]; helper's edges depend on whether lib's gpu extra is active.
  const lockText = `version = 1
revision = 3

[[package]]
name = "app"
version = "1.0"
source = { editable = "." }
dependencies = [
    { name = "helper" },
    { name = "lib", extra = ["gpu"] },
]

[[package]]
name = "cuda-kernels"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "helper"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "kernel-tuner", marker = "extra == 'extra-3-lib-gpu'" },
    { name = "cpu-fallback", marker = "extra != 'extra-3-lib-gpu'" },
]

[[package]]
name = "cpu-fallback"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "kernel-tuner"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "lib"
version = "1.0"
source = { editable = "lib" }

[package.optional-dependencies]
gpu = [{ name = "cuda-kernels" }]
`;

  it("follows the dependency's extras and evaluates markers with them active", () => {
    const appSlice = sliceLock(parseUvLock(lockText, 'uv.lock'), { project: 'app', backend: undefined, devGroups: 'none' });
    expect(namesOf(appSlice)).toEqual(['app', 'cuda-kernels', 'helper', 'kernel-tuner', 'lib']);
  });
});

describe('sliceLock errors', () => {
  const lock = parseUvLock(WORKSPACE_LOCK, 'services/uv.lock');

  it('names the lock when the project is not in it', () => {
    const error = sliceError(() => sliceLock(lock, { project: 'ghost-service', backend: 'cu124', devGroups: 'none' }));
    expect(error.detail).toBe('project-not-in-lock');
    expect(error.where).toEqual({ file: 'services/uv.lock' });
    expect(error.message).toBe('ghost-service is not in services/uv.lock; run `uv lock`');
  });

  it('does not take a registry package for a project', () => {
    const error = sliceError(() => sliceLock(lock, { project: 'numpy', backend: undefined, devGroups: 'none' }));
    expect(error.detail).toBe('project-not-in-lock');
  });

  it('names an unknown backend extra', () => {
    const error = sliceError(() => sliceLock(lock, { project: 'ml-service', backend: 'cu999', devGroups: 'none' }));
    expect(error.detail).toBe('extra-not-in-lock');
    expect(error.message).toContain('ml-service has no extra "cu999" in services/uv.lock');
  });

  it('names an unknown dependency group', () => {
    const error = sliceError(() => sliceLock(lock, { project: 'ml-service', backend: 'cu124', devGroups: ['lint'] }));
    expect(error.detail).toBe('group-not-in-lock');
    expect(error.message).toContain('ml-service has no dependency group "lint" in services/uv.lock');
  });
});
describe('serializeLockSlice', () => {
  it('writes pretty JSON with a fixed key order and a trailing newline', () => {
    const text = serializeLockSlice({
      packages: [{ hashes: ['sha256:ab'], source: 'registry+https://pypi.org/simple', version: '1.0', name: 'a' }],
      requiresPython: '>=3.12',
      kind: 'prod',
      backend: 'cu124',
      project: 'app',
      lockFile: 'uv.lock',
    });
    expect(text).toBe(
      [
        '{',
        '  "lockFile": "uv.lock",',
        '  "project": "app",',
        '  "backend": "cu124",',
        '  "kind": "prod",',
        '  "requiresPython": ">=3.12",',
        '  "packages": [',
        '    {',
        '      "name": "a",',
        '      "version": "1.0",',
        '      "source": "registry+https://pypi.org/simple",',
        '      "hashes": [',
        '        "sha256:ab"',
        '      ]',
        '    }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('leaves out what the slice does not have', () => {
    const text = serializeLockSlice({ project: 'app', backend: undefined, kind: 'dev', packages: [] });
    expect(JSON.parse(text)).toEqual({ project: 'app', kind: 'dev', packages: [] });
  });
});
