import { posix } from 'node:path';
import { isPluginError } from '../../core/errors';
import { serializeLockSlice, sliceLock, type LockSliceRequest } from '../../python/lock-slice';
import { parsePyproject } from '../../python/pyproject';
import { parseUvLock } from '../../python/uv-lock';
import type { LockSliceOptions } from './schema';

export interface SliceFiles {
  dev: string;
  prod: string;
}

/**
 * The dev slice (with dev groups) of the governing lock, and the prod slice: of `prod/uv.lock` when the
 * service keeps one (its root package is named by `prod/pyproject.toml`), else of the governing lock without groups.
 * `read` takes a workspace-relative path; keeping I/O out makes this a pure function of the files' text.
 */
export function computeSlices(options: LockSliceOptions, read: (file: string) => string): SliceFiles {
  const lock = parseUvLock(read(options.lockFile), options.lockFile);
  const dev = sliceLock(lock, {
    project: options.project,
    backend: options.backend,
    devGroups: 'all',
    lockFile: options.lockFile,
  });
  // A backend that is a dependency group is installed with it: the prod slice takes that group, and only it.
  const prodGroups = options.backendGroup ? [options.backendGroup] : 'none';
  if (!options.prodLockFile) {
    const prod = sliceLock(lock, { project: options.project, backend: options.backend, devGroups: prodGroups, lockFile: options.lockFile });
    return { dev: serializeLockSlice(dev), prod: serializeLockSlice(prod) };
  }
  const prodManifest = posix.join(posix.dirname(options.prodLockFile), 'pyproject.toml');
  const prodProject = parsePyproject(read(prodManifest), prodManifest).name ?? options.project;
  const prodLock = parseUvLock(read(options.prodLockFile), options.prodLockFile);
  const prod = sliceWithOptionalBackend(prodLock, {
    project: prodProject,
    backend: options.backend,
    devGroups: prodGroups,
    lockFile: options.prodLockFile,
  });
  return { dev: serializeLockSlice(dev), prod: serializeLockSlice(prod) };
}

/** A minimal production lock often pins one backend and has no backend extras: then the whole lock applies. */
function sliceWithOptionalBackend(lock: ReturnType<typeof parseUvLock>, request: LockSliceRequest) {
  try {
    return sliceLock(lock, request);
  } catch (error) {
    if (isPluginError(error, 'lock-slice') && error.detail === 'extra-not-in-lock') {
      return sliceLock(lock, { ...request, backend: undefined });
    }
    throw error;
  }
}

/**
 * Packages a lock pins that the dev slice (the backend plus every group) does not reach: in a backend's own
 * `uv-<backend>.lock` they belong to another backend or are stale (uv locks for the whole pyproject it was run on).
 */
export function unreachedPackages(lockText: string, lockFile: string, devSlice: string): string[] {
  const named = (pkg: { name: string; version?: string }) => (pkg.version ? `${pkg.name} ${pkg.version}` : pkg.name);
  const slice = JSON.parse(devSlice) as { packages: Array<{ name: string; version?: string }> };
  const reached = new Set(slice.packages.map(named));
  const local = new Set(['editable', 'virtual', 'directory']);
  const pinned = parseUvLock(lockText, lockFile).packages.filter(
    (pkg) => !Object.keys(pkg.source).some((kind) => local.has(kind)),
  );
  return [...new Set(pinned.map(named).filter((name) => !reached.has(name)))].sort();
}
