import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_HOST, buildsThatRan, docker, dockerSucceeds, provisionDocker, registryDigest, registrySnapshot, wipeRegistryNamespace } from './support/docker';
import { GIT_IDENTITY } from '../tools/example-workspace.mjs';
import { createWorkspace, disposeWorkspaces, type Workspace } from './support/workspace';

/**
 * Issue 14: `nx release` versions images. A release tags the pushed digest the image target recorded (no
 * rebuild); after an edit to one service only that service's images get a new version, and every released tag
 * resolves to the image target's digest. Real engine, real registry, real `nx release` from npm.
 */
const NAMESPACE = `release-${Date.now().toString(36)}`;
const REGISTRY = `${REGISTRY_HOST}/${NAMESPACE}`;
const SERVICES = ['ml-service', 'other-service'];
const IMAGES = SERVICES.flatMap((service) => ['cu124', 'cu128'].map((backend) => ({ service, image: `prod-${backend}` })));

interface Released {
  version: string;
  gitSha?: string;
  releasedAt: string;
  reference: string;
  digest: string;
  imageDigest?: string;
  pinned: string;
}

/**
 * The image a tag names: its digest, or, where the tag is an index of one manifest (buildx 0.13 cannot copy a
 * single manifest as it is, and wraps it), that manifest's.
 */
function imageBehind(reference: string): string {
  const raw = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', reference])) as { manifests?: Array<{ digest: string }> };
  if (!raw.manifests) return registryDigest(reference);
  expect(raw.manifests, `${reference} is an index of one manifest`).toHaveLength(1);
  return raw.manifests[0].digest;
}

/** A released entry is what its tag resolves to, and names the image its image target recorded. */
function expectReleasedAs(released: Released, recorded: string): void {
  expect(registryDigest(released.reference)).toBe(released.digest);
  expect(released.imageDigest ?? released.digest).toBe(recorded);
  expect(imageBehind(released.reference)).toBe(recorded);
  expect(released.pinned).toBe(`${released.reference}@${released.digest}`);
}

