import { existsSync, readFileSync } from 'node:fs';
import type { ExecutorContext } from '@nx/devkit';
import { checkEngine } from '../../docker/engine';
import { describeArgv } from '../../docker/redact';
import { interruptible } from '../../process/interruptible';
import { runCommand } from '../../process/run-command';
import type { ImageMetadata } from '../image/executor';
import { fail, info } from '../shared/log';
import { taskInfo } from '../shared/task';
import { validateOptions } from '../shared/validate-options';
import { smokeExecutorSchema, type SmokeExecutorOptions } from './schema';
import { smokeRunArgv, wantsGpus } from './smoke-argv';

/** Runs the check command in the built prod image: on the GPU when the engine has one, else on the CPU, saying so. */
export default async function smokeExecutor(rawOptions: SmokeExecutorOptions, context: ExecutorContext) {
  const task = taskInfo(context);
  try {
    const options = validateOptions(smokeExecutorSchema, rawOptions, task.id);
    const image = options.image ?? imageFromMetadata(task.absolute(options.imageMetadata), options.imageMetadata);
    const engine = await checkEngine({ features: [] });
    const withGpus = wantsGpus(options.gpus, engine.runtimes);
    if (!withGpus) info(`no NVIDIA runtime in this engine (runtimes: ${engine.runtimes.join(', ') || 'none'}): CPU-only smoke run`);
    const argv = smokeRunArgv(options, image, withGpus);
    info(`docker ${describeArgv(argv)}`);
    return await interruptible(async (scope) => {
      const run = await runCommand('docker', argv, {
        stdio: 'inherit',
        signal: scope.signal,
        timeoutMs: options.timeoutSeconds * 1000,
        env: { ...process.env, ...options.env },
      });
      if (run.timedOut) return fail(`smoke run of ${image} timed out after ${options.timeoutSeconds} s`);
      if (run.exitCode !== 0) return fail(`smoke run of ${image} failed (exit ${run.exitCode})`);
      return { success: true };
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}

function imageFromMetadata(file: string, relative: string): string {
  if (!existsSync(file)) throw new Error(`${relative} does not exist: build the prod image first`);
  const metadata = JSON.parse(readFileSync(file, 'utf8')) as Partial<ImageMetadata>;
  if (typeof metadata.image !== 'string') throw new Error(`${relative}: "image" is missing`);
  return metadata.image;
}
