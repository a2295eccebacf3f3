import { existsSync, readFileSync } from 'node:fs';

/** The part of buildx's `--metadata-file` the plugin uses. */
export interface BuildxMetadata {
  digest?: string;
  configDigest?: string;
  imageNames: string[];
}

export function readBuildxMetadata(file: string): BuildxMetadata {
  if (!existsSync(file)) return { imageNames: [] };
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const names = typeof raw['image.name'] === 'string' ? (raw['image.name'] as string).split(',') : [];
  return {
    digest: typeof raw['containerimage.digest'] === 'string' ? (raw['containerimage.digest'] as string) : undefined,
    configDigest:
      typeof raw['containerimage.config.digest'] === 'string' ? (raw['containerimage.config.digest'] as string) : undefined,
    imageNames: names.filter(Boolean),
  };
}
