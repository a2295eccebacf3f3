import { createHmac } from 'node:crypto';

/** Set it (the same on every machine that shares a cache) to make the digests below unguessable. */
export const DIGEST_KEY_VARIABLE = 'NX_UV_CUDA_DIGEST_KEY';

/**
 * What a build key holds in place of a credential's value: an HMAC, so the key changes when the value does and
 * never holds it. Without a key of the user's the HMAC key is fixed, which is as strong as the value's own
 * entropy (fine for generated tokens, not for a short password).
 */
export function secretDigest(value: string, env: NodeJS.ProcessEnv): string {
  const key = env[DIGEST_KEY_VARIABLE] || 'nx-uv-cuda build-arg digest';
  return `hmac-sha256:${createHmac('sha256', key).update(value).digest('hex')}`;
}
