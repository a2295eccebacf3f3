import { describe, expect, it } from 'vitest';
import { pinnedReference, repositoryOf } from './image-ref';

const DIGEST = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

describe('repositoryOf', () => {
  it.each([
    ['127.0.0.1:5000/ml/svc:prod-cu124', '127.0.0.1:5000/ml/svc'],
    ['127.0.0.1:5000/ml/svc', '127.0.0.1:5000/ml/svc'],
    ['localhost:5000/svc', 'localhost:5000/svc'],
    ['svc:prod-cu124', 'svc'],
    ['svc', 'svc'],
    ['nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04', 'nvidia/cuda'],
    [`127.0.0.1:5000/ml/svc@${DIGEST}`, '127.0.0.1:5000/ml/svc'],
    [`127.0.0.1:5000/ml/svc:prod-cu124@${DIGEST}`, '127.0.0.1:5000/ml/svc'],
  ])('%s → %s', (reference, repository) => {
    expect(repositoryOf(reference)).toBe(repository);
  });
});

describe('pinnedReference', () => {
  it('replaces the tag with the digest', () => {
    expect(pinnedReference('127.0.0.1:5000/ml/svc:prod-cu124', DIGEST)).toBe(`127.0.0.1:5000/ml/svc@${DIGEST}`);
    expect(pinnedReference('registry.example.com:443/svc', DIGEST)).toBe(`registry.example.com:443/svc@${DIGEST}`);
  });
});
