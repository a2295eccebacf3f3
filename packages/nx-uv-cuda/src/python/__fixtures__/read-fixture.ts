import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Text of a hand-written lock under `__fixtures__`, e.g. `workspace/uv.lock`. */
export function readFixture(relativePath: string): string {
  return readFileSync(join(__dirname, relativePath), 'utf8');
}
