import { describe, expect, it } from 'vitest';
import type { FileSource } from '../core/file-source';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { resolveBackends } from './backends';
import { dockerfileRules } from './build-args';
import { backendLockName, backendLocks, LOCK_FILE_NAME } from './locks';

function filesOf(...paths: string[]): FileSource {
  return { read: () => '', kind: (path) => (paths.includes(path) ? 'file' : undefined), list: () => [] };
}

const universal = { lockFile: 'services/ml/uv.lock', prodLockFile: 'services/ml/prod/uv.lock', root: 'services/ml' };

describe('backendLocks', () => {
  it("takes the backend's own uv-<backend>.lock beside uv.lock and in prod/", () => {
    const files = filesOf('services/ml/uv-cu128.lock', 'services/ml/prod/uv-cu128.lock');
    expect(backendLocks(files, universal, 'cu128')).toEqual({
      lockFile: 'services/ml/uv-cu128.lock',
      prodLockFile: 'services/ml/prod/uv-cu128.lock',
      own: 'uv-cu128.lock',
    });
  });

  it('falls back to the universal locks, each on its own', () => {
    expect(backendLocks(filesOf(), universal, 'cu124')).toEqual({ lockFile: 'services/ml/uv.lock', prodLockFile: 'services/ml/prod/uv.lock' });
    expect(backendLocks(filesOf('services/ml/prod/uv-cu124.lock'), universal, 'cu124')).toEqual({
      lockFile: 'services/ml/uv.lock',
      prodLockFile: 'services/ml/prod/uv-cu124.lock',
    });
  });

  it('names lock files one way', () => {
    expect(backendLockName('rocm6.2')).toBe('uv-rocm6.2.lock');
    expect(['uv.lock', 'uv-cu128.lock', 'uv-rocm6.2.lock'].every((name) => LOCK_FILE_NAME.test(name))).toBe(true);
    expect(['uv.lock.bak', 'my-uv.lock', 'uv.vllm.lock.txt'].some((name) => LOCK_FILE_NAME.test(name))).toBe(false);
  });
});

describe('the LOCK_FILE rule', () => {
  const [cu128] = resolveBackends({ pyprojectFile: 'p/pyproject.toml', extras: ['cu128'], groups: [], routes: { extras: {}, groups: {} } });
  const model = parseDockerfile('FROM python:3.12 AS deps\nARG LOCK_FILE=uv.lock\nCOPY ${LOCK_FILE} ./uv.lock\n', 'Dockerfile');

  it("passes the backend's own lock file where the Dockerfile declares LOCK_FILE", () => {
    expect(dockerfileRules(model, cu128, 'uv-cu128.lock')).toContainEqual({
      name: 'LOCK_FILE',
      value: 'uv-cu128.lock',
      rule: "the backend's own lock file",
      line: 2,
    });
  });

  it('passes nothing without an own lock file, or without the ARG', () => {
    expect(dockerfileRules(model, cu128).some((rule) => rule.name === 'LOCK_FILE')).toBe(false);
    const without = parseDockerfile('FROM python:3.12 AS deps\nCOPY uv.lock ./\n', 'Dockerfile');
    expect(dockerfileRules(without, cu128, 'uv-cu128.lock')).toEqual([]);
  });
});
