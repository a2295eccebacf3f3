import { z } from 'zod';
import { PluginError } from '../core/errors';
import { isSecretName } from '../core/secret-names';
import type { EngineEndpoint } from '../docker/engine-endpoint';
import { IMAGE_TAG_PATTERN } from '../docker/image-ref';
import { parseJsonFile } from './task-files';

/**
 * Image releases: which version an image gets and when it keeps the one it has. Pure: the release executor reads
 * the image targets' metadata and the released-references file, and tags what this plans.
 */

/** As @nx/docker's default scheme: `2612.02.1a2b3c4`. */
export const DEFAULT_VERSION_SCHEME = '{currentDate|YYMM.DD}.{shortCommitSha}';
/** The release tag, after the image's repository: `prod-cu124-2612.02.1a2b3c4`. */
export const DEFAULT_RELEASE_TAG = '{image}-{version}';
/** Workspace-relative: committed beside the code, so deployments and the next release read the same file. */
export const DEFAULT_RELEASES_FILE = 'image-releases.json';

const DIGEST = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected a sha256: digest');

export const releasedImageSchema = z.object({
  version: z.string().min(1),
  /** `<repository>:<release tag>`. */
  reference: z.string().min(1),
  /** What the release tag resolves to in the registry. */
  digest: DIGEST,
  /** The image target's digest, only where the tag resolves to an index wrapping it (buildx 0.13 wraps a lone manifest). */
  imageDigest: DIGEST.optional(),
  /** `<reference>@<digest>`: what a deployment pulls. */
  pinned: z.string().min(1),
  gitSha: z.string().optional(),
  releasedAt: z.string().min(1),
});

/** `{ images: { <project>: { <image>: released } } }`, `<image>` as in the metadata file name: `prod-cu124`. */
export const releasesFileSchema = z.object({
  images: z.record(z.string(), z.record(z.string(), releasedImageSchema)),
});

export type ReleasedImage = z.output<typeof releasedImageSchema>;
export type ReleasesFile = z.output<typeof releasesFileSchema>;

/** The released-references file's text → its data; a missing file is an empty one. */
export function parseReleasesFile(text: string | undefined, file: string): ReleasesFile {
  return text === undefined ? { images: {} } : parseJsonFile(text, file, releasesFileSchema, { kind: 'options', remedy: 'fix or remove it' });
}

/** An entry as the registry has it: `digest` is what the tag resolves to; `imageDigest` only where that differs. */
export function releasedImage(entry: {
  version: string;
  reference: string;
  resolved: string;
  imageDigest: string;
  gitSha?: string;
  releasedAt: string;
}): ReleasedImage {
  return {
    version: entry.version,
    reference: entry.reference,
    digest: entry.resolved,
    ...(entry.resolved !== entry.imageDigest && { imageDigest: entry.imageDigest }),
    pinned: `${entry.reference}@${entry.resolved}`,
    ...(entry.gitSha && { gitSha: entry.gitSha }),
    releasedAt: entry.releasedAt,
  };
}

