import { PluginError } from '../../core/errors';
import type { FileSource } from '../../core/file-source';
import type { DockerfileModel, Stage } from '../../docker/dockerfile-model';
import { sourceProblems } from '../../model/context-sources';
import { findDockerignore } from '../../model/locate';
import { requireSecrets } from './secrets-preflight';

export interface BuildInputs {
  dockerfile: string;
  context: string;
  secrets: readonly string[];
}

/**
 * Right before a build (only when one runs: a stored wheel or an existing image needs neither): the required
 * secrets of the stages built (`chain`: builtChain of model/stages, computed once by the executor; undefined:
 * nothing to check) have their sources, and what they copy from the context is there.
 */
export function requireBuildInputs(
  files: FileSource,
  model: DockerfileModel,
  chain: readonly Stage[] | undefined,
  build: BuildInputs,
  workspaceRoot: string,
): void {
  if (!chain) return;
  requireSecrets(model, chain, build.secrets, { env: process.env, cwd: workspaceRoot });
  requireContextSources(files, model, chain, build);
}

/**
 * What the chain copies from the context is there, and not excluded by .dockerignore (its tasks have run by now).
 * BuildKit would fail on it too, but only once the stages before it are built.
 */
function requireContextSources(files: FileSource, model: DockerfileModel, chain: readonly Stage[], build: BuildInputs): void {
  const dockerignoreFile = findDockerignore(files, build.dockerfile, build.context);
  const failing = sourceProblems(model, chain, {
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
