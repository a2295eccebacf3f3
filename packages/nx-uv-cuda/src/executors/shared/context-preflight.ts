import { PluginError } from '../../core/errors';
import type { FileSource } from '../../core/file-source';
import type { DockerfileModel } from '../../docker/dockerfile-model';
import { resolveStageRef, stageChain } from '../../docker/stage-graph';
import { sourceProblems } from '../../model/context-sources';
import { findDockerignore } from '../../model/locate';
import { targetStage } from '../../model/stages';

export interface ContextBuild {
  dockerfile: string;
  context: string;
  /** Unset: the last stage. */
  target?: string;
  /** Stages the build receives as named contexts. */
  replaced: readonly string[];
  buildArgs: Record<string, string>;
}

/**
 * Before any build: what the stages built copy from the context is there, and not excluded by .dockerignore
 * (its tasks have run by now). BuildKit would fail on it too, but only once the stages before it are built.
 */
export function requireContextSources(files: FileSource, model: DockerfileModel, build: ContextBuild): void {
  const stage = targetStage(model, build.target);
  if (!resolveStageRef(model, stage)) return;
  const dockerignoreFile = findDockerignore(files, build.dockerfile, build.context);
  const failing = sourceProblems(model, stageChain(model, stage, build.replaced, build.buildArgs), {
    files,
    dir: build.context,
    dockerignore: dockerignoreFile ? files.read(dockerignoreFile) : undefined,
  }).filter((problem) => problem.fails);
  if (failing.length > 0) {
    throw new PluginError('dockerfile', `${failing.map((problem) => problem.message).join('; ')}: nothing was built`, {
      file: model.file,
      line: failing[0].line,
    });
  }
}
