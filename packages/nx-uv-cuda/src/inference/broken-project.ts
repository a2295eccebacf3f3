import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { normalizeName } from '../python/names';
import type { NormalizedPluginOptions } from './normalize-options';

/**
 * A project whose files could not be read still appears in the graph (so the rest of the workspace builds and
 * `nx affected` still sees it), with its usual aggregate targets failing with the reason when run.
 */
export function brokenProject(
  workspaceRoot: string,
  pyprojectFile: string,
  error: Error,
  options: NormalizedPluginOptions,
): ProjectConfiguration {
  const root = posix.dirname(pyprojectFile);
  const names = options.targetNames;
  const failing: TargetConfiguration = {
    executor: 'nx-uv-cuda:invalid-project',
    options: { error: error.message },
    metadata: { description: `Cannot be inferred: ${error.message}` },
  };
  const targetNames = [names.image, names.imageDev, names.imageProd, names.wheel, names.lock, names.lockCheck, names.smoke];
  return {
    root,
    name: guessProjectName(workspaceRoot, pyprojectFile) ?? posix.basename(root),
    metadata: { description: `nx-uv-cuda could not infer this project: ${error.message}` },
    targets: Object.fromEntries(targetNames.map((name) => [name, failing])),
  };
}

/** The `name = "..."` line of a pyproject.toml that does not parse as a whole. */
function guessProjectName(workspaceRoot: string, pyprojectFile: string): string | undefined {
  try {
    const text = readFileSync(join(workspaceRoot, pyprojectFile), 'utf8');
    const match = /^\s*name\s*=\s*["']([A-Za-z0-9._-]+)["']/m.exec(text);
    return match ? normalizeName(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
