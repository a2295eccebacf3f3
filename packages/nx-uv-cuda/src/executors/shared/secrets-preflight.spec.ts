import { describe, expect, it } from 'vitest';
import { thrownPluginError } from '../../__fixtures__/thrown';
import { parseDockerfile } from '../../docker/parse-dockerfile';
import { stageChain } from '../../docker/stage-graph';
import { requireSecrets } from './secrets-preflight';

const model = parseDockerfile(
  [
    'FROM python:3.12-slim AS base',
    'RUN --mount=type=secret,id=maybe true',
    'FROM base AS wheel-prod',
    'RUN --mount=type=secret,id=canary,required=true cat /run/secrets/canary',
    'FROM base AS prod',
    'RUN true',
    '',
  ].join('\n'),
  'svc/Dockerfile',
);
const where = (env: NodeJS.ProcessEnv) => ({ env, cwd: '/nonexistent' });

describe('requireSecrets', () => {
  it('passes when every required secret of the stages built has a source that is there', () => {
    expect(() => requireSecrets(model, stageChain(model, 'wheel-prod'), ['id=canary,env=CANARY'], where({ CANARY: 'x' }))).not.toThrow();
    expect(() => requireSecrets(model, stageChain(model, 'prod'), [], where({}))).not.toThrow();
  });

  it('fails naming the line, the secret and the unset variable', () => {
    const error = thrownPluginError('preflight', () => requireSecrets(model, stageChain(model, 'wheel-prod'), ['id=canary,env=CANARY'], where({})));
    expect(error.message).toBe(
      'svc/Dockerfile:4: the build needs secret "canary" (required=true), and its source, the environment variable CANARY, is not set',
    );
  });

  it('fails when no secrets entry gives a required secret, or its file is missing', () => {
    expect(thrownPluginError('preflight', () => requireSecrets(model, stageChain(model, 'wheel-prod'), [], where({}))).message).toContain(
      'no secrets entry gives it: add "id=canary,env=<VARIABLE>" to the secrets option',
    );
    expect(
      thrownPluginError('preflight', () => requireSecrets(model, stageChain(model, 'wheel-prod'), ['id=canary,src=missing.txt'], where({}))).message,
    ).toContain('its source, the file missing.txt, does not exist');
  });
});
