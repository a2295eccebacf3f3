import { describe, expect, it } from 'vitest';
import { IMAGE_COMPONENT_PATTERN, IMAGE_TAG_PATTERN, pinnedReference, repositoryOf } from './image-ref';

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

describe('IMAGE_COMPONENT_PATTERN and IMAGE_TAG_PATTERN', () => {
  const component = new RegExp(`^${IMAGE_COMPONENT_PATTERN}$`);
  const tag = new RegExp(`^${IMAGE_TAG_PATTERN}$`);

  it.each(['ml', 'ml-service', 'a--b', 'my__app', 'v1.2', 'x_y'])('%s is a name component', (name) => expect(component.test(name)).toBe(true));
  it.each(['', 'ML', '-a', 'a-', 'a___b', 'a._b', 'a/b', 'a:b'])('%s is not', (name) => expect(component.test(name)).toBe(false));
  it.each(['prod-cu124', 'v1.2.3', '_x', 'A', 'a'.repeat(128)])('%s is a tag', (name) => expect(tag.test(name)).toBe(true));
  it.each(['', '-x', '.x', 'a/b', 'a'.repeat(129)])('%s is not', (name) => expect(tag.test(name)).toBe(false));
});
