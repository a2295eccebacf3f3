import { PluginError } from '../../core/errors';
import { writeTextAtomically } from '../shared/files';
import { info } from '../shared/log';
import { runExecutor } from '../shared/run-executor';
import { computeSlices, unreachedPackages } from './compute-slices';
import { lockSliceExecutorSchema } from './schema';

/** Writes the backend's dev and prod lock slices: canonical JSON, byte-identical when nothing changed. */
export default runExecutor({ schema: lockSliceExecutorSchema }, async ({ options, task, files }) => {
  const slices = computeSlices(options, (file) => {
    const text = files.read(file);
    if (text === undefined) {
      throw new PluginError('missing-input', `${file} does not exist: run \`uv lock\` (nx run ${task.projectName}:lock)`, { file });
    }
    return text;
  });
  if (options.check) {
    const unreached = unreachedPackages(files.read(options.lockFile)!, options.lockFile, slices.dev);
    const backend = options.backend ?? options.backendGroup ?? 'the project';
    info(
      unreached.length === 0
        ? `${options.lockFile}: reads, and ${backend} reaches every package it pins`
        : `warning: ${options.lockFile} pins ${unreached.length} package(s) that ${backend} does not reach (another backend's, or stale: ` +
            `lock it again for ${backend}): ${unreached.join(', ')}`,
    );
    return;
  }
  writeTextAtomically(task.absolute(options.devOutput!), slices.dev);
  writeTextAtomically(task.absolute(options.prodOutput!), slices.prod);
  info(`lock slices of ${options.backend ?? options.backendGroup ?? 'the default backend'}: ${options.devOutput}, ${options.prodOutput}`);
});
