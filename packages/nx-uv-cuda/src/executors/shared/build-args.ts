import type { FileSource } from '../../core/file-source';
import { buildArgsFileSchema, readTaskFile } from '../../model/task-files';
import type { TaskInfo } from './task';

/** The build args of a build: the keys target's resolved ones, then the target's own `buildArgs` over them. */
export function resolveBuildArgs(
  files: FileSource,
  task: TaskInfo,
  buildArgsFile: string | undefined,
  overrides: Record<string, string>,
): Record<string, string> {
  if (!buildArgsFile) return overrides;
  const { data } = readTaskFile(files, buildArgsFile, buildArgsFileSchema, task.producerOf(buildArgsFile));
  return { ...data.buildArgs, ...overrides };
}

/** `buildFile` was renamed: it names a JSON file of build args. */
export const BUILD_ARGS_FILE_RENAMES = { buildFile: 'buildArgsFile' };
