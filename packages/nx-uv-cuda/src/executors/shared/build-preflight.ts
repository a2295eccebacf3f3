import { PluginError } from '../../core/errors';
import type { FileSource } from '../../core/file-source';
import type { DockerfileModel, Stage } from '../../docker/dockerfile-model';
import { sourceProblems } from '../../model/context-sources';
import { findDockerignore } from '../../model/locate';
import { builtChain } from '../../model/stages';
import { requireSecrets } from './secrets-preflight';

export interface BuildInputs {
  dockerfile: string;
  context: string;
  /** Unset: the last stage. */
  target?: string;
  /** Stages the build receives as named contexts. */
  replaced: readonly string[];
  buildArgs: Record<string, string>;
  secrets: readonly string[];
}

/**
 * Right before a build (only when one runs: a stored wheel or an existing image needs neither): the required
 * secrets of the stages built have their sources, and what they copy from the context is there.
 */
export function requireBuildInputs(files: FileSource, model: DockerfileModel, build: BuildInputs, workspaceRoot: string): void {
  const chain = builtChain(model, build.target, build.replaced, build.buildArgs);
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
