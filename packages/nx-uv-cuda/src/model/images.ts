import type { StageNames } from '../config/plugin-options';
import type { DockerfileModel, Stage } from '../docker/dockerfile-model';
import { resolveStageRef, stagesFromCanName } from '../docker/stage-graph';

/** One stage of a Dockerfile that is a product: an image target builds it. */
export interface ImageStage {
  /** The stage to pass as `--target` (its name, or its index when unnamed). */
  stage: string;
  /** The recipe's roles, or `image` for any other product. */
  kind: 'dev' | 'prod' | 'image';
  /** What target names, tags and key files call it: the stage name (`image` for an unnamed final stage). */
  part: string;
  /** The lock slice its key hashes: the recipe's prod stage installs without dev groups; others may use any. */
  slice: 'dev' | 'prod';
}

/** Stages that only feed or export caches, wheels, lints or tests: never products, unless nothing else is. */
const NOT_A_PRODUCT = /(^|[-_.])(cache|caches|ccache|export|exports|wheel|wheels|wheelhouse|lint|test|tests|check|checks|ci)([-_.]|$)/;

/**
 * The stages of a Dockerfile that image targets build: `dev` and `prod` where both exist (the recipe; names
 * configurable); otherwise every leaf stage (one no other stage builds on or copies from) that is a product, in
 * file order, or the final stage when none is. A `FROM scratch` stage that only copies from other stages exports
 * files (wheels, cache status), and a stage named for caches, wheels, lints or tests feeds CI or the images:
 * neither is a product.
 */
export function imageStages(model: DockerfileModel, stages: StageNames): { recipe: boolean; images: ImageStage[] } {
  const dev = resolveStageRef(model, stages.dev);
  const prod = resolveStageRef(model, stages.prod);
  if (dev && prod) {
    return {
      recipe: true,
      images: [
        { stage: stages.dev, kind: 'dev', part: 'dev', slice: 'dev' },
        { stage: stages.prod, kind: 'prod', part: 'prod', slice: 'prod' },
      ],
    };
  }
  const referenced = new Set<Stage>();
  for (const stage of model.stages) {
    for (const ref of stage.stageRefs) {
      const target = resolveStageRef(model, ref);
      if (target) referenced.add(target);
    }
    for (const candidate of stagesFromCanName(model, stage)) referenced.add(candidate);
  }
  const final = model.stages[model.stages.length - 1];
  // buildx targets stages by name: an unnamed stage can only be built as the final one.
  const leaves = model.stages.filter((stage) => !referenced.has(stage) && (stage.name !== undefined || stage === final));
  const wheelStages = new Set([stages.wheelBuild, stages.wheelExport].map((name) => name.toLowerCase()));
  const products = leaves.filter(
    (stage) => !isExport(stage) && !NOT_A_PRODUCT.test(stage.name ?? '') && !wheelStages.has(stage.name ?? ''),
  );
  const chosen = products.length > 0 ? products : [final];
  return {
    recipe: false,
    images: chosen.map((stage) => ({
      stage: stage.name ?? String(stage.index),
      kind: 'image',
      part: stage.name ?? 'image',
      slice: 'dev',
    })),
  };
}

/** `FROM scratch` with only `COPY --from`: it hands files on (wheels, cache status), it is not something to run. */
function isExport(stage: Stage): boolean {
  return stage.baseImage === 'scratch' && stage.sources.length > 0 && stage.sources.every((source) => source.from !== undefined);
}
