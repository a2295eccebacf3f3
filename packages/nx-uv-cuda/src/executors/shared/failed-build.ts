import { PluginError } from '../../core/errors';
import type { BuildxBuild } from '../../docker/buildx-argv';
import { debugCommands } from '../../docker/debug-commands';
import type { DockerfileModel } from '../../docker/dockerfile-model';
import { describeArgv } from '../../docker/redact';
import { dockerCommand, engineEnv, type EngineEndpoint } from '../../docker/engine-endpoint';
import { dockerSafeName } from '../../docker/safe-name';
import { baseImagesOf, parentStage, resolveStageRef } from '../../docker/stage-graph';
import type { InterruptScope } from '../../process/interruptible';
import { runCommand } from '../../process/run-command';
import { info } from './log';
import type { TaskInfo } from './task';

export interface FailedBuild {
  build: BuildxBuild;
  /** The stage whose failure to debug when it is not the build's target (the wheel stage behind its export stage). */
  stage?: string;
  exitCode: number;
  model: DockerfileModel;
  backend: string;
  /** The engine the build ran on. */
  engine?: EngineEndpoint;
  /** Load the stage the failed one builds on, to open a shell in it (the `debugOnFailure` option). */
  loadParent: boolean;
  task: TaskInfo;
  scope: InterruptScope;
  /** Credential values the debug build's output must not show. */
  mask?: readonly string[];
}

/**
 * Ends a failed build with how to go on by hand, as the recipe advises: the exact command of the build that
 * failed, and one that loads the stage it builds on so that `docker run -it` can open it; with `loadParent`, that
 * stage is loaded right away. Always throws: the build failed.
 */
export async function failedBuild(failed: FailedBuild): Promise<never> {
  const { build, model } = failed;
  const debugged = failed.stage ?? build.target;
  const stage = debugged ? resolveStageRef(model, debugged) : model.stages[model.stages.length - 1];
  const parent = stage && parentStage(model, stage, build.buildArgs);
  const parentName = parent?.name;
  const safe = (text: string) => dockerSafeName(text, 'x');
  const tag = `${safe(failed.task.projectName)}-debug:${safe(parentName ?? 'base')}-${safe(failed.backend)}`;
  const baseImage = stage ? baseImagesOf(model, [stage], build.buildArgs)[0] : undefined;
  const commands = debugCommands(build, { parent: parentName, baseImage, tag });
  const what = debugged ?? 'the final stage';
  const docker = dockerCommand(failed.engine);
  info(`reproduce by hand: ${docker} ${describeArgv(commands.reproduce)}`);
  if (commands.loadParent) {
    info(
      `a shell in ${parentName}, the stage ${what} builds on: ${docker} ${describeArgv(commands.loadParent)} && ` +
        `${docker} ${describeArgv(commands.shell)}`,
    );
    if (failed.loadParent) {
      info(`loading ${parentName} as ${tag} (debugOnFailure)`);
      const load = await runCommand('docker', commands.loadParent, {
        cwd: failed.task.workspaceRoot,
        stdio: 'inherit',
        mask: failed.mask,
        signal: failed.scope.signal,
        env: engineEnv(failed.engine),
      });
      info(
        load.exitCode === 0
          ? `${parentName} is loaded: ${docker} ${describeArgv(commands.shell)}`
          : `${parentName} did not build either (exit ${load.exitCode}): the failure is earlier, see above`,
      );
    }
  } else {
    info(`${what} builds FROM an image, not a stage: a shell in it: ${docker} ${describeArgv(commands.shell)}`);
  }
  throw new PluginError('command', `docker buildx build failed (exit ${failed.exitCode}): see docker's output above`);
}
