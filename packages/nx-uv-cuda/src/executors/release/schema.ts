import { z } from 'zod';
import { DEFAULT_RELEASE_TAG, DEFAULT_RELEASES_FILE, DEFAULT_VERSION_SCHEME } from '../../model/image-releases';

/** npm's publish options (and nx's firstRelease): `nx release publish` passes them to every publish target; images have no use for them. */
const npmOnly = z.union([z.string(), z.number(), z.boolean()]).optional();

export const releaseExecutorSchema = z
  .object({
    /** The metadata files of the images to release (workspace-relative), as their image targets write them. */
    images: z.array(z.string().min(1)).min(1),
    /** The project's pyproject.toml: `{projectVersion}` reads its `[project].version`. */
    pyproject: z.string().min(1).optional(),
    /** How a new version is made (model/image-releases.ts lists the placeholders). */
    versionScheme: z.string().min(1).default(DEFAULT_VERSION_SCHEME),
    /** This version for every image released now, instead of the scheme's (as @nx/docker's --dockerVersion). */
    imageVersion: z.string().min(1).optional(),
    /** The release tag after the image's repository: {image} (`prod-cu124`) {kind} {backend} {project} {version}. */
    releaseTag: z.string().min(1).default(DEFAULT_RELEASE_TAG),
    /** The released-references file (workspace-relative): one entry per image, what deployments read. */
    releasesFile: z.string().min(1).default(DEFAULT_RELEASES_FILE),
    /** Say what would be tagged; tag nothing and write nothing (`nx release --dry-run` sets it). */
    dryRun: z.boolean().default(false),
    /** Passed by `nx release`: the versions its version step gave, by project (`newVersion` null: none). */
    // A plain object: its JSON schema has no `additionalProperties`, so Nx's validator accepts what else nx
    // passes there (currentVersion, dependentProjects, ...), and zod drops it.
    nxReleaseVersionData: z.record(z.string(), z.object({ newVersion: z.string().nullable().optional() })).optional(),
    firstRelease: npmOnly,
    registry: npmOnly,
    tag: npmOnly,
    otp: npmOnly,
    access: npmOnly,
  })
  .strict();

export type ReleaseExecutorOptions = z.input<typeof releaseExecutorSchema>;
export type ReleaseOptions = z.output<typeof releaseExecutorSchema>;
