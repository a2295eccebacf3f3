import { describe, expect, it } from 'vitest';
import { isNotFound, parseManifestDigest } from './registry-image';

const DIGEST = `sha256:${'b0'.repeat(32)}`;

describe('registry lookups', () => {
  it('read the digest of imagetools inspect --format {{json .Manifest}}', () => {
    expect(parseManifestDigest(JSON.stringify({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: DIGEST, size: 855 }))).toBe(DIGEST);
    expect(parseManifestDigest('{"digest": "sha256:short"}')).toBeUndefined();
    expect(parseManifestDigest('not json')).toBeUndefined();
    expect(parseManifestDigest('null')).toBeUndefined();
  });

  it('tell a missing tag from a registry that does not answer', () => {
    expect(isNotFound('ERROR: 127.0.0.1:5000/ml/svc:prod-cu124-nx1: not found\n')).toBe(true);
    expect(isNotFound('ERROR: manifest unknown: manifest unknown')).toBe(true);
    expect(isNotFound('ERROR: failed to do request: Head "http://127.0.0.1:5000/v2/": dial tcp: connection refused')).toBe(false);
    expect(isNotFound('ERROR: unexpected status from HEAD request: 401 Unauthorized')).toBe(false);
  });
});
