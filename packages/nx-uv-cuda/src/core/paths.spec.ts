import { describe, expect, it } from 'vitest';
import { ancestorDirs, leavesRoot } from './paths';

describe('ancestorDirs', () => {
  it('lists the folder and every folder above it, nearest first, ending at the workspace root', () => {
    expect(ancestorDirs('services/ml/api')).toEqual(['services/ml/api', 'services/ml', 'services', '.']);
    expect(ancestorDirs('libs')).toEqual(['libs', '.']);
    expect(ancestorDirs('.')).toEqual(['.']);
  });
});

describe('leavesRoot', () => {
  it('is true for .., a ../ prefix and an absolute path', () => {
    expect(leavesRoot('..')).toBe(true);
    expect(leavesRoot('../x')).toBe(true);
    expect(leavesRoot('../../a/b')).toBe(true);
    expect(leavesRoot('/etc/passwd')).toBe(true);
  });

  it('is false for paths below the root, the root itself, and names that only start with two dots', () => {
    expect(leavesRoot('')).toBe(false);
    expect(leavesRoot('.')).toBe(false);
    expect(leavesRoot('a/b')).toBe(false);
    expect(leavesRoot('..a')).toBe(false);
    expect(leavesRoot('..hidden/x')).toBe(false);
    expect(leavesRoot('a/../b')).toBe(false);
  });
});
