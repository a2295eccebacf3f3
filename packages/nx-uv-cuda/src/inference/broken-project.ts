import { posix } from 'node:path';
import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import type { NormalizedPluginOptions } from '../config/plugin-options';
import type { FileSource } from '../core/file-source';
import { acceleratorRoutes, resolveBackends } from '../model/backends';
import { bestEffortProjectName } from '../model/project';
import { parsePyproject } from '../python/pyproject';

/**
 * A project whose files could not be read still appears in the graph under its own name (so the rest of the
 * workspace builds and `nx affected` still sees it), with every target it had, or would have, failing with the
 * reason when run: the aggregates, and the per-backend targets of the backends that can still be known (from
 * the last good inference, else from the pyproject.toml when only the Dockerfile is broken).
 */
export function brokenProject(
  files: FileSource,
  pyprojectFile: string,
  error: Error,
  options: NormalizedPluginOptions,
  previous?: ProjectConfiguration,
): ProjectConfiguration {
  const names = options.targetNames;
  const failing: TargetConfiguration = {
    executor: 'nx-uv-cuda:invalid-project',
    options: { error: error.message },
    metadata: { description: `Cannot be inferred: ${error.message}` },
  };
  const perBackend = [names.lockSlice, names.keys, names.wheel, names.imageDev, names.imageProd, names.smoke];
  const targetNames = new Set([
    names.image, names.imageDev, names.imageProd, names.wheel, names.lock, names.lockCheck, names.smoke,
    ...Object.keys(previous?.targets ?? {}),
    ...knownBackends(files, pyprojectFile, options).flatMap((backend) => perBackend.map((prefix) => `${prefix}-${backend}`)),
  ]);
  return {
    root: posix.dirname(pyprojectFile),
    name: previous?.name ?? bestEffortProjectName(files, pyprojectFile),
    metadata: { description: `nx-uv-cuda could not infer this project: ${error.message}` },
    targets: Object.fromEntries([...targetNames].map((name) => [name, failing])),
  };
}

/** The backends of a project whose pyproject.toml still reads; none when it does not. */
function knownBackends(files: FileSource, pyprojectFile: string, options: NormalizedPluginOptions): string[] {
  try {
    const pyproject = parsePyproject(files.read(pyprojectFile) ?? '', pyprojectFile);
    const backends = resolveBackends({
      pyprojectFile,
      extras: pyproject.optionalDependencyNames,
      groups: pyproject.dependencyGroupNames,
      routes: acceleratorRoutes(pyproject),
      projectBackends: pyproject.config.backends,
      workspaceBackends: options.backends,
    }).map((backend) => backend.name);
    // Without declared backends the name would come from the Dockerfile, which is what could not be read.
    return backends.filter((name) => name !== 'default');
  } catch {
    return [];
  }
}
