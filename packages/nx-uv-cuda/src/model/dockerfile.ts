import { PluginError } from '../core/errors';
import type { FileSource } from '../core/file-source';
import type { DockerfileModel } from '../docker/dockerfile-model';
import { parseDockerfile } from '../docker/parse-dockerfile';

/** Parsed Dockerfiles by text, most recently used last: services made from one template share one parse. */
const parsed = new Map<string, DockerfileModel>();
/** Enough for the distinct Dockerfiles of a large monorepo; beyond it the oldest parse is dropped. */
export const PARSED_DOCKERFILES_KEPT = 256;

/** Reads and parses a Dockerfile (once per distinct text in this process); a missing file is an error. */
export function loadDockerfile(files: FileSource, file: string): DockerfileModel {
  const text = files.read(file);
  if (text === undefined) throw new PluginError('dockerfile', `${file} does not exist`, { file });
  return parseDockerfileText(text, file);
}

export function parseDockerfileText(text: string, file: string): DockerfileModel {
  let model = parsed.get(text);
  if (model) {
    parsed.delete(text);
  } else {
    model = parseDockerfile(text, file);
    if (parsed.size >= PARSED_DOCKERFILES_KEPT) parsed.delete(parsed.keys().next().value!);
  }
  parsed.set(text, model);
  return model.file === file ? model : { ...model, file };
}

/** How many parses are kept now (for tests of the bound). */
export function parsedDockerfileCount(): number {
  return parsed.size;
}
