import { readFileSync } from 'node:fs';

/** The image digest from buildx's `--metadata-file`; undefined when buildx wrote none (e.g. no image output). */
export function readBuildxDigest(file: string): string | undefined {
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return typeof raw['containerimage.digest'] === 'string' ? raw['containerimage.digest'] : undefined;
  } catch {
    return undefined;
  }
}
