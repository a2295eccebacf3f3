import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InferenceCache, type InferenceCacheSettings } from './inference-cache';

const node = { root: 'svc', name: 'svc', targets: {} };
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-cache-'));
  dirs.push(dir);
  return dir;
};
const settings = (overrides: Partial<InferenceCacheSettings> = {}): InferenceCacheSettings => ({
  dir: tempDir(),
  key: 'k',
  enabled: true,
  onWriteError: () => undefined,
  ...overrides,
});

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('InferenceCache', () => {
  it('serves an entry only for the hash it was stored with, and keeps it as the previous inference', () => {
    const cache = new InferenceCache(settings());
    cache.set('svc/pyproject.toml', 'h1', { node });
    expect(cache.get('svc/pyproject.toml', 'h1')).toMatchObject({ node });
    expect(cache.get('svc/pyproject.toml', 'h2')).toBeUndefined();
    expect(cache.previous('svc/pyproject.toml')).toMatchObject({ node });
  });

  it('reads back what it saved, in a new instance', () => {
    const shared = settings();
    const cache = new InferenceCache(shared);
    cache.set('svc/pyproject.toml', 'h1', { node });
    cache.save();
    expect(new InferenceCache(shared).get('svc/pyproject.toml', 'h1')).toMatchObject({ node });
  });

  it('drops entries that are not what it writes, and a file that is not JSON', () => {
    const shared = settings();
    const file = join(shared.dir, 'nx-uv-cuda-k.json');
    writeFileSync(file, JSON.stringify({ good: { hash: 'h', node }, bad: { hash: 3 }, worse: { hash: 'h', node: { root: 1 } } }));
    const cache = new InferenceCache(shared);
    expect(cache.get('good', 'h')).toBeDefined();
    expect(cache.previous('bad')).toBeUndefined();
    expect(cache.previous('worse')).toBeUndefined();
    writeFileSync(file, '{ half');
    expect(new InferenceCache(shared).projects()).toEqual([]);
  });

  it('never throws when it cannot write, and says so once', () => {
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    const onWriteError = vi.fn();
    const cache = new InferenceCache(settings({ dir: join(blocker, 'data'), onWriteError }));
    cache.set('svc/pyproject.toml', 'h1', { node });
    expect(() => cache.save()).not.toThrow();
    cache.set('svc/pyproject.toml', 'h2', { node });
    expect(() => cache.save()).not.toThrow();
    expect(onWriteError).toHaveBeenCalledTimes(1);
    expect(cache.get('svc/pyproject.toml', 'h2')).toBeDefined();
  });

  it('reads and writes nothing when disabled (NX_CACHE_PROJECT_GRAPH=false)', () => {
    const shared = settings();
    writeFileSync(join(shared.dir, 'nx-uv-cuda-k.json'), JSON.stringify({ svc: { hash: 'h', node } }));
    const cache = new InferenceCache({ ...shared, enabled: false });
    expect(cache.get('svc', 'h')).toBeUndefined();
    cache.set('other', 'h', { node });
    cache.save();
    expect(Object.keys(JSON.parse(readFileSync(join(shared.dir, 'nx-uv-cuda-k.json'), 'utf8')))).toEqual(['svc']);
    expect(cache.projects()).toHaveLength(1);
  });

  it('forgets files that are gone', () => {
    const cache = new InferenceCache(settings());
    cache.set('a', 'h', { node });
    cache.set('b', 'h', { node });
    cache.retainOnly(['b']);
    expect(cache.previous('a')).toBeUndefined();
    expect(cache.previous('b')).toBeDefined();
  });
});
