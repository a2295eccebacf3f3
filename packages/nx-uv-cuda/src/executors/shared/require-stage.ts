import { readFileSync } from 'node:fs';
import { parseDockerfile, resolveStageRef } from '../../docker/dockerfile-model';

/** Fails before any docker call when the Dockerfile lacks the stage a target builds. */
export function requireStage(absoluteDockerfile: string, dockerfile: string, stage: string): void {
  const model = parseDockerfile(readFileSync(absoluteDockerfile, 'utf8'), dockerfile);
  if (!resolveStageRef(model, stage)) {
    const names = model.stages.map((candidate) => candidate.name).filter(Boolean);
    throw new Error(
      `${dockerfile} has no stage "${stage}" (its stages: ${names.join(', ') || 'none named'}): ` +
        `add \`FROM ... AS ${stage}\` or set the stage name in [tool.nx-uv-cuda].stages`,
    );
  }
}
