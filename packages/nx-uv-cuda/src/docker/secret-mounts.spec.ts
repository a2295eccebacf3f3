import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './parse-dockerfile';
import { secretMounts, secretSource, secretVariable } from './secret-mounts';

describe('secretMounts', () => {
  it('finds the secret mounts of the stages with their lines, ids (or target names) and whether they are required', () => {
    const model = parseDockerfile(
      [
        'FROM python:3.12-slim AS base',
        'RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=canary,required=true cat /run/secrets/canary',
        'RUN --mount=type=secret,id=hf,env=HF_TOKEN \\',
        '    --mount=type=secret,target=/run/secrets/npmrc,required --mount=type=secret,id=off,required=false true',
        'RUN --mount=type=bind,source=x,target=/x true',
        '',
      ].join('\n'),
      'Dockerfile',
    );
    expect(secretMounts(model.stages)).toEqual([
      { id: 'canary', required: true, line: 2 },
      { id: 'hf', required: false, line: 3 },
      { id: 'npmrc', required: true, line: 4 },
      { id: 'off', required: false, line: 4 },
    ]);
  });
});

describe('secretSource', () => {
  it.each([
    ['id=canary,env=CANARY', { id: 'canary', env: 'CANARY' }],
    ['id=npmrc,src=/home/me/.npmrc', { id: 'npmrc', file: '/home/me/.npmrc' }],
    ['id=npmrc,source=.npmrc', { id: 'npmrc', file: '.npmrc' }],
    ['type=env,id=hf,src=HF_TOKEN', { id: 'hf', env: 'HF_TOKEN' }],
    ['id=API_TOKEN', { id: 'API_TOKEN' }],
  ])('reads %s', (spec, expected) => expect(secretSource(spec)).toEqual(expected));
});

describe('secretVariable', () => {
  it.each([
    ['id=canary,env=CANARY', 'CANARY'],
    ['type=env,id=X,source=Y', 'Y'],
    ['id=npmrc,src=/home/me/.npmrc', undefined],
    ['id=API_TOKEN', 'API_TOKEN'],
  ])('reads the variable of %s', (spec, expected) => expect(secretVariable(secretSource(spec))).toBe(expected));
});
