import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutated, valueOrPluginError } from '../__fixtures__/fuzz';
import { isPluginError } from '../core/errors';
import { readFixture } from './__fixtures__/read-fixture';
import { lockedLocalVersions, parseUvLock } from './uv-lock';

const FILE = 'services/ml/uv.lock';
const NUM_RUNS = 300;
const LOCKS = ['workspace/uv.lock', 'vision-service/uv.lock', 'prod/uv.lock'].map(readFixture);

const expectValueOrLockError = (read: () => unknown) => valueOrPluginError('uv-lock', FILE, read);

const TOML_SNIPPETS = [
  '"', "'", '"""', '[', ']', '[[package]]', '{', '}', '=', ',', '#', '\\', '\0', '\uFEFF', '\uFFFD', 'é',
  '99999999999999999999999', '1e99999', 'nan', 'inf', '-0', '1979-05-27T07:32:00Z', 'true', 'name = "x"', 'version = 2',
  'a.b.c = 1', '[package.source]', 'registry = "r"', '\n', '\r',
];


/** The lock's `[[package]]` tables, as uv writes them, and the header before them. */
function packageTables(text: string): { header: string; tables: string[] } {
  const [header, ...tables] = text.split(/\n(?=\[\[package\]\]\n)/);
  return { header, tables };
}

describe('parseUvLock fuzzing', () => {
  it('reads any text, or throws an uv-lock PluginError naming the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string().map((text) => `version = 1\n${text}`)), (text) => {
        expectValueOrLockError(() => parseUvLock(text, FILE));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reads real locks, mutated, or throws an uv-lock PluginError naming the file', () => {
    fc.assert(
      fc.property(mutated(fc.constantFrom(...LOCKS), TOML_SNIPPETS, 1), (text) => {
        expectValueOrLockError(() => parseUvLock(text, FILE));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reports a package table listed twice as a duplicate, with both lines', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LOCKS), fc.nat(), fc.nat(), (text, pick, at) => {
        const { header, tables } = packageTables(text);
        const copied = tables[pick % tables.length];
        const withCopy = [...tables];
        withCopy.splice(at % (tables.length + 1), 0, copied);
        const error = expectValueOrLockError(() => parseUvLock([header, ...withCopy].join('\n'), FILE));
        expect(isPluginError(error) && error.message).toMatch(/: duplicate package: .* is listed twice \(lines \d+ and \d+\)/);
        expect(isPluginError(error) && error.where.line).toBeGreaterThan(0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reports bytes that are not UTF-8 with the line that holds them', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LOCKS), fc.nat(), fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0x80]), (text, at, bytes) => {
        const position = at % (text.length + 1);
        const bytesText = Buffer.concat([Buffer.from(text.slice(0, position)), Buffer.from(bytes), Buffer.from(text.slice(position))]);
        const error = expectValueOrLockError(() => parseUvLock(bytesText.toString('utf8'), FILE));
        const line = text.slice(0, position).split('\n').length;
        expect(isPluginError(error) && error.message).toBe(
          `${FILE}:${line}: the file is not UTF-8: this line holds bytes that are not UTF-8 text (read as U+FFFD); save it as UTF-8`,
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reads local version labels for any package name, matching that name only', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(...LOCKS), (name, text) => {
        const lock = `${text}\n[[package]]\nname = "${name}"\nversion = "1.0+fuzz"\n`;
        expect(lockedLocalVersions(lock, name)).toContain('fuzz');
        expect(lockedLocalVersions(text, `${name}(`)).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
