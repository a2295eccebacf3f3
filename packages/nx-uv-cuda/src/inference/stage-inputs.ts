import { contextInputs } from '../docker/context-inputs';
import { resolveStageRef, type DockerfileModel, type Stage } from '../docker/dockerfile-model';

/**
 * Stages that building `target` runs, in Dockerfile order. `replaced` names stages that the plugin hands in
 * as named build contexts (the `wheels` stage): they and what only they need are not built, so not hashed.
 */
export function stagesBuiltFor(model: DockerfileModel, target: string, replaced: string[] = []): Stage[] {
  const replacedNames = new Set(replaced.map((name) => name.toLowerCase()));
  const built = new Set<Stage>();
  const visit = (stage: Stage) => {
    if (built.has(stage)) return;
    built.add(stage);
    for (const ref of stage.stageRefs) {
      if (replacedNames.has(ref.toLowerCase())) continue;
      const referenced = resolveStageRef(model, ref);
      if (referenced) visit(referenced);
    }
  };
  const targetStage = resolveStageRef(model, target);
  if (targetStage) visit(targetStage);
  return model.stages.filter((stage) => built.has(stage));
}

export interface StageInputOptions {
  dockerfileFile: string;
  dockerignoreFile?: string;
  dockerignoreText?: string;
  contextDir: string;
  /** Lock files that the stages COPY but whose relevant part reaches the hash through a lock slice. */
  lockFilesHashedAsSlices: string[];
}

/** Nx file inputs of a build of `stages`: the Dockerfile, its ignore file and the context files they read. */
export function stageFileInputs(stages: Stage[], options: StageInputOptions): string[] {
  const fromContext = contextInputs(stages, {
    contextRoot: options.contextDir,
    dockerignore: options.dockerignoreText,
  }).inputs;
  const lockInputs = new Set(options.lockFilesHashedAsSlices.map((file) => `{workspaceRoot}/${file}`));
  return [
    `{workspaceRoot}/${options.dockerfileFile}`,
    ...(options.dockerignoreFile ? [`{workspaceRoot}/${options.dockerignoreFile}`] : []),
    ...fromContext.filter((input) => !lockInputs.has(input) && !lockInputs.has(input.replace(/\/\*\*\/\*$/, ''))),
    // A COPY of a whole folder would still take the lock in: exclude it explicitly.
    ...[...lockInputs].map((input) => `!${input}`),
  ];
}
