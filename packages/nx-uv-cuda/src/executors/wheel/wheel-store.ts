import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Wheels by wheel key on this machine (in Nx's workspace data folder): two targets whose keys are equal (two
 * services building the same flash-attn against the same torch) share one compile.
 */
export class LocalWheelStore {
  constructor(private readonly dir: string) {}

  /** The wheel files stored under `key`, or none. */
  get(key: string): string[] {
    const folder = join(this.dir, key);
    return existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.whl')).map((name) => join(folder, name)) : [];
  }

  /** Stores copies of `wheels` under `key`, atomically: a reader sees all of them or none. */
  put(key: string, wheels: string[]): void {
    mkdirSync(this.dir, { recursive: true });
    const staging = mkdtempSync(join(this.dir, `.${key}.`));
    try {
      for (const wheel of wheels) copyFileSync(wheel, join(staging, basename(wheel)));
      if (!existsSync(join(this.dir, key))) renameSync(staging, join(this.dir, key));
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
}

/** The registry tag that holds the wheels of a key: a `FROM scratch` image of just the .whl files. */
export function registryWheelReference(registry: string, key: string): string {
  return `${registry}/nx-uv-cuda-wheels:${key}`;
}
