import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { secretDigest } from '../keys/secret-digest';
import { environmentBuildArgNames, environmentBuildArgs, secretArgWarnings, secretValues } from './secret-build-args';

const DOCKERFILE = [
  'ARG CUDA_VERSION=12.4.1',
  'ARG HF_TOKEN',
  'FROM nvidia/cuda:${CUDA_VERSION}-devel-ubuntu22.04 AS base',
  'ARG HF_TOKEN',
  'RUN echo building',
  'FROM base AS prod',
  'RUN echo before',
  'ARG PIP_PASSWORD',
  'COPY . /app',
  '',
].join('\n');

describe('credential-looking build args', () => {
  const model = parseDockerfile(DOCKERFILE, 'svc/Dockerfile');

  it('are the declared ARGs whose names look like credentials, once each, sorted', () => {
    expect(environmentBuildArgNames(model)).toEqual(['HF_TOKEN', 'PIP_PASSWORD']);
  });

  it('take their values from the environment, and only those that are set', () => {
    expect(environmentBuildArgs(model, { HF_TOKEN: 'hf_canary', CUDA_VERSION: '12.8.0' })).toEqual({ HF_TOKEN: 'hf_canary' });
    expect(environmentBuildArgs(model, {})).toEqual({});
  });

  it('warn, with file and line, where a RUN comes after the ARG in its stage (BuildKit writes it into the history)', () => {
    const warnings = secretArgWarnings(model);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^svc\/Dockerfile:4: ARG HF_TOKEN is in scope of the RUN at line 5/);
    expect(warnings[0]).toContain('--mount=type=secret');
  });
});

describe('secretDigest', () => {
  it('changes with the value and never holds it', () => {
    const digest = secretDigest('hf_canary', {});
    expect(digest).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(digest).not.toContain('hf_canary');
    expect(secretDigest('hf_canary', {})).toBe(digest);
    expect(secretDigest('hf_other', {})).not.toBe(digest);
  });

  it('depends on the digest key, when one is set', () => {
    expect(secretDigest('hf_canary', { NX_UV_CUDA_DIGEST_KEY: 'k1' })).not.toBe(secretDigest('hf_canary', {}));
    expect(secretDigest('hf_canary', { NX_UV_CUDA_DIGEST_KEY: 'k1' })).toBe(secretDigest('hf_canary', { NX_UV_CUDA_DIGEST_KEY: 'k1' }));
  });
});

describe('secretValues', () => {
  it('are the values of environment build args and of --secrets read from variables, set ones only', () => {
    const env = { HF_TOKEN: 'hf_1111', CANARY: 'c_2222', API_TOKEN: 'a_3333', EMPTY: '', ENABLE_AUTH: 'false', PIN: '42' };
    const secrets = ['id=canary,env=CANARY', 'id=API_TOKEN', 'id=npmrc,src=.npmrc', 'id=e,env=EMPTY', 'id=pin,env=PIN'];
    expect(secretValues(['HF_TOKEN', 'PIP_PASSWORD', 'ENABLE_AUTH'], secrets, env)).toEqual(['hf_1111', 'c_2222', 'a_3333']);
  });
});
