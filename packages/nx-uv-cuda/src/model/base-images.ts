import { compareCodeUnits } from '../core/compare';
import type { DockerfileModel, Stage } from '../docker/dockerfile-model';
import { baseImagesOf } from '../docker/stage-graph';

/**
 * The nvidia/cuda tags NVIDIA publishes: `X.Y.Z-<flavour>-<os>`, flavour `base`, `runtime`, `devel`,
 * `cudnn-runtime` or `cudnn-devel` (`cudnn8-…`/`cudnn9-…` on releases before 12.3), os `ubuntuNN.NN` (or
 * rockylinux/ubi). The recipe's `${CUDA_VERSION}-${CUDA_VARIANT}-devel-…` with `CUDA_VARIANT=runtime` makes
 * `…-runtime-devel-…`, which does not exist: BuildKit would only find out by failing to pull it.
 */
const TAG = /^(\d+)\.(\d+)\.(\d+)-(base|runtime|devel|cudnn\d*-runtime|cudnn\d*-devel)-(ubuntu\d{2}\.\d{2}|rockylinux\d+|ubi\d+)$/;

/** The patch releases and Ubuntu releases NVIDIA published together, by CUDA major.minor (Docker Hub, 2026). */
const RELEASES: Readonly<Record<string, { patches: readonly string[]; ubuntu: readonly string[] }>> = {
  '11.8': { patches: ['0'], ubuntu: ['18.04', '20.04', '22.04'] },
  '12.0': { patches: ['0', '1'], ubuntu: ['20.04', '22.04'] },
  '12.1': { patches: ['0', '1'], ubuntu: ['20.04', '22.04'] },
  '12.2': { patches: ['0', '2'], ubuntu: ['20.04', '22.04'] },
  '12.3': { patches: ['0', '1', '2'], ubuntu: ['20.04', '22.04'] },
  '12.4': { patches: ['0', '1'], ubuntu: ['20.04', '22.04'] },
  '12.5': { patches: ['0', '1'], ubuntu: ['20.04', '22.04'] },
  '12.6': { patches: ['0', '1', '2', '3'], ubuntu: ['20.04', '22.04', '24.04'] },
  '12.8': { patches: ['0', '1'], ubuntu: ['20.04', '22.04', '24.04'] },
  '12.9': { patches: ['0', '1'], ubuntu: ['20.04', '22.04', '24.04'] },
  '13.0': { patches: ['0', '1'], ubuntu: ['22.04', '24.04'] },
};

export interface BaseImageProblem {
  image: string;
  /** Why it is not a published tag. */
  reason: string;
  /** The published tag nearest to what was meant. */
  nearest: string;
  /** True when the tag cannot exist (its shape is wrong); false when it is only not known to be published. */
  invalid: boolean;
}

/** Whether an image reference names nvidia/cuda (Docker Hub, with or without the registry and library parts). */
function cudaTagOf(image: string): string | undefined {
  return /^(?:(?:docker\.io|registry-1\.docker\.io|index\.docker\.io)\/)?nvidia\/cuda:([^@\s]+)$/.exec(image)?.[1];
}

/**
 * Checks an nvidia/cuda reference against the tag grammar and the releases NVIDIA publishes; undefined for any
 * other image or a tag that exists. Versions newer than the table are taken on trust.
 */
export function checkCudaBaseImage(image: string): BaseImageProblem | undefined {
  const tag = cudaTagOf(image);
  if (tag === undefined) return undefined;
  const match = TAG.exec(tag);
  if (!match) {
    return { image, reason: 'not of the form X.Y.Z-{base|runtime|devel|cudnn-runtime|cudnn-devel}-ubuntuNN.NN', nearest: `nvidia/cuda:${nearestTag(tag)}`, invalid: true };
  }
  const [, major, minor, patch, flavour, os] = match;
  const release = RELEASES[`${major}.${minor}`];
  if (!release || !os.startsWith('ubuntu')) return undefined;
  const version = `${major}.${minor}.${patch}`;
  const ubuntu = os.slice('ubuntu'.length);
  if (!release.patches.includes(patch) || !release.ubuntu.includes(ubuntu)) {
    const nearest = `${major}.${minor}.${closest(release.patches, patch)}-${flavour}-ubuntu${closest(release.ubuntu, ubuntu)}`;
    const published = `CUDA ${major}.${minor} is published as ${release.patches.map((p) => `${major}.${minor}.${p}`).join(', ')} on Ubuntu ${release.ubuntu.join(', ')}`;
    return { image, reason: `${version} on Ubuntu ${ubuntu} is not published (${published})`, nearest: `nvidia/cuda:${nearest}`, invalid: false };
  }
  return undefined;
}

/** What a malformed tag most likely meant: its version, cuDNN if named, the last of devel/runtime/base named, its OS. */
function nearestTag(tag: string): string {
  const version = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag);
  const release = version ? RELEASES[`${version[1]}.${version[2]}`] : undefined;
  const patch = version?.[3] ?? release?.patches[release.patches.length - 1] ?? '0';
  const fullVersion = version ? `${version[1]}.${version[2]}.${patch}` : '12.8.0';
  const kinds = [...tag.matchAll(/\b(devel|runtime|base)\b/g)].map((found) => found[1]);
  const kind = kinds.includes('devel') ? 'devel' : (kinds[kinds.length - 1] ?? 'runtime');
  const cudnn = kind !== 'base' && /cudnn/.test(tag) ? 'cudnn-' : '';
  const os = /(ubuntu\d{2}\.\d{2}|rockylinux\d+|ubi\d+)/.exec(tag)?.[1] ?? `ubuntu${release?.ubuntu[release.ubuntu.length - 1] ?? '22.04'}`;
  return `${fullVersion}-${cudnn}${kind}-${os}`;
}

/** The listed value nearest to `wanted` (numerically, the later one on a tie). */
function closest(values: readonly string[], wanted: string): string {
  const number = Number(wanted);
  return [...values].sort(compareCodeUnits).reduce((best, value) =>
    Math.abs(Number(value) - number) <= Math.abs(Number(best) - number) ? value : best,
  );
}

/** The problems of the nvidia/cuda images a stage chain builds FROM with these build args. */
export function baseImageProblems(
  model: DockerfileModel,
  chain: readonly Stage[],
  buildArgs: Readonly<Record<string, string>>,
): BaseImageProblem[] {
  return baseImagesOf(model, chain, buildArgs).flatMap((image) => checkCudaBaseImage(image) ?? []);
}

/** One line: `FROM nvidia/cuda:… is not …: nearest published tag nvidia/cuda:…`. */
export function describeBaseImageProblem(problem: BaseImageProblem): string {
  return `FROM ${problem.image}: ${problem.invalid ? 'no such tag can exist' : 'not known to be published'}, ${problem.reason}; nearest published tag: ${problem.nearest}`;
}
