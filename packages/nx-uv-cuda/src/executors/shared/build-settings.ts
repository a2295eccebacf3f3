import { existsSync, readFileSync } from 'node:fs';
import type { BuildSettings } from '../build-keys/key-files';

/** The build args of a build: the keys target's resolved ones, then the target's own `buildArgs` over them. */
export function resolveBuildArgs(
  buildFile: string | undefined,
  overrides: Record<string, string>,
  absolute: (path: string) => string,
): Record<string, string> {
  if (!buildFile) return overrides;
  if (!existsSync(absolute(buildFile))) throw new Error(`${buildFile} is missing: run the keys target of this backend first`);
  const settings = JSON.parse(readFileSync(absolute(buildFile), 'utf8')) as BuildSettings;
  return { ...settings.buildArgs, ...overrides };
}
