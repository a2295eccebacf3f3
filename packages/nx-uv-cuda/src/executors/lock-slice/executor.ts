import { existsSync, readFileSync } from 'node:fs';
import type { ExecutorContext } from '@nx/devkit';
import { writeTextAtomically } from '../shared/files';
import { fail, info } from '../shared/log';
import { taskInfo } from '../shared/task';
import { validateOptions } from '../shared/validate-options';
import { computeSlices } from './compute-slices';
import { lockSliceExecutorSchema, type LockSliceExecutorOptions } from './schema';

/** Writes the backend's dev and prod lock slices: canonical JSON, byte-identical when nothing changed. */
export default async function lockSliceExecutor(rawOptions: LockSliceExecutorOptions, context: ExecutorContext) {
  const task = taskInfo(context);
  try {
    const options = validateOptions(lockSliceExecutorSchema, rawOptions, task.id);
    const slices = computeSlices(options, (file) => {
      const path = task.absolute(file);
      if (!existsSync(path)) throw new Error(`${file} does not exist: run \`uv lock\` (nx run ${task.projectName}:lock)`);
      return readFileSync(path, 'utf8');
    });
    writeTextAtomically(task.absolute(options.devOutput), slices.dev);
    writeTextAtomically(task.absolute(options.prodOutput), slices.prod);
    info(`lock slices of ${options.backend ?? 'the default backend'}: ${options.devOutput}, ${options.prodOutput}`);
    return { success: true };
  } catch (error) {
    return fail((error as Error).message);
  }
}
