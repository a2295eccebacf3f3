import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sha256Of } from '../../core/hash';
import { writeTextAtomically } from '../shared/files';

/** Beside every stored set of wheels (local store and registry image): `sha256sum` lines, one per wheel. */
export const DIGESTS_FILE = 'SHA256SUMS';

/** `sha256sum` format: `<hex>  <file name>`. */
const DIGEST_LINE = /^([0-9a-f]{64}) {2}(\S+\.whl)$/;
/** A zip archive (which a wheel is) ends with the end-of-central-directory record. */
const END_OF_CENTRAL_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const ZIP_TAIL_BYTES = 22 + 0xffff;

/** Why `file` is not a wheel a build could install (not a zip archive, or cut short), or undefined. */
export function wheelProblem(file: string): string | undefined {
  const size = statSync(file).size;
  const tail = Buffer.alloc(Math.min(size, ZIP_TAIL_BYTES));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const head = Buffer.alloc(Math.min(size, 4));
    readSync(fd, head, 0, head.length, 0);
    if (!head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return `${basename(file)} is not a zip archive`;
  } finally {
    closeSync(fd);
  }
  return tail.includes(END_OF_CENTRAL_DIRECTORY) ? undefined : `${basename(file)} is cut short (no zip directory at its end)`;
}

/** Writes the digests of `wheels` (files in `dir`) into `dir`, atomically: a crash leaves none or all of them. */
export function writeWheelDigests(dir: string, wheels: readonly string[]): void {
  const lines = wheels.map((wheel) => `${sha256Of(wheel)}  ${basename(wheel)}\n`);
  writeTextAtomically(join(dir, DIGESTS_FILE), lines.join(''));
}

/**
 * The wheels of a stored folder when its digest file lists exactly its .whl files and each one's bytes match,
 * else what is wrong with it. A folder without a digest file (stored by nx-uv-cuda 0.1) is `unrecorded`: its
 * wheels are taken when each is a whole zip archive, since dropping them could cost hours of compiling.
 */
export function verifiedWheels(dir: string): { wheels: string[]; unrecorded?: true } | { problem: string } {
  const present = readdirSync(dir).filter((name) => name.endsWith('.whl')).sort();
  if (present.length === 0) return { problem: 'it holds no .whl file' };
  const digestsFile = join(dir, DIGESTS_FILE);
  if (!existsSync(digestsFile)) {
    const problems = present.map((name) => wheelProblem(join(dir, name))).filter((problem) => problem !== undefined);
    return problems.length > 0 ? { problem: problems.join('; ') } : { wheels: present.map((name) => join(dir, name)), unrecorded: true };
  }
  const listed = new Map<string, string>();
  for (const line of readFileSync(digestsFile, 'utf8').split('\n').filter(Boolean)) {
    const match = DIGEST_LINE.exec(line);
    if (!match) return { problem: `${DIGESTS_FILE} has a line that is not "<sha256>  <name>.whl": ${JSON.stringify(line.slice(0, 80))}` };
    listed.set(match[2], match[1]);
  }
  const unlisted = present.filter((name) => !listed.has(name));
  const missing = [...listed.keys()].filter((name) => !present.includes(name));
  if (unlisted.length > 0 || missing.length > 0) {
    return { problem: `its wheels (${present.join(', ')}) are not those ${DIGESTS_FILE} lists (${[...listed.keys()].join(', ')})` };
  }
  for (const name of present) {
    const actual = sha256Of(join(dir, name));
    if (actual !== listed.get(name)) return { problem: `${name} does not match its digest (sha256 ${actual.slice(0, 12)}…, recorded ${listed.get(name)!.slice(0, 12)}…)` };
  }
  return { wheels: present.map((name) => join(dir, name)) };
}
