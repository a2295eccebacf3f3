import { describe, expect, it } from 'vitest';
import { BUILDX_FEATURES, formatVersion, parseBuildxVersion, supports } from './buildx-version';

describe('parseBuildxVersion', () => {
  it.each([
    ['github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3', [0, 13, 1]],
    ['github.com/docker/buildx v0.17.1 abc123', [0, 17, 1]],
    ['github.com/docker/buildx v0.12.1-desktop.4 781e9e3fe3a1e1c3f8b0a8ad4ec0f6e4e5c8e2b1\n', [0, 12, 1]],
    ['github.com/docker/buildx v1.0.10 deadbeef', [1, 0, 10]],
  ] as const)('reads %j', (output, expected) => {
    expect(parseBuildxVersion(output)).toEqual(expected);
  });

  it.each(['', 'docker: unknown command: docker buildx', 'buildx 0.13', 'github.com/docker/buildx dev abc123'])(
    'gives undefined for %j',
    (output) => {
      expect(parseBuildxVersion(output)).toBeUndefined();
    },
  );
});

describe('supports', () => {
  it('compares major, then minor, then patch', () => {
    expect(supports([0, 8, 0], 'build contexts (--build-context)')).toBe(true);
    expect(supports([0, 7, 99], 'build contexts (--build-context)')).toBe(false);
    expect(supports([0, 10, 0], 'build contexts (--build-context)')).toBe(true);
    expect(supports([1, 0, 0], 'build checks (--call=check)')).toBe(true);
    expect(supports([0, 14, 9], 'build checks (--call=check)')).toBe(false);
    expect(supports([0, 6, 0], 'metadata file (--metadata-file)')).toBe(true);
    expect(supports([0, 5, 1], 'metadata file (--metadata-file)')).toBe(false);
  });

  it('knows the first version of each feature', () => {
    expect(BUILDX_FEATURES).toEqual({
      'build contexts (--build-context)': [0, 8, 0],
      'metadata file (--metadata-file)': [0, 6, 0],
      'build checks (--call=check)': [0, 15, 0],
    });
  });
});

describe('formatVersion', () => {
  it('joins the parts with dots', () => {
    expect(formatVersion([0, 13, 1])).toBe('0.13.1');
    expect(formatVersion(BUILDX_FEATURES['build checks (--call=check)'])).toBe('0.15.0');
  });
});
