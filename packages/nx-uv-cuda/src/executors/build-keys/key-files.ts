import { posix } from 'node:path';

/** The files one backend's keys target writes, workspace-relative. */
export function keyFiles(keysDir: string, backend: string) {
  return {
    wheel: posix.join(keysDir, `${backend}-wheel.json`),
    dev: posix.join(keysDir, `${backend}-dev.json`),
    prod: posix.join(keysDir, `${backend}-prod.json`),
    /** The build args to pass (speed-only ones included); read by the executors, hashed by no target. */
    build: posix.join(keysDir, `${backend}-build.json`),
  };
}

export interface BuildSettings {
  buildArgs: Record<string, string>;
}
