import type { ExecutorContext } from '@nx/devkit';
import type { z } from 'zod';
import { applyRenames, type Renames } from '../../config/renamed-options';
import { isPluginError, PluginError } from '../../core/errors';
import { diskFiles, type FileSource } from '../../core/file-source';
import { formatZodIssues } from '../../core/zod-message';
import { interruptible, type InterruptScope } from '../../process/interruptible';
import { fail, info } from './log';
import { taskInfo, type TaskInfo } from './task';

export interface ExecutorRun<O> {
  options: O;
  task: TaskInfo;
  /** The workspace on disk. */
  files: FileSource;
  /** Aborted on SIGINT/SIGTERM; temporary paths registered here are removed however the run ends. */
  scope: InterruptScope;
}

export interface ExecutorSpec<S extends z.ZodType> {
  schema: S;
  /** Options renamed since an earlier release: still accepted, with a warning. */
  renames?: Renames;
}

/**
 * The one way an executor runs: task info from Nx's context, options validated against the zod schema (one
 * message naming every wrong key), interruption handled, and errors reported. A PluginError (the user's input,
 * the engine, a failed command) prints its one message; anything else is a bug and prints its stack.
 */
export function runExecutor<S extends z.ZodType>(
  spec: ExecutorSpec<S>,
  work: (run: ExecutorRun<z.output<S>>) => Promise<void>,
) {
  return async (rawOptions: z.input<S>, context: ExecutorContext): Promise<{ success: boolean }> => {
    const task = taskInfo(context);
    try {
      const options = validate(spec, rawOptions, task.id);
      await interruptible(
        (scope) => work({ options, task, files: diskFiles(task.workspaceRoot), scope }),
        (signal) => info(`interrupted by ${signal}: stopping; temporary files go, earlier outputs stay as they were`),
      );
      return { success: true };
    } catch (error) {
      if (isPluginError(error)) return fail(error.message);
      const bug = error instanceof Error ? (error.stack ?? error.message) : String(error);
      return fail(`unexpected error in ${task.id} (a bug in nx-uv-cuda, please report it):\n${bug}`);
    }
  };
}

function validate<S extends z.ZodType>(spec: ExecutorSpec<S>, rawOptions: unknown, where: string): z.output<S> {
  const renamed = spec.renames ? applyRenames(rawOptions, spec.renames, `options of ${where}`) : { value: rawOptions, warnings: [] };
  for (const warning of renamed.warnings) info(warning);
  const result = spec.schema.safeParse(renamed.value);
  if (!result.success) throw new PluginError('options', formatZodIssues(result.error.issues, `options of ${where}`));
  return result.data;
}
