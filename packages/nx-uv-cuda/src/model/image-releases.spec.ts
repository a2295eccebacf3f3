import { describe, expect, it } from 'vitest';
import { thrownPluginError } from '../__fixtures__/thrown';
import {
  DEFAULT_VERSION_SCHEME,
  formatDate,
  parseReleasesFile,
  planRelease,
  releasedImage,
  checkVersion,
  renderVersion,
  schemeUses,
  withReleased,
  type ReleaseCandidate,
  type ReleasedImage,
  type VersionFacts,
} from './image-releases';

const NOW = new Date('2026-12-02T07:05:09Z');
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f80912345678';
const facts: VersionFacts = { projectName: 'ml-service', now: NOW, commitSha: SHA, projectVersion: '1.4.0', env: { STAGE: 'rc1' } };
const digest = (char: string) => `sha256:${char.repeat(64)}`;

describe('renderVersion', () => {
  it("makes @nx/docker's default scheme: the UTC date, then the short commit", () => {
    expect(renderVersion(DEFAULT_VERSION_SCHEME, facts)).toBe('2612.02.1a2b3c4');
  });

  it('fills every placeholder', () => {
    expect(renderVersion('{projectName}-{projectVersion}-{env.STAGE}-{commitSha}', facts)).toBe(`ml-service-1.4.0-rc1-${SHA}`);
    expect(renderVersion('{versionActionsVersion}', { ...facts, versionActionsVersion: '2.0.0' })).toBe('2.0.0');
    expect(renderVersion('{ currentDate | YYYY.MM.DD-HHmmss }', facts)).toBe('2026.12.02-070509');
  });

  it('says which placeholder has no value and why', () => {
    expect(thrownPluginError('options', () => renderVersion('{versionActionsVersion}', facts)).message).toBe(
      'version scheme "{versionActionsVersion}" (release.versionScheme in the plugin options, or the versionScheme option) uses ' +
        '{versionActionsVersion}, which has no value here (only `nx release` gives one, from its version step)',
    );
    expect(thrownPluginError('options', () => renderVersion('{projectVersion}', { ...facts, projectVersion: undefined })).message).toMatch(
      /has no \[project\]\.version/,
    );
    expect(thrownPluginError('options', () => renderVersion('{shortCommitSha}', { ...facts, commitSha: undefined })).message).toMatch(/not a git repository/);
    expect(thrownPluginError('options', () => renderVersion('{env.MISSING}', facts)).message).toMatch(/uses \{env\.MISSING\}, which has no value here$/);
  });

  it('refuses a version no tag can hold: an unformatted date, a semver build suffix', () => {
    expect(thrownPluginError('options', () => renderVersion('{currentDate}', facts)).message).toMatch(
      /^version "2026-12-02T07:05:09\.000Z" from the scheme "\{currentDate\}" .* cannot be part of an image tag: .*\{currentDate\|YYMM\.DD\}/,
    );
    expect(thrownPluginError('options', () => renderVersion('{projectVersion}', { ...facts, projectVersion: '1.0.0+local' })).message).toMatch(/^version "1\.0\.0\+local"/);
  });

  it('finds a placeholder as renderVersion reads it', () => {
    expect(schemeUses('{ versionActionsVersion }-x', 'versionActionsVersion')).toBe(true);
    expect(schemeUses('{currentDate|YY}', 'currentDate')).toBe(true);
    expect(schemeUses('versionActionsVersion', 'versionActionsVersion')).toBe(false);
  });

  it('refuses unknown placeholders and credential-looking variables', () => {
    expect(thrownPluginError('options', () => renderVersion('{semver}', facts)).message).toMatch(/^unknown placeholder \{semver\} in a version scheme: expected /);
    expect(thrownPluginError('options', () => renderVersion('{env.HF_TOKEN}', { ...facts, env: { HF_TOKEN: 'hf_x' } })).message).toBe(
      'a version scheme may not name HF_TOKEN: it looks like a credential, and tags are public',
    );
  });
});

describe('formatDate', () => {
  it('pads every token and leaves other characters', () => {
    expect(formatDate(new Date('2031-01-05T03:04:05Z'), 'YY.MM.DD HH:mm:ss / YYYY')).toBe('31.01.05 03:04:05 / 2031');
  });
});

