import { z } from 'zod';
import { engineEndpointSchema } from '../config/shared-schemas';
import { PluginError, type PluginErrorKind } from '../core/errors';
import type { FileSource } from '../core/file-source';
import { formatZodIssues } from '../core/zod-message';

/**
 * The files one task writes and another reads (paths in outputs.ts): their shape is checked on the way in, so a
 * stale or hand-edited file is reported as such instead of failing later in a build.
 */

/** `locks/<backend>-<kind>.json`, written by the lock-slice target (python/lock-slice.ts serializes it). */
export const lockSliceFileSchema = z.object({
  lockFile: z.string().optional(),
  project: z.string(),
  backend: z.string().optional(),
  kind: z.enum(['dev', 'prod']),
  requiresPython: z.string().optional(),
  packages: z.array(
    z.object({ name: z.string(), version: z.string().optional(), source: z.string(), hashes: z.array(z.string()) }),
  ),
});

/** `keys/<backend>-build.json`, written by the keys target: the build args the wheel and image builds pass. */
export const buildArgsFileSchema = z.object({
  buildArgs: z.record(z.string(), z.string()),
  /** Credential-looking ARGs set where the keys ran: buildx reads them from the environment by name. */
  fromEnvironment: z.array(z.string()).default([]),
});

/** `images/<kind>-<backend>.json`, written by the image target; smoke and run targets read the image from it. */
export const imageMetadataSchema = z.object({
  /** What to run or deploy: pinned by digest when pushed, the local tag when loaded. */
  image: z.string().min(1),
  digest: z.string().optional(),
  tags: z.array(z.string()),
  pushed: z.boolean(),
  project: z.string(),
  kind: z.string(),
  backend: z.string(),
  stage: z.string(),
  dockerfile: z.string(),
  /** Secret-looking values masked. */
  buildArgs: z.record(z.string(), z.string()),
  gitSha: z.string().optional(),
  taskHash: z.string().optional(),
  /** The engine that built it: a loaded image lives there, and smoke and run targets run there. */
  engine: engineEndpointSchema.optional(),
});

export type LockSliceFile = z.output<typeof lockSliceFileSchema>;
export type BuildArgsFile = z.output<typeof buildArgsFileSchema>;
export type ImageMetadata = z.output<typeof imageMetadataSchema>;

export interface TaskFile<T> {
  /** The text as written: keys hash it as it is. */
  text: string;
  data: T;
}

/**
 * Reads a file that another task writes. Missing: says which task to run first (`producer`, e.g.
 * "`nx run ml-service:keys-cu124`"); not of the expected shape: says what is wrong and to run that task again.
 */
export function readTaskFile<S extends z.ZodType>(
  files: FileSource,
  file: string,
  schema: S,
  producer: string,
): TaskFile<z.output<S>> {
  const text = files.read(file);
  if (text === undefined) throw new PluginError('missing-input', `${file} is missing: run ${producer} first`, { file });
  return { text, data: parseJsonFile(text, file, schema, { kind: 'missing-input', remedy: `run ${producer} again` }) };
}

/** JSON text checked against a schema; what is wrong is named with the file, then what to do about it. */
export function parseJsonFile<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  { kind, remedy }: { kind: PluginErrorKind; remedy: string },
): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PluginError(kind, `${file} is not JSON (${(error as Error).message}): ${remedy}`, { file });
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new PluginError(kind, `${formatZodIssues(result.error.issues, file)}; ${remedy}`, { file });
  return result.data;
}
