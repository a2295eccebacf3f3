import { posix } from 'node:path';
import { exists, type FileSource } from '../core/file-source';
import { leavesRoot } from '../core/paths';
import { GLOB_CHAR } from '../docker/context-inputs';
import { IMAGE_COMPONENT_PATTERN } from '../docker/image-ref';
import { normalizeContextPath, readDockerignore } from '../docker/dockerignore';
import type { DockerfileModel, Stage } from '../docker/dockerfile-model';
import { resolveStageRef } from '../docker/stage-graph';

/** Something a COPY, ADD or bind mount names that the build will not find as written. */
export interface SourceProblem {
  line: number;
  /** `model.file:line: COPY prod/uv.lock: ...` */
  message: string;
  /** The build fails on it (missing from the context), rather than reading something else than written. */
  fails: boolean;
}

/** A `--from` that is one name component (`wheel-prod`) is pulled from Docker Hub's library when no stage has that name. */
const BARE_IMAGE_NAME = new RegExp(`^${IMAGE_COMPONENT_PATTERN}$`);

/**
 * What the stages read from the build context that is not there: a path missing from the context or excluded
 * by .dockerignore (BuildKit fails with "not found", late), a path that climbs out of the context (BuildKit
 * reads it from the context root instead), and a `--from` that names no stage (BuildKit pulls it as an image
 * from Docker Hub). Paths with globs or variables are left to the build; instruction-sources.ts has already
 * left out what ADD fetches itself.
 */
export function sourceProblems(
  model: DockerfileModel,
  stages: readonly Stage[],
  context: { files: FileSource; dir: string; dockerignore?: string },
): SourceProblem[] {
  const ignore = readDockerignore(context.dockerignore);
  return stages.flatMap((stage) =>
    stage.sources.flatMap((source): SourceProblem[] => {
      const at = (what: string) => `${model.file}:${source.line}: ${source.instruction} ${what}`;
      if (source.from !== undefined) {
        const unknownStage = !resolveStageRef(model, source.from) && BARE_IMAGE_NAME.test(source.from);
        return unknownStage
          ? [{ line: source.line, fails: false, message: at(`--from=${source.from}: no stage of ${model.file} has that name, so BuildKit pulls the image docker.io/library/${source.from} (if a stage was meant, it is missing)`) }]
          : [];
      }
      return source.paths.flatMap((path): SourceProblem[] => {
        if (GLOB_CHAR.test(path) || path.includes('$')) return [];
        const inContext = normalizeContextPath(path);
        // An absolute source is read from the context root, as written: only a relative one can climb out.
        if (!posix.isAbsolute(path) && leavesRoot(posix.normalize(path))) {
          return [{ line: source.line, fails: false, message: at(`${path}: a source cannot leave the build context; BuildKit reads ${inContext || 'the whole context'} at its root`) }];
        }
        if (inContext === '') return [];
        const inWorkspace = posix.join(context.dir, inContext);
        if (!exists(context.files, inWorkspace)) {
          return [{ line: source.line, fails: true, message: at(`${path}: ${inWorkspace} does not exist (the build context is ${context.dir})`) }];
        }
        return ignore.ignores(inContext)
          ? [{ line: source.line, fails: true, message: at(`${path}: the build context's .dockerignore excludes ${inWorkspace}, so BuildKit will not find it`) }]
          : [];
      });
    }),
  );
}
