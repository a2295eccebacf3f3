import type { FileSource } from '../../core/file-source';
import { buildArgsFileSchema, readTaskFile } from '../../model/task-files';
import type { TaskInfo } from './task';

export interface ResolvedBuildArgs {
  buildArgs: Record<string, string>;
  /** Passed by name: buildx takes their values from the environment. */
  fromEnvironment: string[];
}

/** The build args of a build: the keys target's resolved ones, then the target's own `buildArgs` over them. */
export function resolveBuildArgs(
  files: FileSource,
  task: TaskInfo,
  buildArgsFile: string | undefined,
  overrides: Record<string, string>,
): ResolvedBuildArgs {
  if (!buildArgsFile) return { buildArgs: overrides, fromEnvironment: [] };
  const { data } = readTaskFile(files, buildArgsFile, buildArgsFileSchema, task.producerOf(buildArgsFile));
  return { buildArgs: { ...data.buildArgs, ...overrides }, fromEnvironment: data.fromEnvironment };
}

/** `buildFile` was renamed: it names a JSON file of build args. */
export const BUILD_ARGS_FILE_RENAMES = { buildFile: 'buildArgsFile' };
