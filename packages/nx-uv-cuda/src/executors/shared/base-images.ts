import { PluginError } from '../../core/errors';
import type { DockerfileModel, Stage } from '../../docker/dockerfile-model';
import { baseImageProblems, describeBaseImageProblem } from '../../model/base-images';
import { info } from './log';

/**
 * Before any docker call: an nvidia/cuda tag that cannot exist fails the task with the nearest published one, instead
 * of BuildKit trying to pull it; one only not known to be published (a new release, a mirror) is said and built.
 * `chain` is the stages built (builtChain of model/stages, computed once by the executor); undefined: nothing to check.
 */
export function requirePublishedBaseImages(model: DockerfileModel, chain: readonly Stage[] | undefined, buildArgs: Record<string, string>): void {
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
