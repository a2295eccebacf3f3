import { PluginError } from '../../core/errors';
import { writeTextAtomically } from '../shared/files';
import { info } from '../shared/log';
import { runExecutor } from '../shared/run-executor';
import { computeSlices } from './compute-slices';
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
  writeTextAtomically(task.absolute(options.devOutput), slices.dev);
  writeTextAtomically(task.absolute(options.prodOutput), slices.prod);
  info(`lock slices of ${options.backend ?? 'the default backend'}: ${options.devOutput}, ${options.prodOutput}`);
});
