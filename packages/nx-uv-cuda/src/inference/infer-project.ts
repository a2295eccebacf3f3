import { posix } from 'node:path';
import type { ProjectConfiguration } from '@nx/devkit';
import { normalizePluginOptions, type NormalizedPluginOptions } from '../config/plugin-options';
import { diskFiles } from '../core/file-source';
import { contextInputs } from '../docker/context-inputs';
import { localSources, readProjectModel, type ProjectModel } from '../model/project';
import { brokenProject } from './broken-project';
import type { CachedProject, DependencyHints } from './inference-cache';
import { inferTargets } from './targets';

/** The package's export of executors/release/version-actions.ts, as nx release resolves it from the workspace. */
const VERSION_ACTIONS = 'nx-uv-cuda/release/version-actions';

/**
 * Everything inference needs beyond the cache: parsers, zod schemas, target building. The plugin loads this
 * module only when a project misses the inference cache, so a warm graph computation never pays for loading it.
 */
export type InferenceOutcome =
  | { project: CachedProject; warnings: string[] }
  | { error: Error; placeholder?: ProjectConfiguration; warnings: string[] };

let normalized: { raw: unknown; options: NormalizedPluginOptions } | undefined;

/**
 * Invalid plugin options throw (a workspace-level error); a broken project yields its error and a placeholder
 * that keeps its name and, where they can still be known, its targets (`previous`: the last good inference).
 */
export function inferProject(
  workspaceRoot: string,
  file: string,
  rawOptions: unknown,
  isPyprojectFile: (file: string) => boolean,
  previous?: ProjectConfiguration,
): InferenceOutcome {
  const options = optionsFor(rawOptions);
  const files = diskFiles(workspaceRoot);
  try {
    const model = readProjectModel(files, file, options, isPyprojectFile);
    if (!model) return { project: {}, warnings: [] };
    const { project, warnings } = cachedProject(model);
    return { project, warnings };
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    // One broken project must not break the graph of the others: it stays visible with failing targets.
    const placeholder = posix.dirname(file) !== '.' ? brokenProject(files, file, error, options, previous) : undefined;
    return { error, placeholder, warnings: [] };
  }
}

function optionsFor(rawOptions: unknown): NormalizedPluginOptions {
  const current = normalized;
  if (current && current.raw === rawOptions) return current.options;
  const options = normalizePluginOptions(rawOptions);
  normalized = { raw: rawOptions, options };
  return options;
}

function cachedProject(model: ProjectModel): { project: CachedProject; warnings: string[] } {
  const { targets, targetGroups, hasImages, explanation } = inferTargets(model);
  const backends = model.backends.map((backend) => backend.name);
  const dockerfiles = model.dockerfiles.map((dockerfile) => dockerfile.file);
  const project: CachedProject = {
    node: {
      root: model.root,
      name: model.name,
      ...(hasImages ? { projectType: 'application' as const } : {}),
      tags: ['python', 'nx-uv-cuda'],
      targets,
      // nx release versions the project in pyproject.toml and its uv.lock entry (executors/release/version-actions.ts).
      release: { version: versionConfig(model) },
      metadata: {
        technologies: ['python', 'uv', 'docker', 'cuda'],
        description: hasImages
          ? `uv project ${model.pythonName}; images built from ${dockerfiles.join(', ')} for ${backends.join(', ')}`
          : `uv project ${model.pythonName}; no Dockerfile builds it, so lock targets only`,
        targetGroups,
        'nx-uv-cuda': explanation,
      },
    },
    hints: dependencyHints(model),
  };
  return { project, warnings: explanation.warnings };
}

/** nx release's version step: the manifests that carry the version and every lock that records it. */
function versionConfig(model: ProjectModel) {
  const locks = [model.lockFile, model.prodLockFile, ...Object.values(model.locks).flatMap((own) => [own.lockFile, own.prodLockFile])];
  return {
    versionActions: VERSION_ACTIONS,
    versionActionsOptions: { lockFiles: [...new Set(locks.filter((lock): lock is string => lock !== undefined))] },
    // A service's minimal production manifest (prod/pyproject.toml, beside prod/uv.lock) is versioned with it.
    ...(model.prodLockFile && { manifestRootsToUpdate: ['{projectRoot}', posix.dirname(model.prodLockFile)] }),
  };
}

function dependencyHints(model: ProjectModel): DependencyHints {
  const sources = localSources(model);
  return {
    pythonName: model.pythonName,
    pyprojectFile: model.pyprojectFile,
    lockFile: model.lockFile,
    workspaceSources: sources.names,
    pathSources: sources.paths.map((source) => source.folder),
    dockerfiles: model.dockerfiles.map((dockerfile) => ({
      file: dockerfile.file,
      contextPaths: contextInputs(dockerfile.model.stages, { contextRoot: model.contextDir }).contextPaths,
    })),
  };
}
