import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

const READ_BLOCK_BYTES = 1 << 20;

/** The sha256 of a file's bytes (hex), read a block at a time: a file (a wheel, a model in a context) can be gigabytes. */
export function sha256Of(file: string): string {
  const hash = createHash('sha256');
  const block = Buffer.alloc(READ_BLOCK_BYTES);
  const fd = openSync(file, 'r');
  try {
    for (let read = readSync(fd, block); read > 0; read = readSync(fd, block)) hash.update(block.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
