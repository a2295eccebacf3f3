import { PluginError } from '../../core/errors';
import { runExecutor } from '../shared/run-executor';
import { invalidProjectExecutorSchema } from './schema';

/** Stands in for the targets of a project whose pyproject.toml, Dockerfile or options could not be read. */
export default runExecutor({ schema: invalidProjectExecutorSchema }, async ({ options }) => {
  throw new PluginError('options', `this project could not be inferred: ${options.error}`);
});
