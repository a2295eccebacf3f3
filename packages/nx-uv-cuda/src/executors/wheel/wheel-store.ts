import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { verifiedWheels, writeWheelDigests } from './wheel-digests';

/**
 * Wheels by wheel key on this machine (in Nx's workspace data folder): two targets whose keys are equal (two
 * services building the same flash-attn against the same torch) share one compile. Each entry keeps the
 * sha256 of its wheels and is checked on every read.
 */
export class LocalWheelStore {
  constructor(private readonly dir: string) {}

  /** The folder of `key`'s entry: its wheels and their digests. */
  folder(key: string): string {
    return join(this.dir, key);
  }

  /** Where the lock of `key` lives while one process looks up or compiles its wheels. */
  lockPath(key: string): string {
    return join(this.dir, '.locks', key);
  }

  /**
   * The wheel files stored under `key`, or none. An entry whose bytes no longer match its digests is removed,
   * and `dropped` says why, so that the caller builds it again.
   */
  get(key: string): { wheels: string[]; dropped?: string } {
    const folder = this.folder(key);
    if (!existsSync(folder)) return { wheels: [] };
    const verified = verifiedWheels(folder);
    if ('wheels' in verified) {
      if (verified.unrecorded) writeWheelDigests(folder, verified.wheels);
      return { wheels: verified.wheels };
    }
    rmSync(folder, { recursive: true, force: true });
    return { wheels: [], dropped: `the local wheel store's entry for wheel key ${key.slice(0, 16)}… was dropped: ${verified.problem}` };
  }

  /** Stores copies of `wheels` and their digests under `key`, atomically: a reader sees all of them or none. */
  put(key: string, wheels: string[]): void {
    mkdirSync(this.dir, { recursive: true });
    const staging = mkdtempSync(join(this.dir, `.${key}.`));
    try {
      const copies = wheels.map((wheel) => join(staging, basename(wheel)));
      wheels.forEach((wheel, index) => copyFileSync(wheel, copies[index]));
      writeWheelDigests(staging, copies);
      if (!existsSync(this.folder(key))) renameSync(staging, this.folder(key));
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
}

/** The registry tag that holds the wheels of a key: a `FROM scratch` image of the .whl files and their digests. */
export function registryWheelReference(registry: string, key: string): string {
  return `${registry}/nx-uv-cuda-wheels:${key}`;
}
