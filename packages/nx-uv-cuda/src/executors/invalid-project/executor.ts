import { fail } from '../shared/log';
import type { InvalidProjectExecutorOptions } from './schema';

/** Stands in for the targets of a project whose pyproject.toml, Dockerfile or options could not be read. */
export default async function invalidProjectExecutor(options: InvalidProjectExecutorOptions) {
  return fail(`this project could not be inferred: ${options.error}`);
}
