import { PluginError } from '../../core/errors';
import { checkDaemon } from '../../docker/engine';
import { engineEnv, isLocalEngine } from '../../docker/engine-endpoint';
import { gpuAccessFor } from '../../docker/gpu-access';
import { describeArgv } from '../../docker/redact';
import { runCommand } from '../../process/run-command';
import { info } from '../shared/log';
import { runExecutor } from '../shared/run-executor';
import { resolveRunImage } from '../run/image';
import { smokeExecutorSchema } from './schema';
import { smokeRunArgv } from './smoke-argv';

/**
 * Runs the check command in the built prod image: on the GPU when the engine or the host gives access to one
 * (docker/gpu-access.ts), else on the CPU, saying so.
 */
export default runExecutor({ schema: smokeExecutorSchema }, async ({ options, task, files, scope }) => {
  const { image, metadata } = await resolveRunImage(files, task, options.imageMetadata, options.image);
  // Where the image target built it: a loaded image is there, and a pushed one runs beside the build.
  const engine = metadata?.engine;
  const gpu = gpuAccessFor(options.gpus, await checkDaemon(engine), isLocalEngine(engine, process.env));
  info(gpu.method === 'none' ? gpu.summary.replace(/CPU only$/, 'CPU-only smoke run') : gpu.summary);
  const argv = smokeRunArgv(options, image, gpu);
  info(`docker ${describeArgv(argv)}`);
  const run = await runCommand('docker', argv, {
    stdio: 'inherit',
    signal: scope.signal,
    timeoutMs: options.timeoutSeconds * 1000,
    env: { ...process.env, ...options.env, ...engineEnv(engine) },
  });
  if (run.interrupted) throw new PluginError('interrupted', `smoke run of ${image} interrupted`);
  if (run.timedOut) throw new PluginError('command', `smoke run of ${image} timed out after ${options.timeoutSeconds} s`);
  if (run.exitCode !== 0) throw new PluginError('command', `smoke run of ${image} failed (exit ${run.exitCode})`);
});
