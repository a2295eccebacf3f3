import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Of } from './hash';

const root = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-hash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sha256Of', () => {
  it('is the sha256 of the whole file, also across read blocks and for an empty file', () => {
    for (const [name, bytes] of [
      ['empty', Buffer.alloc(0)],
      ['small', Buffer.from('hello\n')],
      ['blocks', Buffer.alloc((1 << 20) * 2 + 17, 7)],
    ] as const) {
      const file = join(root, name);
      writeFileSync(file, bytes);
      expect(sha256Of(file)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});
