import { describe, expect, it } from 'vitest';
import { fileError, isPluginError, PluginError } from './errors';

describe('PluginError', () => {
  it('carries its kind, message, where and detail, named PluginError', () => {
    const error = new PluginError('lock-slice', 'svc is not in uv.lock', { file: 'uv.lock' }, 'project-not-in-lock');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'PluginError', kind: 'lock-slice', message: 'svc is not in uv.lock' });
    expect(error.where).toEqual({ file: 'uv.lock' });
    expect(error.detail).toBe('project-not-in-lock');
    expect(new PluginError('command', 'docker failed').where).toEqual({});
  });

  it('is told from other errors, by kind when asked', () => {
    const error = new PluginError('options', 'x');
    expect(isPluginError(error)).toBe(true);
    expect(isPluginError(error, 'options')).toBe(true);
    expect(isPluginError(error, 'pyproject')).toBe(false);
    expect(isPluginError(new Error('x'))).toBe(false);
    expect(isPluginError({ kind: 'options', message: 'x' })).toBe(false);
  });
});

describe('fileError', () => {
  it('writes file:line: reason, with where naming both', () => {
    const error = fileError('dockerfile', 'svc/Dockerfile', 3, 'unknown instruction "COPPY"');
    expect(error.message).toBe('svc/Dockerfile:3: unknown instruction "COPPY"');
    expect(error.where).toEqual({ file: 'svc/Dockerfile', line: 3 });
    expect(error.kind).toBe('dockerfile');
  });

  it('writes file: reason without a line', () => {
    const error = fileError('uv-lock', 'uv.lock', undefined, 'no package torch');
    expect(error.message).toBe('uv.lock: no package torch');
    expect(error.where).toEqual({ file: 'uv.lock', line: undefined });
  });
});
