import type { ExecutorContext } from '@nx/devkit';
import { runCommand } from '../../process/run-command';
import { interruptible } from '../../process/interruptible';
import { describeArgv } from '../../docker/redact';
import { fail, info } from '../shared/log';
import { taskInfo } from '../shared/task';
import { validateOptions } from '../shared/validate-options';
import { uvExecutorSchema, type UvExecutorOptions } from './schema';

/** Runs `uv` (lock, lock --check) in the folder of the governing uv.lock. */
export default async function uvExecutor(rawOptions: UvExecutorOptions, context: ExecutorContext) {
  const task = taskInfo(context);
  try {
    const options = validateOptions(uvExecutorSchema, rawOptions, task.id);
    info(`uv ${describeArgv(options.args)} (in ${options.cwd})`);
    return await interruptible(async (scope) => {
      const run = await runCommand('uv', options.args, { cwd: task.absolute(options.cwd), stdio: 'inherit', signal: scope.signal });
      if (run.notFound) {
        return fail('uv is not installed or not on PATH: install it (https://docs.astral.sh/uv/getting-started/installation/) and run the target again');
      }
      if (run.exitCode !== 0) return fail(`uv ${options.args.join(' ')} failed (exit ${run.exitCode})`);
      return { success: true };
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}
