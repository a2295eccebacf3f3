import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let version: string | undefined;

/** The version of the installed plugin (its package.json, two folders up from dist/core or src/core). */
export function pluginVersion(): string {
  version ??= (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
