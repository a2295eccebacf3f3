/** `docker buildx version` prints e.g. `github.com/docker/buildx 0.13.1+ds1 ...` or `... v0.17.1 abc123`. */
export function parseBuildxVersion(output: string): [number, number, number] | undefined {
  const match = /\bv?(\d+)\.(\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** buildx features the executors use, with the first buildx version that has them. */
export const BUILDX_FEATURES = {
  'build contexts (--build-context)': [0, 8, 0],
  'metadata file (--metadata-file)': [0, 6, 0],
  'build checks (--call=check)': [0, 15, 0],
} as const satisfies Record<string, [number, number, number]>;

export type BuildxFeature = keyof typeof BUILDX_FEATURES;

export function supports(version: [number, number, number], feature: BuildxFeature): boolean {
  const needed = BUILDX_FEATURES[feature];
  for (let i = 0; i < 3; i++) {
    if (version[i] !== needed[i]) return version[i] > needed[i];
  }
  return true;
}

export function formatVersion(version: readonly number[]): string {
  return version.join('.');
}
