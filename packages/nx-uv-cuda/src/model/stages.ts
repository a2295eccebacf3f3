import type { StageNames } from '../config/plugin-options';
import { compareCodeUnits } from '../core/compare';
import { PluginError } from '../core/errors';
import type { ArgDeclaration, DockerfileModel, Stage } from '../docker/dockerfile-model';
import { resolveStageRef, stageChain } from '../docker/stage-graph';

/** The `[tool.nx-uv-cuda].stages` key of each role, for messages that say how to fix a name. */
const ROLE_KEYS: Record<StageRole, string> = {
  dev: 'dev',
  prod: 'prod',
  wheelBuild: 'wheel-build',
  wheelExport: 'wheel-export',
};

export type StageRole = keyof StageNames;

/** The stage `name` that plays `role`, or a `dockerfile` error naming the stages there are and how to fix it. */
export function requireStage(model: DockerfileModel, name: string, role: StageRole): Stage {
  const stage = resolveStageRef(model, name);
  if (stage) return stage;
  const names = model.stages.flatMap((candidate) => candidate.name ?? []);
  throw new PluginError(
    'dockerfile',
    `${model.file} has no stage "${name}" (its stages: ${names.join(', ') || 'none named'}): ` +
      `add \`FROM ... AS ${name}\` or set stages.${ROLE_KEYS[role]} in [tool.nx-uv-cuda]`,
    { file: model.file },
  );
}

/**
 * The stages a build of `--target target` (without one: the last stage) reads, minus what `replaced` named contexts
 * stand for; undefined when the Dockerfile has no such stage (requireStage reports that).
 */
export function builtChain(
  model: DockerfileModel,
  target: string | undefined,
  replaced: readonly string[],
  buildArgs: Record<string, string>,
): Stage[] | undefined {
  const stage = target ?? model.stages[model.stages.length - 1].name ?? String(model.stages.length - 1);
  return resolveStageRef(model, stage) ? stageChain(model, stage, replaced, buildArgs) : undefined;
}

/** Build args the Dockerfile declares, sorted: passing others only makes buildx warn. */
export function declaredBuildArgs(model: DockerfileModel, buildArgs: Record<string, string>): Record<string, string> {
  const declared = new Set(allArgs(model).map((arg) => arg.name));
  return Object.fromEntries(
    Object.entries(buildArgs)
      .filter(([name]) => declared.has(name))
      .sort(([a], [b]) => compareCodeUnits(a, b)),
  );
}

/**
 * A project compiles a wheel when the Dockerfile has the wheel-build stage and `FLASH_ATTN_VERSION` (build arg,
 * else the Dockerfile's default) is not `none`.
 */
export function hasWheel(model: DockerfileModel, wheelBuildStage: string, buildArgs: Record<string, string>): boolean {
  if (!resolveStageRef(model, wheelBuildStage)) return false;
  const declaredDefault = allArgs(model).find(
    (arg) => arg.name === 'FLASH_ATTN_VERSION' && arg.defaultValue !== undefined,
  )?.defaultValue;
  return (buildArgs.FLASH_ATTN_VERSION ?? declaredDefault) !== 'none';
}

/** Whether the Dockerfile has the export stage: then the wheel target exports it instead of the whole build stage. */
export function hasWheelExport(model: DockerfileModel, stages: StageNames): boolean {
  return resolveStageRef(model, stages.wheelExport) !== undefined;
}

/** The global ARGs and every stage's, in Dockerfile order. */
export function allArgs(model: DockerfileModel): ArgDeclaration[] {
  return [...model.globalArgs, ...model.stages.flatMap((stage) => stage.args)];
}
