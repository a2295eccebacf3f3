import { describe, expect, it } from 'vitest';
import { ancestorDirs } from './paths';

describe('ancestorDirs', () => {
  it('lists the folder and every folder above it, nearest first, ending at the workspace root', () => {
    expect(ancestorDirs('services/ml/api')).toEqual(['services/ml/api', 'services/ml', 'services', '.']);
    expect(ancestorDirs('libs')).toEqual(['libs', '.']);
    expect(ancestorDirs('.')).toEqual(['.']);
  });
});
