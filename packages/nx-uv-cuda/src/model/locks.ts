import { posix } from 'node:path';
import { exists, type FileSource } from '../core/file-source';

/** `uv.lock`, or one backend's `uv-<backend>.lock` (the recipe's per-backend locks, chosen with `LOCK_FILE`). */
export const LOCK_FILE_NAME = /^uv(-[A-Za-z0-9._+-]+)?\.lock$/;

/** The lock files one backend reads: its own `uv-<backend>.lock` where it exists, else the universal ones. */
export interface BackendLocks {
  lockFile: string;
  prodLockFile?: string;
  /** Set when `lockFile` is the backend's own file: its name is what `LOCK_FILE` gets. */
  own?: string;
}

export function backendLockName(backend: string): string {
  return `uv-${backend}.lock`;
}

/**
 * Per-backend lock files next to the governing uv.lock and in the service's prod/ folder; a backend without its
 * own file reads the universal lock (uv's way: one lock with conflicting extras, sliced per backend).
 */
export function backendLocks(
  files: FileSource,
  universal: { lockFile: string; prodLockFile?: string; root: string },
  backend: string,
): BackendLocks {
  const name = backendLockName(backend);
  const own = posix.join(posix.dirname(universal.lockFile), name);
  const ownProd = posix.join(universal.root, 'prod', name);
  const hasOwn = exists(files, own);
  return {
    lockFile: hasOwn ? own : universal.lockFile,
    prodLockFile: exists(files, ownProd) ? ownProd : universal.prodLockFile,
    ...(hasOwn && { own: name }),
  };
}
