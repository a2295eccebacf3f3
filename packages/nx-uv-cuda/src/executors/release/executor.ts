import { basename } from 'node:path';
import { PluginError } from '../../core/errors';
import type { FileSource } from '../../core/file-source';
import { repositoryOf } from '../../docker/image-ref';
import { dockerSafeName } from '../../docker/safe-name';
import { indexedDigests, remoteDigest, tagRemote } from '../../docker/registry-image';
import {
  checkVersion,
  parseReleasesFile,
  planRelease,
  releasedImage,
  renderVersion,
  schemeUses,
  withReleased,
  type ReleaseCandidate,
  type ReleasedImage,
  type ReleaseStep,
} from '../../model/image-releases';
import { imageMetadataSchema, readTaskFile } from '../../model/task-files';
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

type Recorded = { project: string; image: string; released: ReleasedImage };

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
  // Made and checked before this target runs anything: a scheme or tag that cannot work fails before builds.
  const version = options.imageVersion
    ? checkVersion(options.imageVersion, '--imageVersion')
    : renderVersion(options.versionScheme, {
        projectName: task.projectName,
        now,
        commitSha: git.sha,
        versionActionsVersion: given?.newVersion,
        projectVersion: schemeUses(options.versionScheme, 'projectVersion') ? projectVersion(files, options.pyproject) : undefined,
        env: process.env,
      });
  releaseReference(options, { repository: 'registry.invalid/check', image: 'image', kind: 'kind', backend: 'backend', project: task.projectName }, version);

  const leftOut = task.dependenciesLeftOut();
  if (leftOut.length > 0 && dryRun) {
    info(`Nx left out ${leftOut.join(', ')} (nx release --projects runs no dependencies): a release would run them first; this plan reads the metadata they left`);
  } else if (leftOut.length > 0) {
    // Else a release would tag the images as they were when last built, under a version made for newer sources.
    info(`Nx left out ${leftOut.join(', ')} (nx release --projects runs no dependencies): running them first`);
    await runTargets(task.workspaceRoot, task.projectName, leftOut, scope);
  }
  const candidates = options.images.map((file) => readCandidate(files, task, file));
  const releases = parseReleasesFile(files.read(options.releasesFile), options.releasesFile);
  const steps = candidates.map((candidate) =>
    planRelease(candidate, releases, () => ({ version, reference: releaseReference(options, candidate, version) })),
  );

  for (const step of steps) info(describeStep(step, dryRun));
  if (dryRun) {
    info(`dry run: no tag was made and ${options.releasesFile} was not written`);
    return;
  }
  const recorded: Recorded[] = [];
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

async function recordReleases(task: TaskInfo, releasesFile: string, files: FileSource, entries: Recorded[], scope: InterruptScope): Promise<void> {
  const file = task.absolute(releasesFile);
  const waits = {
    onWait: () => info(`waiting for another release target, which is writing ${releasesFile}`),
    onStale: () => info(`taking over the lock of ${releasesFile}, left by a process that is gone`),
  };
  await withFileLock(`${file}.lock`, scope, waits, async () => {
    // Read again under the lock: the release targets of other images may have written it since.
    writeJsonAtomically(file, withReleased(parseReleasesFile(files.read(releasesFile), releasesFile), entries));
  });
  info(`wrote ${entries.map(({ released }) => released.reference).join(', ')} to ${releasesFile}`);
}

function readCandidate(files: FileSource, task: TaskInfo, file: string): ReleaseCandidate {
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
    project: task.projectName,
    image: basename(file, '.json'),
    kind: metadata.kind,
    backend: metadata.backend,
    // A pushed image's metadata names it by digest: `<repository>@<digest>`.
    repository: repositoryOf(metadata.image),
    digest: metadata.digest,
    source: metadata.image,
    engine: metadata.engine,
  };
}

function projectVersion(files: FileSource, pyproject: string | undefined): string | undefined {
  if (pyproject === undefined) return undefined;
  const text = files.read(pyproject);
  return text === undefined ? undefined : parsePyproject(text, pyproject).version;
}

function releaseReference(
  options: ReleaseOptions,
  candidate: Pick<ReleaseCandidate, 'repository' | 'image' | 'kind' | 'backend' | 'project'>,
  version: string,
): string {
  return renderTag(`{repository}:${options.releaseTag}`, {
    repository: candidate.repository,
    image: candidate.image,
    kind: candidate.kind,
    backend: candidate.backend,
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
  const { candidate, reference } = step;
  const existing = await remoteDigest(reference, candidate.engine);
  if (existing !== undefined && !(await namesImage(reference, existing, candidate))) {
    throw new PluginError(
      'options',
      `${reference} already names ${existing}, another image: a release tag is never moved; ` +
        'choose a version scheme that makes a new version (e.g. with {shortCommitSha}) or pass --imageVersion',
    );
  }
  const resolved = existing ?? (await tagAndResolve(candidate, reference));
  if (resolved !== candidate.digest) {
    info(`${reference} resolves to ${resolved}, an index of ${candidate.digest} alone (this buildx cannot copy a single manifest as it is)`);
  }
  return releasedImage({ version: step.version, reference, resolved, imageDigest: candidate.digest, gitSha, releasedAt: now.toISOString() });
}

/**
 * A kept release must still name its image: tagged again when the registry lost the tag, an error when someone
 * moved it. Undefined: the entry stands as it is; else the entry as the registry has it now.
 */
async function checkKept(step: Extract<ReleaseStep, { action: 'keep' }>): Promise<ReleasedImage | undefined> {
  const { released, candidate } = step;
  const current = await remoteDigest(released.reference, candidate.engine);
  if (current === released.digest) return undefined;
  if (current !== undefined && !(await namesImage(released.reference, current, candidate))) {
    throw new PluginError('command', `${released.reference} now names ${current}, not the released ${candidate.digest}: someone moved the tag`);
  }
  if (current === undefined) info(`${released.reference} was missing from the registry: tagged again`);
  // Made again, or by a buildx that copies as it is: the same image, under the digest the tag has now.
  const resolved = current ?? (await tagAndResolve(candidate, released.reference));
  return resolved === released.digest ? undefined : releasedImage({ ...released, resolved, imageDigest: candidate.digest });
}

/** Tags the candidate's image as `reference` in its registry and says what the tag resolves to, checked to name it. */
async function tagAndResolve(candidate: ReleaseCandidate, reference: string): Promise<string> {
  if ((await remoteDigest(candidate.source, candidate.engine)) === undefined) {
    throw new PluginError('missing-input', `the registry no longer has ${candidate.source}: build ${candidate.image} again, then release`);
  }
  await tagRemote(candidate.source, [reference], candidate.engine);
  const resolved = await remoteDigest(reference, candidate.engine);
  if (resolved === undefined || !(await namesImage(reference, resolved, candidate))) {
    throw new PluginError('command', `${reference} does not name ${candidate.digest} after tagging it${resolved ? ` (it resolves to ${resolved})` : ''}`);
  }
  return resolved;
}

/** Whether a tag that resolves to `resolved` names the candidate's image: itself, or (buildx 0.13) an index of only it. */
async function namesImage(reference: string, resolved: string, candidate: ReleaseCandidate): Promise<boolean> {
  if (resolved === candidate.digest) return true;
  const indexed = await indexedDigests(reference, candidate.engine);
  return indexed.length === 1 && indexed[0] === candidate.digest;
}