describe('image releases with nx release on a real registry', () => {
  let ws: Workspace;
  const releases = (): Record<string, Record<string, Released>> => JSON.parse(ws.read('image-releases.json')).images;
  const recordedDigest = (service: string, image: string) =>
    JSON.parse(ws.read(`dist/services/${service}/images/${image}.json`)).digest as string;
  const shortSha = () => ws.git(['rev-parse', 'HEAD']).trim().slice(0, 7);
  // The release tags under the namespace, as full references.
  const releaseTags = (snapshot: Record<string, string>) =>
    Object.keys(snapshot)
      .filter((reference) => /:prod-cu12\d-\d{4}\.\d{2}\./.test(reference))
      .map((reference) => `${REGISTRY_HOST}/${reference}`)
      .sort();

  beforeAll(() => {
    provisionDocker();
    ws = createWorkspace({ fixture: 'ml-monorepo', pluginOptions: { registry: REGISTRY } });
    const nxJson = JSON.parse(ws.read('nx.json'));
    ws.write('nx.json', JSON.stringify({ ...nxJson, release: { projects: SERVICES, projectsRelationship: 'independent' } }, null, 2));
    ws.commitAll('release config');
  });

  afterAll(async () => {
    await wipeRegistryNamespace(NAMESPACE);
    disposeWorkspaces();
  });

  it('infers nx-release-publish (prod images) and one release target per image', async () => {
    const shown = await ws.nx(['show', 'project', 'ml-service', '--json']);
    expect(shown.exitCode, shown.all).toBe(0);
    const targets = JSON.parse(shown.stdout).targets;
    expect(targets['nx-release-publish'].dependsOn).toEqual(['image-prod-cu124', 'image-prod-cu128']);
    expect(Object.keys(targets).filter((name) => name.startsWith('release-')).sort()).toEqual([
      'release-dev-cu124',
      'release-dev-cu128',
      'release-prod-cu124',
      'release-prod-cu128',
    ]);
  });

  it('`nx release publish --dry-run` says what it would tag and tags nothing', async () => {
    const before = new Date();
    const result = await ws.nx(['release', 'publish', '--dry-run']);
    expect(result.exitCode, result.all).toBe(0);
    // The default scheme, {currentDate|YYMM.DD}.{shortCommitSha}: the date of the run, which may cross midnight.
    const dates = new Set([before, new Date()].map((date) => date.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d).*$/, '$1$2.$3')));
    for (const { service, image } of IMAGES) {
      expect(result.all).toContain(`${service} ${image}: would tag sha256:`);
      const references = [...dates].map((date) => `as ${REGISTRY}/${service}:${image}-${date}.${shortSha()}`);
      expect(references.some((reference) => result.all.includes(reference)), references.join(' or ')).toBe(true);
    }
    expect(releaseTags(await registrySnapshot(NAMESPACE))).toEqual([]);
    expect(ws.exists('image-releases.json')).toBe(false);
  });

  let first: Record<string, Record<string, Released>>;

  it('`nx release publish` tags each prod image by digest and writes the released references', async () => {
    const before = await registrySnapshot(NAMESPACE);
    const result = await ws.nx(['release', 'publish']);
    expect(result.exitCode, result.all).toBe(0);
    // No rebuild: the images were built by the dry run's dependencies; the release only made tags.
    expect(buildsThatRan(result.all)).toEqual([]);
    first = releases();
    const after = await registrySnapshot(NAMESPACE);
    expect(releaseTags(after)).toEqual(IMAGES.map(({ service, image }) => first[service][image].reference).sort());
    for (const { service, image } of IMAGES) {
      const released = first[service][image];
      expect(released.version).toMatch(new RegExp(`^\\d{4}\\.\\d{2}\\.${shortSha()}$`));
      expectReleasedAs(released, recordedDigest(service, image));
    }
    // Nothing else moved: the image tags and caches are as they were.
    for (const [reference, digest] of Object.entries(before)) expect(after[reference], reference).toBe(digest);
  });

  it('after an edit to one service, tags exactly that service; the other keeps its version', async () => {
    ws.append('services/other-service/src/other_service/main.py', '\n# a change that reaches the prod image\n');
    ws.commitAll('change other-service');
    const result = await ws.nx(['release', 'publish']);
    expect(result.exitCode, result.all).toBe(0);
    const second = releases();
    for (const image of ['prod-cu124', 'prod-cu128']) {
      expect(second['ml-service'][image]).toEqual(first['ml-service'][image]);
      expect(result.all).toContain(`ml-service ${image}: unchanged since ${first['ml-service'][image].version}`);
      const changed = second['other-service'][image];
      expect(changed.version).toMatch(new RegExp(`\\.${shortSha()}$`));
      expect(changed.digest).not.toBe(first['other-service'][image].digest);
      expectReleasedAs(changed, recordedDigest('other-service', image));
      // The earlier release still names the earlier image.
      expect(registryDigest(first['other-service'][image].reference)).toBe(first['other-service'][image].digest);
    }
    const tags = releaseTags(await registrySnapshot(NAMESPACE));
    expect(tags.filter((reference) => reference.includes('/ml-service:'))).toHaveLength(2);
    expect(tags.filter((reference) => reference.includes('/other-service:'))).toHaveLength(4);
  });

  it('tags a kept release again when the registry lost its tag, and gives an unchanged image no --imageVersion', async (context) => {
    const kept = releases()['ml-service']['prod-cu124'];
    // On a buildx that copies a single manifest as it is, the tag's digest is the image's own, which other tags
    // share: deleting it would delete the image. Here (buildx 0.13) it is an index only this tag names.
    if (!kept.imageDigest) context.skip();
    const repository = kept.reference.slice(REGISTRY_HOST.length + 1, kept.reference.lastIndexOf(':'));
    const deleted = await fetch(`http://${REGISTRY_HOST}/v2/${repository}/manifests/${kept.digest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    expect(dockerSucceeds(['buildx', 'imagetools', 'inspect', kept.reference])).toBe(false);
    const before = ws.read('image-releases.json');
    const result = await ws.nx(['run', 'ml-service:release-prod-cu124', '--imageVersion=9.9.9']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain(`${kept.reference} was missing from the registry: tagged again`);
    expect(result.all).toContain(`ml-service prod-cu124: unchanged since ${kept.version}`);
    expect(imageBehind(kept.reference)).toBe(kept.imageDigest);
    expect(dockerSucceeds(['buildx', 'imagetools', 'inspect', `${REGISTRY}/ml-service:prod-cu124-9.9.9`])).toBe(false);
    // The entry says what the tag made again resolves to; nothing else in the file moved.
    const after = releases();
    expectReleasedAs(after['ml-service']['prod-cu124'], kept.imageDigest!);
    expect({ ...after, 'ml-service': { ...after['ml-service'], 'prod-cu124': kept } }).toEqual(JSON.parse(before).images);
  });

  it('takes a release tag that already names its image (a release that failed after tagging), and records it', async () => {
    const file = JSON.parse(ws.read('image-releases.json'));
    const tagged = file.images['ml-service']['prod-cu128'] as Released;
    delete file.images['ml-service']['prod-cu128'];
    ws.write('image-releases.json', JSON.stringify(file, null, 2));
    const result = await ws.nx(['run', 'ml-service:release-prod-cu128', `--imageVersion=${tagged.version}`]);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain(`ml-service prod-cu128: tagging ${(tagged.imageDigest ?? tagged.digest).slice(0, 19)}… as ${tagged.reference}`);
    // The same tag and digests; when and at which commit it was recorded are this run's.
    const recorded = releases()['ml-service']['prod-cu128'];
    expect({ ...recorded, releasedAt: tagged.releasedAt, gitSha: tagged.gitSha }).toEqual(tagged);
  });

  it('refuses to move a release tag, and leaves the file as it was', async () => {
    const before = ws.read('image-releases.json');
    ws.append('services/other-service/src/other_service/main.py', '\n# another change, released under a version that is taken\n');
    const taken = first['other-service']['prod-cu124'];
    const result = await ws.nx(['run', 'other-service:release-prod-cu124', `--imageVersion=${taken.version}`]);
    expect(result.exitCode, result.all).not.toBe(0);
    expect(result.all).toContain(`${taken.reference} already names ${taken.digest}, another image: a release tag is never moved`);
    expect(ws.read('image-releases.json')).toBe(before);
    expect(registryDigest(taken.reference)).toBe(taken.digest);
  });

  it('`nx release` versions the project in pyproject.toml and uv.lock, and its images take that version', async () => {
    const nxJson = JSON.parse(ws.read('nx.json'));
    nxJson.plugins[0].options.release = { versionScheme: '{versionActionsVersion}' };
    nxJson.release = { ...nxJson.release, changelog: { workspaceChangelog: false, projectChangelogs: false } };
    ws.write('nx.json', JSON.stringify(nxJson, null, 2));
    ws.commitAll('images take the version nx release gives');
    const before = releases()['other-service'];
    const untouched = releases()['ml-service'];
    // nx release commits and tags: with the identity the workspace's own commits have.
    const identity = GIT_IDENTITY;
    const dryRun = await ws.nx(['release', '1.0.0', '--projects=other-service', '--first-release', '--yes', '--dry-run'], { env: identity });
    expect(dryRun.exitCode, dryRun.all).toBe(0);
    expect(dryRun.all).toContain('a release would run them first; this plan reads the metadata they left');
    expect(buildsThatRan(dryRun.all)).toEqual([]);
    expect(ws.git(['status', '--porcelain'])).toBe('');
    const result = await ws.nx(['release', '1.0.0', '--projects=other-service', '--first-release', '--yes'], { env: identity });
    expect(result.exitCode, result.all).toBe(0);
    // With --projects, nx release runs publish targets without their dependencies: the release runs them.
    expect(result.all).toContain('Nx left out image-prod-cu124, image-prod-cu128 (nx release --projects runs no dependencies): running them first');
    expect(ws.read('services/other-service/pyproject.toml')).toMatch(/^version = "1\.0\.0"$/m);
    expect(ws.read('uv.lock')).toContain('name = "other-service"\nversion = "1.0.0"\nsource = { editable = "services/other-service" }');
    expect(ws.git(['tag', '--list', 'other-service@*']).trim()).toBe('other-service@1.0.0');
    // The service's minimal production manifest and its lock carry the version too.
    expect(ws.read('services/other-service/prod/pyproject.toml')).toMatch(/^version = "1\.0\.0"$/m);
    expect(ws.read('services/other-service/prod/uv.lock')).toMatch(/^name = "other-service"\nversion = "1\.0\.0"\n/m);
    expect(ws.git(['show', '--name-only', '--format=', 'HEAD']).trim().split('\n').sort()).toEqual([
      'services/other-service/prod/pyproject.toml',
      'services/other-service/prod/uv.lock',
      'services/other-service/pyproject.toml',
      'uv.lock',
    ]);
    const released = releases();
    for (const image of ['prod-cu124', 'prod-cu128']) {
      expect(released['other-service'][image]).toMatchObject({ version: '1.0.0', reference: `${REGISTRY}/other-service:${image}-1.0.0` });
      expectReleasedAs(released['other-service'][image], recordedDigest('other-service', image));
      // The version is in pyproject.toml, which the image copies: a new image, not the last one renamed.
      expect(recordedDigest('other-service', image)).not.toBe(before[image].imageDigest ?? before[image].digest);
    }
    expect(released['ml-service']).toEqual(untouched);
  });
});
