import { PluginError } from '../../core/errors';
import type { DockerfileModel } from '../../docker/dockerfile-model';
import { baseImageProblems, describeBaseImageProblem } from '../../model/base-images';
import { builtChain } from '../../model/stages';
import { info } from './log';

/**
 * Before any docker call: an nvidia/cuda tag that cannot exist fails the task with the nearest published one, instead
 * of BuildKit trying to pull it; one only not known to be published (a new release, a mirror) is said and built.
 */
export function requirePublishedBaseImages(
  model: DockerfileModel,
  target: string | undefined,
  replaced: readonly string[],
  buildArgs: Record<string, string>,
): void {
  const chain = builtChain(model, target, replaced, buildArgs);
  if (!chain) return;
  for (const problem of baseImageProblems(model, chain, buildArgs)) {
    if (!problem.invalid) {
      info(`${model.file}: ${describeBaseImageProblem(problem)}`);
      continue;
    }
    throw new PluginError(
      'dockerfile',
      `${model.file}: ${describeBaseImageProblem(problem)} (check the build args that make it, e.g. CUDA_VARIANT)`,
      { file: model.file },
    );
  }
}
