import { basename } from 'node:path';
import { PluginError } from '../../core/errors';
import type { FileSource } from '../../core/file-source';
import { repositoryOf } from '../../docker/image-ref';
import { dockerSafeName } from '../../docker/safe-name';
import { indexedDigests, remoteDigest, tagRemote } from '../../docker/registry-image';
import {
  parseReleasesFile,
  planRelease,
  renderVersion,
  schemeUses,
  withReleased,
  type ReleaseCandidate,
  type ReleasedImage,
  type ReleaseStep,
} from '../../model/image-releases';
import { imageMetadataSchema, readTaskFile, type ImageMetadata } from '../../model/task-files';
import { withFileLock } from '../../process/file-lock';
import type { InterruptScope } from '../../process/interruptible';
import { parsePyproject } from '../../python/pyproject';
import { renderTag } from '../image/image-plan';
import { writeJsonAtomically } from '../shared/files';
import { readGitFacts } from '../shared/git';
import { info } from '../shared/log';
import { runExecutor } from '../shared/run-executor';
import { runTargets } from '../shared/run-nx';
import type { TaskInfo } from '../shared/task';
import { releaseExecutorSchema, type ReleaseOptions } from './schema';

interface Image {
  candidate: ReleaseCandidate;
  metadata: ImageMetadata;
}

/**
 * Gives pushed images a release version without rebuilding them: the release tag is made in the registry from
 * the digest the image target recorded (`buildx imagetools create`), and the released-references file says which
 * tag and digest each image has now. An image that is the one released last keeps its version.
 */
export default runExecutor({ schema: releaseExecutorSchema }, async ({ options, task, files, scope }) => {
  const dryRun = options.dryRun || process.env.NX_DRY_RUN === 'true';
  const given = options.nxReleaseVersionData?.[task.projectName];
  if (!options.imageVersion && given && given.newVersion === null && schemeUses(options.versionScheme, 'versionActionsVersion')) {
    info(`nx release gave ${task.projectName} no new version: its images keep the versions they have`);
    return;
  }
  const git = await readGitFacts(task.workspaceRoot);
  const now = new Date();
  // Made before anything runs: a scheme that cannot make a version fails before hours of builds.
  const version =
    options.imageVersion ??
    renderVersion(options.versionScheme, {
      projectName: task.projectName,
      now,
      commitSha: git.sha,
      versionActionsVersion: given?.newVersion,
      projectVersion: projectVersion(files, options.pyproject),
      env: process.env,
    });
  const leftOut = task.dependenciesLeftOut();
  if (leftOut.length > 0 && dryRun) {
    info(`Nx left out ${leftOut.join(', ')} (nx release --projects runs no dependencies): a release would run them first; this plan reads the metadata they left`);
  } else if (leftOut.length > 0) {
    // Else a release would tag the images as they were when last built, under a version made for newer sources.
    info(`Nx left out ${leftOut.join(', ')} (nx release --projects runs no dependencies): running them first`);
    await runTargets(task.workspaceRoot, task.projectName, leftOut, scope);
  }
  const images = options.images.map((file) => readImage(files, task, file));
  const releases = parseReleasesFile(files.read(options.releasesFile), options.releasesFile);
  const steps = images.map(({ candidate, metadata }) =>
    planRelease(candidate, releases, () => ({ version, reference: releaseReference(options, candidate, metadata, version) })),
  );

  for (const step of steps) info(describeStep(step, dryRun));
  if (dryRun) {
    info(`dry run: no tag was made and ${options.releasesFile} was not written`);
    return;
  }
  const recorded: Array<{ project: string; image: string; released: ReleasedImage }> = [];
  try {
    for (const step of steps) {
      const entry = step.action === 'tag' ? await tagRelease(step, git.sha, now) : await checkKept(step);
      if (entry) recorded.push({ project: step.candidate.project, image: step.candidate.image, released: entry });
    }
  } finally {
    // What was tagged is recorded even when a later image fails: the registry has those tags now.
    if (recorded.length > 0) await recordReleases(task, options.releasesFile, files, recorded, scope);
  }
});

async function recordReleases(
  task: TaskInfo,
  releasesFile: string,
  files: FileSource,
  entries: Array<{ project: string; image: string; released: ReleasedImage }>,
  scope: InterruptScope,
): Promise<void> {
  const file = task.absolute(releasesFile);
  await withFileLock(`${file}.lock`, scope, lockWaits(releasesFile), async () => {
    // Read again under the lock: the release targets of other images may have written it since.
    writeJsonAtomically(file, withReleased(parseReleasesFile(files.read(releasesFile), releasesFile), entries));
  });
  info(`wrote ${entries.map(({ released }) => released.reference).join(', ')} to ${releasesFile}`);
}

function readImage(files: FileSource, task: TaskInfo, file: string): Image {
  const { data: metadata } = readTaskFile(files, file, imageMetadataSchema, task.producerOf(file));
  if (!metadata.pushed || !metadata.digest) {
    throw new PluginError(
      'options',
      `${file}: ${metadata.image} was ${metadata.pushed ? 'pushed without a recorded digest' : 'loaded into the engine, not pushed'}; ` +
        'a release tags an image in its registry: set `registry` in the plugin options (or [tool.nx-uv-cuda]) and build it again',
      { file },
    );
  }
  return {
    metadata,
    candidate: {
      project: task.projectName,
      image: basename(file, '.json'),
      repository: repositoryOf(metadata.tags[0] ?? metadata.image),
      digest: metadata.digest,
    },
  };
}

