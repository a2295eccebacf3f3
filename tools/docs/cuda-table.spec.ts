import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUDA_VERSIONS } from '../../packages/nx-uv-cuda/src/model/backends';

const ROOT = join(__dirname, '..', '..');

/** The `cuXYZ → X.Y.Z` pairs a document lists. */
function tableIn(file: string): Record<string, string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/\s+/g, ' ');
  return Object.fromEntries([...text.matchAll(/\b(cu\d{3}) → (\d+\.\d+\.\d+)/g)].map(([, backend, version]) => [backend, version]));
}

describe('the CUDA version table', () => {
  it.each(['README.md', 'docs/reference.md'])('%s lists exactly the table the plugin uses', (file) => {
    expect(tableIn(file)).toEqual(CUDA_VERSIONS);
  });
});