describe('planRelease', () => {
  const candidate: ReleaseCandidate = {
    project: 'ml-service',
    image: 'prod-cu124',
    kind: 'prod',
    backend: 'cu124',
    repository: '127.0.0.1:5000/ml/ml-service',
    digest: digest('a'),
    source: `127.0.0.1:5000/ml/ml-service@${digest('a')}`,
  };
  const released = (over: Partial<ReleasedImage> = {}): ReleasedImage => ({
    version: '2612.01.0000000',
    reference: '127.0.0.1:5000/ml/ml-service:prod-cu124-2612.01.0000000',
    digest: digest('a'),
    pinned: `127.0.0.1:5000/ml/ml-service:prod-cu124-2612.01.0000000@${digest('a')}`,
    releasedAt: '2026-12-01T00:00:00.000Z',
    ...over,
  });
  const next = () => ({ version: '2612.02.1a2b3c4', reference: '127.0.0.1:5000/ml/ml-service:prod-cu124-2612.02.1a2b3c4' });

  it('keeps the version of the image released last, and makes no new one', () => {
    let asked = 0;
    const step = planRelease(candidate, { images: { 'ml-service': { 'prod-cu124': released() } } }, () => (asked++, next()));
    expect(step).toEqual({ action: 'keep', candidate, released: released() });
    expect(asked).toBe(0);
  });

  it('compares with the image digest where the tag resolves to an index made around it', () => {
    const wrapped = released({ digest: digest('b'), imageDigest: digest('a') });
    expect(planRelease(candidate, { images: { 'ml-service': { 'prod-cu124': wrapped } } }, next).action).toBe('keep');
  });

  it('gives a changed or never released image the next version', () => {
    expect(planRelease(candidate, { images: { 'ml-service': { 'prod-cu124': released({ digest: digest('c') }) } } }, next)).toEqual({
      action: 'tag',
      candidate,
      ...next(),
    });
    expect(planRelease(candidate, { images: { other: { 'prod-cu124': released() } } }, next).action).toBe('tag');
    expect(planRelease(candidate, { images: {} }, next).action).toBe('tag');
  });
});

describe('releasedImage', () => {
  const entry = { version: '1.0.0', reference: 'r/svc:prod-cu124-1.0.0', releasedAt: '2026-12-02T00:00:00.000Z' };

  it('pins the reference to what the tag resolves to, and keeps the image digest only where that differs', () => {
    expect(releasedImage({ ...entry, resolved: digest('a'), imageDigest: digest('a'), gitSha: SHA })).toEqual({
      ...entry,
      digest: digest('a'),
      pinned: `r/svc:prod-cu124-1.0.0@${digest('a')}`,
      gitSha: SHA,
    });
    expect(releasedImage({ ...entry, resolved: digest('b'), imageDigest: digest('a') })).toEqual({
      ...entry,
      digest: digest('b'),
      imageDigest: digest('a'),
      pinned: `r/svc:prod-cu124-1.0.0@${digest('b')}`,
    });
  });
});

describe('checkVersion', () => {
  it('takes a tag-safe version and names where a bad one came from', () => {
    expect(checkVersion('2.0.0-rc_1', '--imageVersion')).toBe('2.0.0-rc_1');
    expect(thrownPluginError('options', () => checkVersion('2.0.0+local', '--imageVersion')).message).toMatch(
      /^version "2\.0\.0\+local" from --imageVersion cannot be part of an image tag/,
    );
  });
});

describe('the released-references file', () => {
  const entry: ReleasedImage = {
    version: '1',
    reference: 'r:prod-cu124-1',
    digest: digest('a'),
    pinned: `r:prod-cu124-1@${digest('a')}`,
    releasedAt: '2026-12-02T00:00:00.000Z',
  };

  it('reads a missing file as empty, and names the file and key of a wrong one', () => {
    expect(parseReleasesFile(undefined, 'image-releases.json')).toEqual({ images: {} });
    expect(thrownPluginError('options', () => parseReleasesFile('{', 'image-releases.json')).message).toMatch(/^image-releases\.json is not JSON \(/);
    const wrong = JSON.stringify({ images: { svc: { 'prod-cu124': { ...entry, digest: 'latest' } } } });
    expect(thrownPluginError('options', () => parseReleasesFile(wrong, 'image-releases.json')).message).toMatch(
      /^image-releases\.json: images\.svc\.prod-cu124\.digest: expected a sha256: digest; fix or remove it$/,
    );
  });

  it('sets entries and keeps other projects and images, keys sorted', () => {
    const before = { images: { svc: { 'prod-cu128': entry }, api: { 'prod-cu124': entry } } };
    const after = withReleased(before, [{ project: 'svc', image: 'dev-cu124', released: { ...entry, version: '2' } }]);
    expect(Object.keys(after.images)).toEqual(['api', 'svc']);
    expect(Object.keys(after.images.svc)).toEqual(['dev-cu124', 'prod-cu128']);
    expect(after.images.svc['dev-cu124'].version).toBe('2');
    expect(before.images.svc).not.toHaveProperty('dev-cu124');
  });
});
