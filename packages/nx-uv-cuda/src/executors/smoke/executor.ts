import { PluginError } from '../../core/errors';
import { checkEngine } from '../../docker/engine';
import { describeArgv } from '../../docker/redact';
import { imageMetadataSchema, readTaskFile } from '../../model/task-files';
import { runCommand } from '../../process/run-command';
import { info } from '../shared/log';
import { runExecutor } from '../shared/run-executor';
import { smokeExecutorSchema } from './schema';
import { smokeRunArgv, wantsGpus } from './smoke-argv';

/** Runs the check command in the built prod image: on the GPU when the engine has one, else on the CPU, saying so. */
export default runExecutor({ schema: smokeExecutorSchema }, async ({ options, task, files, scope }) => {
  const image =
    options.image ??
    readTaskFile(files, options.imageMetadata, imageMetadataSchema, task.producerOf(options.imageMetadata)).data.image;
  const engine = await checkEngine({ features: [] });
  const withGpus = wantsGpus(options.gpus, engine.runtimes);
  if (!withGpus) info(`no NVIDIA runtime in this engine (runtimes: ${engine.runtimes.join(', ') || 'none'}): CPU-only smoke run`);
  const argv = smokeRunArgv(options, image, withGpus);
  info(`docker ${describeArgv(argv)}`);
  const run = await runCommand('docker', argv, {
    stdio: 'inherit',
    signal: scope.signal,
    timeoutMs: options.timeoutSeconds * 1000,
    env: { ...process.env, ...options.env },
  });
  if (run.interrupted) throw new PluginError('interrupted', `smoke run of ${image} interrupted`);
  if (run.timedOut) throw new PluginError('command', `smoke run of ${image} timed out after ${options.timeoutSeconds} s`);
  if (run.exitCode !== 0) throw new PluginError('command', `smoke run of ${image} failed (exit ${run.exitCode})`);
});
