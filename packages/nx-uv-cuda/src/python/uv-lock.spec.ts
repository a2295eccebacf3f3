import { describe, expect, it } from 'vitest';
import { readFixture } from './__fixtures__/read-fixture';
import type { PluginError } from '../core/errors';
import { formatSource, lockedLocalVersions, PackageLookup, parseUvLock, sourceKind } from './uv-lock';
import { thrownPluginError } from '../__fixtures__/thrown';

const WORKSPACE_LOCK = readFixture('workspace/uv.lock');

function lockWith(packages: string, header = 'version = 1\nrevision = 3\n'): string {
  return `${header}\n${packages}`;
}

const errorOf = (parse: () => unknown): PluginError => thrownPluginError('uv-lock', parse);

describe('parseUvLock', () => {
  const lock = parseUvLock(WORKSPACE_LOCK, 'uv.lock');

  it('reads the header of a workspace lock (not [manifest] or conflicts, which the plugin does not use)', () => {
    const { packages, ...header } = lock;
    expect(header).toEqual({ file: 'uv.lock', version: 1, revision: 3, requiresPython: '>=3.11' });
    expect(packages.length).toBeGreaterThan(0);
  });

  it('reads members with their optional and dev dependencies', () => {
    const mlService = lock.packages.find((lockPackage) => lockPackage.name === 'ml-service');
    expect(mlService).toMatchObject({
      version: '0.1.0',
      source: { editable: 'services/ml-service' },
      dependencies: [{ name: 'requests' }, { name: 'shared-lib' }],
      devDependencies: { dev: [{ name: 'pytest', group: 'dev' }] },
    });
    expect(mlService?.optionalDependencies['cu124']).toEqual([
      { name: 'flash-attn' },
      { name: 'torch', version: '2.5.1+cu124', source: { registry: 'https://download.pytorch.org/whl/cu124' } },
    ]);
  });

  it('keeps both versions of a package the conflicting extras need', () => {
    const torches = lock.packages.filter((lockPackage) => lockPackage.name === 'torch');
    expect(torches.map((torch) => [torch.version, torch.source])).toEqual([
      ['2.5.1+cu124', { registry: 'https://download.pytorch.org/whl/cu124' }],
      ['2.7.0+cu128', { registry: 'https://download.pytorch.org/whl/cu128' }],
    ]);
    expect(torches[0]?.wheels[0]).toEqual({
      url: 'https://download.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl',
      hash: 'sha256:05a0480be513f231837f98e98ab67491495527049d295b8a727e5515ef904f09',
    });
  });

  it('reads sdist-only packages and dependency markers', () => {
    const flashAttn = lock.packages.find((lockPackage) => lockPackage.name === 'flash-attn');
    expect(flashAttn?.wheels).toEqual([]);
    expect(flashAttn?.sdist).toMatchObject({ size: 6016306, hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(flashAttn?.dependencies[2]?.marker).toBe(
      "extra != 'extra-10-ml-service-cu124' and extra == 'extra-10-ml-service-cu128'",
    );
  });

  it('reads a single-project lock and a virtual root', () => {
    const single = parseUvLock(readFixture('vision-service/uv.lock'), 'vision-service/uv.lock');
    expect(single.packages.find((lockPackage) => lockPackage.name === 'vision-service')?.source).toEqual({ editable: '.' });
    const prod = parseUvLock(readFixture('prod/uv.lock'), 'prod/uv.lock');
    expect(prod.packages.find((lockPackage) => lockPackage.name === 'prod')?.source).toEqual({ virtual: '.' });
  });

  it('reads locks without a revision and ignores keys it does not know', () => {
    const lock = parseUvLock(
      lockWith('[[package]]\nname = "a"\nversion = "1"\nsource = { registry = "https://pypi.org/simple" }\nfuture-key = 1\n', 'version = 1\n'),
      'uv.lock',
    );
    expect(lock.revision).toBe(0);
    expect(lock.packages).toEqual([
      {
        name: 'a',
        version: '1',
        source: { registry: 'https://pypi.org/simple' },
        dependencies: [],
        optionalDependencies: {},
        devDependencies: {},
        sdist: undefined,
        wheels: [],
      },
    ]);
  });
});

describe('parseUvLock errors', () => {
  it('names the file, line and column of a TOML syntax error', () => {
    const error = errorOf(() => parseUvLock('version = 1\n\n[[package]\nname = "a"\n', 'services/uv.lock'));
    expect(error.where.file).toBe('services/uv.lock');
    expect(error.message).toMatch(/^services\/uv\.lock:3:\d+: invalid TOML: /);
    expect(error.message).not.toContain('\n');
  });

  it('names the key path and what was expected', () => {
    const error = errorOf(() =>
      parseUvLock(lockWith('[[package]]\nname = 3\nsource = { registry = "https://pypi.org/simple" }\n'), 'uv.lock'),
    );
    expect(error.message).toBe('uv.lock: package[0].name: expected string, received number');
  });

  it('reports several problems in one message', () => {
    const error = errorOf(() =>
      parseUvLock(
        lockWith(
          '[[package]]\nname = "a"\nversion = "1.0"\nsource = { registry = "r" }\nwheels = [{ url = "u", size = -1 }]\n\n' +
            '[[package]]\nname = "b"\n\n[package.optional-dependencies]\ngpu = [{ version = "1" }]\n',
          'version = 2\n',
        ),
        'uv.lock',
      ),
    );
    expect(error.message).toBe(
      'uv.lock: version: expected 1, the only uv.lock version this plugin reads; ' +
        'package[0].wheels[0].size: Too small: expected number to be >=0; ' +
        'package[1].source: expected record, received undefined; ' +
        'package[1].optional-dependencies.gpu[0].name: expected string, received undefined',
    );
  });

  it('rejects a source table without exactly one kind', () => {
    const error = errorOf(() =>
      parseUvLock(lockWith('[[package]]\nname = "a"\nversion = "1.0"\nsource = { registry = "r", editable = "." }\n'), 'uv.lock'),
    );
    expect(error.message).toBe(
      'uv.lock: package[0].source: expected exactly one of registry, git, url, path, directory, editable, virtual',
    );
  });

  it('rejects a dependency entry that does not pick exactly one package', () => {
    const packages = [
      '[[package]]\nname = "app"\nversion = "1"\nsource = { editable = "." }\ndependencies = [{ name = "torch" }]\n',
      '[[package]]\nname = "torch"\nversion = "2.5.1"\nsource = { registry = "https://download.pytorch.org/whl/cu124" }\n',
      '[[package]]\nname = "torch"\nversion = "2.7.0"\nsource = { registry = "https://download.pytorch.org/whl/cu128" }\n',
    ].join('\n');
    expect(errorOf(() => parseUvLock(lockWith(packages), 'uv.lock')).message).toBe(
      'uv.lock: package[0].dependencies[0]: 2 packages match torch; the entry needs a version and source to pick one',
    );
  });

  it('reports a package listed twice (same name, version and source) as a duplicate, with both lines', () => {
    const torch = '[[package]]\nname = "torch"\nversion = "2.5.1"\nsource = { registry = "https://pypi.org/simple" }\n';
    const app = '[[package]]\nname = "app"\nversion = "1"\nsource = { editable = "." }\ndependencies = [{ name = "torch" }]\n';
    const error = errorOf(() => parseUvLock(lockWith(`${app}\n${torch}\n${torch}`), 'uv.lock'));
    expect(error.message).toBe(
      'uv.lock:15: duplicate package: torch 2.5.1 (registry+https://pypi.org/simple) is listed twice (lines 10 and 15); ' +
        'remove one, or run `uv lock`',
    );
    expect(error.where).toEqual({ file: 'uv.lock', line: 15 });
  });

  it('reports a versionless package listed twice with its source, and keeps one name and source at two versions', () => {
    const shared = '[[package]]\nname = "shared"\nsource = { editable = "libs/shared" }\n';
    expect(errorOf(() => parseUvLock(lockWith(`${shared}\n${shared}`), 'uv.lock')).message).toMatch(
      /^uv\.lock:8: duplicate package: shared \(editable\+libs\/shared\) is listed twice \(lines 4 and 8\)/,
    );
    const numpy = (version: string) => `[[package]]\nname = "numpy"\nversion = "${version}"\nsource = { registry = "https://pypi.org/simple" }\n`;
    expect(parseUvLock(lockWith(`${numpy('1.26.4')}\n${numpy('2.0.0')}`), 'uv.lock').packages).toHaveLength(2);
  });

  it('rejects a dependency marker that does not parse, naming its key path', () => {
    const packages =
      '[[package]]\nname = "app"\nversion = "1"\nsource = { editable = "." }\ndependencies = [{ name = "b", marker = "extra == \'cu124" }]\n\n' +
      '[[package]]\nname = "b"\nversion = "1"\nsource = { registry = "r" }\n';
    expect(errorOf(() => parseUvLock(lockWith(packages), 'uv.lock')).message).toBe(
      'uv.lock: package[0].dependencies[0].marker: invalid marker "extra == \'cu124" at column 10: unterminated string',
    );
  });

  it('reports bytes that are not UTF-8 with their line', () => {
    const bytes = Buffer.concat([Buffer.from('version = 1\n# caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const error = errorOf(() => parseUvLock(bytes.toString('utf8'), 'uv.lock'));
    expect(error.message).toBe(
      'uv.lock:2: the file is not UTF-8: this line holds bytes that are not UTF-8 text (read as U+FFFD); save it as UTF-8',
    );
    expect(error.where).toEqual({ file: 'uv.lock', line: 2 });
  });

  it('rejects a dependency entry on a package the lock lacks', () => {
    const packages =
      '[[package]]\nname = "app"\nversion = "1"\nsource = { editable = "." }\n\n' +
      '[package.dev-dependencies]\ndev = [{ name = "pytest", version = "8.3.4", source = { registry = "https://pypi.org/simple" } }]\n';
    expect(errorOf(() => parseUvLock(lockWith(packages), 'uv.lock')).message).toBe(
      'uv.lock: package[0].dev-dependencies.dev[0]: no package pytest 8.3.4 registry+https://pypi.org/simple in the lock',
    );
  });
});

describe('sources', () => {
  it('formats a source table on one line', () => {
    expect(formatSource({ registry: 'https://download.pytorch.org/whl/cu124' })).toBe(
      'registry+https://download.pytorch.org/whl/cu124',
    );
    expect(formatSource({ editable: 'libs/shared' })).toBe('editable+libs/shared');
    expect(formatSource({ url: 'https://example.com/a.tar.gz', subdirectory: 'pkg' })).toBe(
      'url+https://example.com/a.tar.gz subdirectory=pkg',
    );
  });

  it('names the kind of a source', () => {
    expect(sourceKind({ git: 'https://github.com/org/repo?rev=main#0123abcd' })).toBe('git');
    expect(sourceKind({ virtual: '.' })).toBe('virtual');
  });
});

describe('PackageLookup', () => {
  const lock = parseUvLock(WORKSPACE_LOCK, 'uv.lock');
  const lookup = new PackageLookup(lock);

  it('resolves a unique name without version or source', () => {
    expect(lookup.resolve({ name: 'Charset_Normalizer' }).version).toBe('3.4.1');
  });

  it('uses version and source to pick among packages of one name', () => {
    const torch = lookup.resolve({
      name: 'torch',
      version: '2.7.0+cu128',
      source: { registry: 'https://download.pytorch.org/whl/cu128' },
    });
    expect(torch.source).toEqual({ registry: 'https://download.pytorch.org/whl/cu128' });
    expect(lookup.named('torch')).toHaveLength(2);
  });

  it('throws naming the file when the entry is ambiguous', () => {
    const error = errorOf(() => lookup.resolve({ name: 'torch' }));
    expect(error.message).toBe('uv.lock: 2 packages match torch; the entry needs a version and source to pick one');
    expect(error.where).toEqual({ file: 'uv.lock' });
  });
});

describe('locks of uv before 0.3', () => {
  it('reads [[distribution]] tables like [[package]]', () => {
    const lock = parseUvLock(
      lockWith('[[distribution]]\nname = "b"\nversion = "2"\nsource = { registry = "https://pypi.org/simple" }\n', 'version = 1\n'),
      'old/uv.lock',
    );
    expect(lock.packages.map((entry) => [entry.name, entry.version, entry.source])).toEqual([
      ['b', '2', { registry: 'https://pypi.org/simple' }],
    ]);
  });
});

describe('lockedLocalVersions', () => {
  const entry = (table: string, name: string, version: string) =>
    `[[${table}]]\nname = "${name}"\nversion = "${version}"\nsource = { registry = "https://download.pytorch.org/whl" }\n\n`;

  it('lists the +local labels of one package, once each, in lock order', () => {
    const text = lockWith(
      entry('package', 'torch', '2.7.0+cu128') +
        entry('package', 'torch', '2.5.1+cu124') +
        entry('package', 'torch', '2.7.0+cu128') +
        entry('package', 'torchvision', '0.22.0+cu126'),
    );
    expect(lockedLocalVersions(text, 'torch')).toEqual(['cu128', 'cu124']);
  });

  it('reads [[distribution]] entries, and nothing for a version without a label or a missing package', () => {
    expect(lockedLocalVersions(lockWith(entry('distribution', 'torch', '2.3.0+cpu')), 'torch')).toEqual(['cpu']);
    expect(lockedLocalVersions(lockWith(entry('package', 'torch', '2.7.0')), 'torch')).toEqual([]);
    expect(lockedLocalVersions(lockWith(entry('package', 'numpy', '2.0.0')), 'torch')).toEqual([]);
  });

  it('reads a name holding regular expression characters as written', () => {
    expect(lockedLocalVersions(lockWith(entry('package', 'a(b', '1.0+x')), 'a(b')).toEqual(['x']);
    expect(lockedLocalVersions(lockWith(entry('package', 'zope-interface', '1.0+x')), 'zope.interface')).toEqual([]);
  });
});

describe('parseUvLock: a registry package without its version', () => {
  it('is reported with its key path', () => {
    const text = ['version = 1', '', '[[package]]', 'name = "numpy"', 'source = { registry = "https://pypi.org/simple" }', ''].join('\n');
    expect(thrownPluginError('uv-lock', () => parseUvLock(text, 'svc/uv.lock')).message).toBe(
      'svc/uv.lock: package[0].version: a package from a registry needs its version (uv writes one for each): run `uv lock`',
    );
  });
});
