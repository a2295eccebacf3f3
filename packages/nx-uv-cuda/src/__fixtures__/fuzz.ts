import fc from 'fast-check';
import { expect } from 'vitest';
import { isPluginError, type PluginError, type PluginErrorKind } from '../core/errors';

/** Far above what any fuzzed input needs: a reader that takes this long has gone super-linear. */
const SLOW_MS = 2000;

/**
 * What `run` returns, or the PluginError of `kind` it throws, which must name `file` when one is given (and start
 * its message with it); anything else escaping, or a run slower than SLOW_MS, fails the property.
 */
export function valueOrPluginError<T>(kind: PluginErrorKind, file: string | undefined, run: () => T): T | PluginError {
  const started = performance.now();
  try {
    return run();
  } catch (error) {
    if (!isPluginError(error, kind)) throw error;
    if (file !== undefined) {
      expect(error.where.file).toBe(file);
      expect(error.message.startsWith(file)).toBe(true);
    }
    return error;
  } finally {
    expect(performance.now() - started).toBeLessThan(SLOW_MS);
  }
}

/**
 * Edits that hand edits, bad merges, tools and other encodings make to a text file: cut short, text or random
 * bytes inserted, lines duplicated or deleted, CRLF and lone CR line ends, a BOM, latin1 read as UTF-8 and back.
 */
export function textMutation(snippets: readonly string[]): fc.Arbitrary<(text: string) => string> {
  const insert = fc.oneof(
    ...(snippets.length > 0 ? [fc.constantFrom(...snippets)] : []),
    fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
  );
  return fc.oneof(
    fc.nat().map((at) => (text: string) => text.slice(0, at % (text.length + 1))),
    fc.tuple(fc.nat(), insert).map(([at, inserted]) => (text: string) => {
      const position = at % (text.length + 1);
      return text.slice(0, position) + inserted + text.slice(position);
    }),
    fc.tuple(fc.nat(), fc.nat({ max: 3 })).map(([at, count]) => (text: string) => {
      const lines = text.split('\n');
      lines.splice(at % (lines.length + 1), 0, ...lines.slice(at % lines.length, (at % lines.length) + count + 1));
      return lines.join('\n');
    }),
    fc.nat().map((at) => (text: string) => {
      const lines = text.split('\n');
      lines.splice(at % lines.length, 1);
      return lines.join('\n');
    }),
    fc.constant((text: string) => text.replace(/\n/g, '\r\n')),
    fc.constant((text: string) => text.replace(/\n/g, '\r')),
    fc.constant((text: string) => `\uFEFF${text}`),
    fc.constant((text: string) => Buffer.from(text, 'utf8').toString('latin1')),
    fc.constant((text: string) => Buffer.from(text, 'latin1').toString('utf8')),
  );
}

/** `text` after 0 to 3 (or `minEdits` to 4) of those edits. */
export function mutated(text: fc.Arbitrary<string>, snippets: readonly string[] = [], minEdits = 0): fc.Arbitrary<string> {
  return fc
    .tuple(text, fc.array(textMutation(snippets), { minLength: minEdits, maxLength: minEdits > 0 ? 4 : 3 }))
    .map(([start, edits]) => edits.reduce((edited, edit) => edit(edited), start));
}