/** What a version scheme may name. */
export interface VersionFacts {
  projectName: string;
  now: Date;
  commitSha?: string;
  /** The version nx release's version step gave the project (null: it gave none). */
  versionActionsVersion?: string | null;
  /** `[project].version` of the project's pyproject.toml. */
  projectVersion?: string;
  env: NodeJS.ProcessEnv;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
/** What a Docker tag may hold (the version is part of one). */
const TAG_SAFE = new RegExp(`^${IMAGE_TAG_PATTERN}$`);
/** Where version schemes are set, for messages. */
const SCHEME_WHERE = 'release.versionScheme in the plugin options, or the versionScheme option';

/** Whether a scheme names a placeholder, as renderVersion reads it (`{ versionActionsVersion }` included). */
export function schemeUses(scheme: string, name: string): boolean {
  return [...scheme.matchAll(PLACEHOLDER)].some((match) => match[1].split('|', 1)[0].trim() === name);
}

/**
 * `{currentDate|YYMM.DD}.{shortCommitSha}` → `2612.02.1a2b3c4`. The placeholders of @nx/docker's schemes
 * (`{projectName}`, `{currentDate}` or `{currentDate|FORMAT}` in UTC, `{commitSha}`, `{shortCommitSha}`,
 * `{versionActionsVersion}`, `{env.NAME}`) and `{projectVersion}`. One that names nothing here is an error; so is
 * an environment variable named like a credential, which would end up in a public tag, and a version that a
 * tag cannot hold.
 */
export function renderVersion(scheme: string, facts: VersionFacts): string {
  const version = scheme.replace(PLACEHOLDER, (placeholder, body: string) => {
    const [name, format] = body.split('|', 2).map((part) => part.trim());
    const value = placeholderValue(name, format, facts);
    if (value === undefined || value === null || value === '') {
      throw new PluginError('options', `version scheme "${scheme}" (${SCHEME_WHERE}) uses ${placeholder}, which has no value here${whyMissing(name)}`);
    }
    return value;
  });
  return checkVersion(version, `the scheme "${scheme}" (${SCHEME_WHERE})`);
}

/** A version goes into a tag: letters, digits, _ . - only. `from` says where it came from. */
export function checkVersion(version: string, from: string): string {
  if (!TAG_SAFE.test(version)) {
    throw new PluginError(
      'options',
      `version "${version}" from ${from} cannot be part of an image tag: ` +
        'expected letters, digits, _ . - (a date needs a format, like {currentDate|YYMM.DD})',
    );
  }
  return version;
}

function placeholderValue(name: string, format: string | undefined, facts: VersionFacts): string | null | undefined {
  if (name.startsWith('env.')) {
    const variable = name.slice('env.'.length);
    if (isSecretName(variable)) throw new PluginError('options', `a version scheme may not name ${variable}: it looks like a credential, and tags are public`);
    return facts.env[variable];
  }
  switch (name) {
    case 'projectName':
      return facts.projectName;
    case 'currentDate':
      return format ? formatDate(facts.now, format) : facts.now.toISOString();
    case 'commitSha':
      return facts.commitSha;
    case 'shortCommitSha':
      return facts.commitSha?.slice(0, 7);
    case 'versionActionsVersion':
      return facts.versionActionsVersion;
    case 'projectVersion':
      return facts.projectVersion;
    default:
      throw new PluginError(
        'options',
        `unknown placeholder {${name}} in a version scheme: expected projectName, currentDate, currentDate|FORMAT, ` +
          'commitSha, shortCommitSha, versionActionsVersion, projectVersion or env.NAME',
      );
  }
}

function whyMissing(name: string): string {
  if (name === 'versionActionsVersion') return ' (only `nx release` gives one, from its version step)';
  if (name === 'projectVersion') return ' (pyproject.toml has no [project].version)';
  if (name === 'commitSha' || name === 'shortCommitSha') return ' (the workspace is not a git repository with a commit)';
  return '';
}

/** UTC date tokens, as @nx/docker's: YYYY YY MM DD HH mm ss. */
export function formatDate(date: Date, format: string): string {
  const two = (value: number) => String(value).padStart(2, '0');
  const tokens: Record<string, string> = {
    YYYY: String(date.getUTCFullYear()),
    YY: String(date.getUTCFullYear()).slice(-2),
    MM: two(date.getUTCMonth() + 1),
    DD: two(date.getUTCDate()),
    HH: two(date.getUTCHours()),
    mm: two(date.getUTCMinutes()),
    ss: two(date.getUTCSeconds()),
  };
  return format.replace(/YYYY|YY|MM|DD|HH|mm|ss/g, (token) => tokens[token]);
}

/** One image to release, from its image target's metadata. */
export interface ReleaseCandidate {
  project: string;
  /** The metadata file's name: `prod-cu124`. */
  image: string;
  kind: string;
  backend: string;
  repository: string;
  digest: string;
  /** `<repository>@<digest>`: what the release tag is made from. */
  source: string;
  /** The engine that pushed it: registry lookups go through its configuration. */
  engine?: EngineEndpoint;
}

export type ReleaseStep =
  | { action: 'keep'; candidate: ReleaseCandidate; released: ReleasedImage }
  | { action: 'tag'; candidate: ReleaseCandidate; reference: string; version: string };

/**
 * An image that is the one released last (same digest) keeps its version: no new, empty tag. Any other gets
 * `version`, tagged `reference`.
 */
export function planRelease(
  candidate: ReleaseCandidate,
  releases: ReleasesFile,
  next: () => { version: string; reference: string },
): ReleaseStep {
  const released = releases.images[candidate.project]?.[candidate.image];
  if (released && (released.imageDigest ?? released.digest) === candidate.digest) return { action: 'keep', candidate, released };
  return { action: 'tag', candidate, ...next() };
}

/** The file with these entries set, keys in order, so that it diffs well when committed. */
export function withReleased(releases: ReleasesFile, entries: Array<{ project: string; image: string; released: ReleasedImage }>): ReleasesFile {
  const images: ReleasesFile['images'] = { ...releases.images };
  for (const { project, image, released } of entries) images[project] = { ...images[project], [image]: released };
  return { images: sortKeys(images, (byImage) => sortKeys(byImage, (entry) => entry)) };
}

function sortKeys<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, map(record[key])]));
}
