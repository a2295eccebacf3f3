import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zipOf } from './__fixtures__/zip';
import { DIGESTS_FILE, verifiedWheels, wheelProblem } from './wheel-digests';
import { LocalWheelStore } from './wheel-store';

const root = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-wheel-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const KEY = 'a'.repeat(64);
const NAME = 'flash_attn-2.7.4-cp312-cp312-linux_x86_64.whl';

let count = 0;
function compiled(content = 'flash_attn/__init__.py'): string {
  const dir = join(root, `compiled-${count++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, NAME), zipOf('flash_attn/__init__.py', content));
  return join(dir, NAME);
}

function freshStore(): LocalWheelStore {
  return new LocalWheelStore(join(root, `store-${count++}`));
}

describe('wheelProblem', () => {
  it('takes a whole zip archive, and names a file that is not one or is cut short', () => {
    const wheel = compiled();
    expect(wheelProblem(wheel)).toBeUndefined();
    writeFileSync(wheel, 'not a zip');
    expect(wheelProblem(wheel)).toBe(`${NAME} is not a zip archive`);
    writeFileSync(wheel, zipOf('a.py', 'x'.repeat(200)).subarray(0, 100));
    expect(wheelProblem(wheel)).toBe(`${NAME} is cut short (no zip directory at its end)`);
  });
});

describe('LocalWheelStore', () => {
  it('stores wheels with their digests and gives them back checked', () => {
    const store = freshStore();
    store.put(KEY, [compiled()]);
    expect(readFileSync(join(store.folder(KEY), DIGESTS_FILE), 'utf8')).toMatch(new RegExp(`^[0-9a-f]{64}  ${NAME.replace(/\./g, '\\.')}\\n$`));
    expect(store.get(KEY)).toEqual({ wheels: [join(store.folder(KEY), NAME)] });
  });

  it('drops an entry whose bytes were changed, saying which wheel and key', () => {
    const store = freshStore();
    store.put(KEY, [compiled()]);
    writeFileSync(join(store.folder(KEY), NAME), zipOf('flash_attn/__init__.py', 'tampered'));
    const result = store.get(KEY);
    expect(result.wheels).toEqual([]);
    expect(result.dropped).toContain(`wheel key ${KEY.slice(0, 16)}`);
    expect(result.dropped).toContain(`${NAME} does not match its digest`);
    expect(existsSync(store.folder(KEY))).toBe(false);
    expect(store.get(KEY)).toEqual({ wheels: [] });
  });

  it('drops an entry with a wheel its digests do not list, or one missing', () => {
    const store = freshStore();
    store.put(KEY, [compiled()]);
    writeFileSync(join(store.folder(KEY), 'extra-1.0-py3-none-any.whl'), zipOf('x.py', ''));
    expect(store.get(KEY).dropped).toMatch(/are not those SHA256SUMS lists/);
    store.put(KEY, [compiled()]);
    rmSync(join(store.folder(KEY), NAME));
    expect(store.get(KEY).dropped).toMatch(/holds no \.whl file/);
  });

  it('adopts an entry of nx-uv-cuda 0.1 (no digests) when its wheels are whole zips, and writes their digests', () => {
    const store = freshStore();
    mkdirSync(store.folder(KEY), { recursive: true });
    writeFileSync(join(store.folder(KEY), NAME), zipOf('flash_attn/__init__.py', 'old'));
    expect(store.get(KEY)).toEqual({ wheels: [join(store.folder(KEY), NAME)] });
    expect(existsSync(join(store.folder(KEY), DIGESTS_FILE))).toBe(true);
  });

  it('drops an entry of 0.1 whose wheel is not a zip', () => {
    const store = freshStore();
    mkdirSync(store.folder(KEY), { recursive: true });
    writeFileSync(join(store.folder(KEY), NAME), 'garbage');
    expect(store.get(KEY).dropped).toContain(`${NAME} is not a zip archive`);
  });
});

describe('verifiedWheels', () => {
  it('reports a digest file that is not sha256sum lines', () => {
    const dir = join(root, `pulled-${count++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, NAME), zipOf('a.py', ''));
    writeFileSync(join(dir, DIGESTS_FILE), 'not a digest line\n');
    expect(verifiedWheels(dir)).toEqual({ problem: 'SHA256SUMS has a line that is not "<sha256>  <name>.whl": "not a digest line"' });
  });
});
