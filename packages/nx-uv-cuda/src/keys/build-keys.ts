import { createHash } from 'node:crypto';
import { compareCodeUnits } from '../core/compare';
import type { DockerfileModel, Stage } from '../docker/dockerfile-model';
import { argsSeenBy, baseImagesOf, globalArgValues, stageChain } from '../docker/stage-graph';
import type { LockSliceFile } from '../model/task-files';
import { normalizeName } from '../python/names';

/** Build args that change how fast a wheel compiles, never what comes out: no key contains them. */
export const SPEED_ONLY_BUILD_ARGS = ['MAX_JOBS', 'NVCC_THREADS'];

/** A lock slice as the keys read it: its text (hashed whole into image keys) and its packages. */
export interface SliceFile {
  text: string;
  data: LockSliceFile;
}

/** One image a key is written for: its stage, its kind (`dev`, `prod`, `image`) and the slice it installs. */
export interface KeyedImage {
  stage: string;
  kind: string;
  slice: 'dev' | 'prod';
}

export interface BuildKeyInputs {
  model: DockerfileModel;
  /** The stage that compiles the wheel and the export stage that stands for it as a named context. */
  wheelStages: { build: string; export: string };
  images: readonly KeyedImage[];
  /** The build args passed to buildx (the Dockerfile's declared ones). */
  buildArgs: Record<string, string>;
  /** Set when the project has a wheel target. */
  wheel?: { package: string; buildRequirements: string[] };
  slices: { dev: SliceFile; prod: SliceFile };
  /** Context files (path → sha256) that `stages` copy; `forWheel` leaves out manifests the slice stands for. */
  copiedFiles(stages: Stage[], forWheel: boolean): Record<string, string>;
}

export interface StageKey {
  stages: Array<{ name: string; text: string }>;
  baseImages: string[];
  args: Record<string, string>;
  files: Record<string, string>;
}

export interface WheelKey extends StageKey {
  kind: 'wheel';
  package: string;
  requiresPython?: string;
  packages: LockSliceFile['packages'];
}

export interface ImageKey extends StageKey {
  kind: string;
  lockSlice: string;
  wheel?: string;
}

export interface BuildKeys {
  wheel?: WheelKey;
  /** In the order of `images`. */
  images: ImageKey[];
}

/**
 * The exact inputs of each expensive build of one backend, as data: the wheel key holds the text of the stages
 * from the base to the wheel stage, the ARG values they see, the base image, the torch/flash-attn/build-tool
 * packages of the lock slices and the non-manifest files the stages copy; an image key holds its own stage
 * chain, its whole lock slice and the wheel key. Wheel and image targets hash only these files.
 */
export function computeBuildKeys(inputs: BuildKeyInputs): BuildKeys {
  const wheel = inputs.wheel ? wheelKey(inputs, inputs.wheel) : undefined;
  const wheelDigest = wheel ? digest(serializeKey(wheel)) : undefined;
  const imageKey = (image: KeyedImage): ImageKey => {
    const stages = stageChain(inputs.model, image.stage, wheel ? [inputs.wheelStages.export] : [], inputs.buildArgs);
    return {
      kind: image.kind,
      ...stageKey(inputs, stages, false),
      lockSlice: digest(inputs.slices[image.slice].text),
      ...(wheelDigest ? { wheel: wheelDigest } : {}),
    };
  };
  return { ...(wheel ? { wheel } : {}), images: inputs.images.map(imageKey) };
}

function wheelKey(inputs: BuildKeyInputs, wheel: { package: string; buildRequirements: string[] }): WheelKey {
  const read = new Set(['torch', wheel.package, ...wheel.buildRequirements].map(normalizeName));
  // Build tools often live in a dependency group (`uv sync --group build`), which only the dev slice has.
  const candidates = [...inputs.slices.prod.data.packages, ...inputs.slices.dev.data.packages];
  const packages = new Map(
    candidates
      .filter((pkg) => read.has(normalizeName(pkg.name)))
      .map((pkg) => [`${pkg.name} ${pkg.version ?? ''} ${pkg.source}`, pkg] as const),
  );
  return {
    kind: 'wheel',
    package: wheel.package,
    ...stageKey(inputs, stageChain(inputs.model, inputs.wheelStages.build, [], inputs.buildArgs), true),
    requiresPython: inputs.slices.prod.data.requiresPython,
    packages: [...packages.entries()].sort(([a], [b]) => compareCodeUnits(a, b)).map(([, pkg]) => pkg),
  };
}

function stageKey(inputs: BuildKeyInputs, stages: Stage[], forWheel: boolean): StageKey {
  return {
    stages: stages.map((stage) => ({ name: stage.name ?? String(stage.index), text: stage.text })),
    baseImages: baseImagesOf(inputs.model, stages, inputs.buildArgs),
    args: argValuesSeen(inputs.model, stages, inputs.buildArgs),
    files: inputs.copiedFiles(stages, forWheel),
  };
}

/** The value of every ARG the stages see (a build arg, else its default), speed-only ones left out. */
export function argValuesSeen(
  model: DockerfileModel,
  stages: Stage[],
  buildArgs: Record<string, string>,
): Record<string, string> {
  const globals = globalArgValues(model, buildArgs);
  const declaredDefault = (name: string) =>
    stages
      .flatMap((stage) => stage.args)
      .filter((arg) => arg.name === name && arg.defaultValue !== undefined)
      .pop()?.defaultValue;
  const values: Record<string, string> = {};
  for (const name of argsSeenBy(model, stages)) {
    if (SPEED_ONLY_BUILD_ARGS.includes(name)) continue;
    const value = buildArgs[name] ?? declaredDefault(name) ?? globals[name];
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/** Canonical JSON: the keys above are built in a fixed order, maps sorted; identical keys give identical bytes. */
export function serializeKey(key: WheelKey | ImageKey): string {
  return `${JSON.stringify(key, null, 2)}\n`;
}

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