function projectVersion(files: FileSource, pyproject: string | undefined): string | undefined {
  if (pyproject === undefined) return undefined;
  const text = files.read(pyproject);
  return text === undefined ? undefined : parsePyproject(text, pyproject).version;
}

function releaseReference(options: ReleaseOptions, candidate: ReleaseCandidate, metadata: ImageMetadata, version: string): string {
  return renderTag(`{repository}:${options.releaseTag}`, {
    repository: candidate.repository,
    image: candidate.image,
    kind: metadata.kind,
    backend: metadata.backend,
    project: dockerSafeName(candidate.project, 'image'),
    version,
  });
}

function describeStep(step: ReleaseStep, dryRun: boolean): string {
  const { project, image, digest } = step.candidate;
  if (step.action === 'keep') return `${project} ${image}: unchanged since ${step.released.version}, keeps ${step.released.reference}`;
  return `${project} ${image}: ${dryRun ? 'would tag' : 'tagging'} ${digest.slice(0, 19)}… as ${step.reference}`;
}

/**
 * A release tag is made once and never moved: a version that names another image already is an error. One that
 * names this image already (a release that failed after tagging it, run again) is taken as it is.
 */
async function tagRelease(step: Extract<ReleaseStep, { action: 'tag' }>, gitSha: string | undefined, now: Date): Promise<ReleasedImage> {
  const { repository, digest } = step.candidate;
  const source = `${repository}@${digest}`;
  const existing = await remoteDigest(step.reference);
  if (existing === undefined) {
    if ((await remoteDigest(source)) === undefined) {
      throw new PluginError('missing-input', `the registry no longer has ${source}: build ${step.candidate.image} again, then release`);
    }
    await tagRemote(source, [step.reference]);
  } else if (!(await namesImage(step.reference, existing, digest))) {
    throw new PluginError(
      'options',
      `${step.reference} already names ${existing}, another image: a release tag is never moved; ` +
        'choose a version scheme that makes a new version (e.g. with {shortCommitSha}) or pass --imageVersion',
    );
  }
  const resolved = await remoteDigest(step.reference);
  if (resolved === undefined) throw new PluginError('command', `${step.reference} is not in the registry after tagging it`);
  if (!(await namesImage(step.reference, resolved, digest))) {
    throw new PluginError('command', `${step.reference} resolves to ${resolved}, which is not ${digest} nor an index of only it`);
  }
  if (resolved !== digest) {
    info(`${step.reference} resolves to ${resolved}, an index of ${digest} alone (this buildx cannot copy a single manifest as it is)`);
  }
  return releasedEntry(step.version, step.reference, resolved, digest, gitSha, now.toISOString());
}

/** Whether a tag that resolves to `resolved` names the image `digest`: itself, or (buildx 0.13) an index of only it. */
async function namesImage(reference: string, resolved: string, digest: string): Promise<boolean> {
  if (resolved === digest) return true;
  const indexed = await indexedDigests(reference);
  return indexed.length === 1 && indexed[0] === digest;
}

function releasedEntry(version: string, reference: string, resolved: string, digest: string, gitSha: string | undefined, releasedAt: string): ReleasedImage {
  return {
    version,
    reference,
    digest: resolved,
    ...(resolved !== digest && { imageDigest: digest }),
    pinned: `${reference}@${resolved}`,
    ...(gitSha && { gitSha }),
    releasedAt,
  };
}

/**
 * A kept release must still name its image: tagged again when the registry lost the tag (the entry then says
 * what the new tag resolves to), an error when someone moved it. Undefined: the entry stands as it is.
 */
async function checkKept(step: Extract<ReleaseStep, { action: 'keep' }>): Promise<ReleasedImage | undefined> {
  const { released, candidate } = step;
  const current = await remoteDigest(released.reference);
  if (current === released.digest) return undefined;
  if (current !== undefined) {
    // Made again by a buildx that copies as it is, say: the same image, under the digest the tag has now.
    if (await namesImage(released.reference, current, candidate.digest)) {
      return releasedEntry(released.version, released.reference, current, candidate.digest, released.gitSha, released.releasedAt);
    }
    throw new PluginError('command', `${released.reference} now names ${current}, not the released ${candidate.digest}: someone moved the tag`);
  }
  info(`${released.reference} was missing from the registry: tagged again`);
  await tagRemote(`${candidate.repository}@${candidate.digest}`, [released.reference]);
  const resolved = await remoteDigest(released.reference);
  if (resolved === undefined || !(await namesImage(released.reference, resolved, candidate.digest))) {
    throw new PluginError('command', `${released.reference} does not name ${candidate.digest} after tagging it again`);
  }
  return resolved === released.digest
    ? undefined
    : releasedEntry(released.version, released.reference, resolved, candidate.digest, released.gitSha, released.releasedAt);
}

function lockWaits(file: string) {
  return {
    onWait: () => info(`waiting for another release target, which is writing ${file}`),
    onStale: () => info(`taking over the lock of ${file}, left by a process that is gone`),
  };
}
