import { PluginError } from '../../core/errors';
import { describeArgv } from '../../docker/redact';
import { runCommand } from '../../process/run-command';
import { info } from '../shared/log';
import { runExecutor } from '../shared/run-executor';
import { uvExecutorSchema } from './schema';

/** Runs `uv` (lock, lock --check) in the folder of the governing uv.lock. */
export default runExecutor({ schema: uvExecutorSchema }, async ({ options, task, scope }) => {
  info(`uv ${describeArgv(options.args)} (in ${options.cwd})`);
  const run = await runCommand('uv', options.args, { cwd: task.absolute(options.cwd), stdio: 'inherit', signal: scope.signal });
  if (run.notFound) {
    throw new PluginError(
      'preflight',
      'uv is not installed or not on PATH: install it (https://docs.astral.sh/uv/getting-started/installation/) and run the target again',
    );
  }
  if (run.interrupted) throw new PluginError('interrupted', `uv ${options.args.join(' ')} interrupted`);
  if (run.exitCode !== 0) throw new PluginError('command', `uv ${options.args.join(' ')} failed (exit ${run.exitCode})`);
});
