import { posix } from 'node:path';
import type { ProjectConfiguration } from '@nx/devkit';
import { brokenProject } from './broken-project';
import type { CachedProject } from './inference-cache';
import { normalizePluginOptions, type NormalizedPluginOptions } from './normalize-options';
import { readProject } from './read-project';
import { inferTargets } from './targets';

/**
 * Everything inference needs beyond the cache: parsers, zod schemas, target building. The plugin loads this
 * module only when a project misses the inference cache, so a warm graph computation never pays for loading it.
 */
export type InferenceOutcome = { project: CachedProject } | { error: Error; placeholder?: ProjectConfiguration };

let normalized: { raw: unknown; options: NormalizedPluginOptions } | undefined;

/** Invalid plugin options throw (a workspace-level error); a broken project yields its error and a placeholder. */
export function inferProject(
  workspaceRoot: string,
  file: string,
  rawOptions: unknown,
  isPyprojectFile: (file: string) => boolean,
): InferenceOutcome {
  const options = optionsFor(rawOptions);
  try {
    return { project: projectOf(workspaceRoot, file, options, isPyprojectFile) };
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    // One broken project must not break the graph of the others: it stays visible with failing targets.
    const placeholder = posix.dirname(file) !== '.' ? brokenProject(workspaceRoot, file, error, options) : undefined;
    return { error, placeholder };
  }
}

function optionsFor(rawOptions: unknown): NormalizedPluginOptions {
  const current = normalized;
  if (current && current.raw === rawOptions) return current.options;
  const options = normalizePluginOptions(rawOptions);
  normalized = { raw: rawOptions, options };
  return options;
}

function projectOf(
  workspaceRoot: string,
  file: string,
  options: NormalizedPluginOptions,
  isPyprojectFile: (file: string) => boolean,
): CachedProject {
  const project = readProject(workspaceRoot, file, options, isPyprojectFile);
  if (!project) return {};
  const { facts, hints } = project;
  return {
    node: {
      root: facts.root,
      name: facts.name,
      projectType: 'application',
      tags: ['python', 'nx-uv-cuda'],
      targets: inferTargets(facts),
      metadata: {
        technologies: ['python', 'uv', 'docker', 'cuda'],
        description: `uv project ${hints.pythonName}; backends: ${facts.backends.map((b) => b.name).join(', ')}`,
      },
    },
    hints,
  };
}
