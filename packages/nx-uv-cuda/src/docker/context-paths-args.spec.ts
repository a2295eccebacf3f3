import { describe, expect, it } from 'vitest';
import { contextInputs, contextSourcePaths } from './context-inputs';
import { parseDockerfile } from './parse-dockerfile';

const model = parseDockerfile(
  ['FROM python:3.12 AS deps', 'ARG LOCK_FILE=uv.lock', 'ARG LIB', 'COPY ${LOCK_FILE} ./uv.lock', 'COPY libs/${LIB}/src /src', ''].join('\n'),
  'Dockerfile',
);

describe('source paths that use ARGs', () => {
  it('are widened to the folder before the variable when the values are not known', () => {
    expect(contextSourcePaths(model.stages)).toEqual(['', 'libs']);
  });

  it('are read as they expand when every variable has a value', () => {
    expect(contextSourcePaths(model.stages, { LOCK_FILE: 'uv-cu128.lock', LIB: 'shared' })).toEqual(['uv-cu128.lock', 'libs/shared/src']);
    expect(contextSourcePaths(model.stages, { LOCK_FILE: 'uv.lock' })).toEqual(['uv.lock', 'libs']);
  });

  it('keep Nx inputs to the chosen lock, not the whole context', () => {
    const { inputs } = contextInputs(model.stages, { contextRoot: 'services/ml', argValues: { LOCK_FILE: 'uv-cu128.lock', LIB: 'a' } });
    expect(inputs).toContain('{workspaceRoot}/services/ml/uv-cu128.lock');
    expect(inputs).not.toContain('{workspaceRoot}/services/ml/**/*');
  });
});
