import { PluginError } from '../../core/errors';
import type { FileSource } from '../../core/file-source';
import { localImageId } from '../../docker/engine';
import { describeEngine } from '../../docker/engine-endpoint';
import { imageMetadataSchema, readTaskFile, type ImageMetadata } from '../../model/task-files';
import type { TaskInfo } from '../shared/task';

export interface RunImage {
  /** The reference to run: the override, else the metadata's (by digest when pushed, the local tag when loaded). */
  image: string;
  /** The image target's metadata, when read (always without an override; with one, when the file is there). */
  metadata?: ImageMetadata;
}

/**
 * The image a run or smoke target runs. Without an override, the metadata file must be there (missing: which
 * target to run first). A loaded (not pushed) image must still be in the engine: else run its image target again.
 */
export async function resolveRunImage(
  files: FileSource,
  task: TaskInfo,
  imageMetadata: string,
  override: string | undefined,
): Promise<RunImage> {
  const producer = task.producerOf(imageMetadata);
  if (override !== undefined) {
    const metadata = files.read(imageMetadata) === undefined ? undefined : readTaskFile(files, imageMetadata, imageMetadataSchema, producer).data;
    return { image: override, metadata };
  }
  const metadata = readTaskFile(files, imageMetadata, imageMetadataSchema, producer).data;
  if (!metadata.pushed && (await localImageId(metadata.image, metadata.engine)) === undefined) {
    throw new PluginError(
      'missing-input',
      `${metadata.image} (from ${imageMetadata}) is no longer in ${describeEngine(metadata.engine)} (docker image inspect failed): run ${producer} again`,
      { file: imageMetadata },
    );
  }
  return { image: metadata.image, metadata };
}
