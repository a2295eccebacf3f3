import { posix } from 'node:path';
import { LOCK_FILE_NAME } from '../model/locks';

export interface ExclusionInputs {
  /** Project root, build context and lock files, workspace-relative. */
  root: string;
  contextDir: string;
  lockFile: string;
  prodLockFile?: string;
  /**
   * The sources of the prod slice's packages (`editable+libs/shared`, `registry+https://...`), relative to the
   * folder of the lock they come from: prod/uv.lock when the service keeps one, else the governing uv.lock.
   */
  prodSliceSources: readonly string[];
}

export interface HashExclusions {
  /** For image keys: lock files, whose slices the keys hold instead. */
  image(path: string): boolean;
  /** For the wheel key: lock files and the manifests of what the wheel's build installs. */
  wheel(path: string): boolean;
}

/**
 * Context-relative paths that keys leave out because a lock slice stands for them: every lock file of the lock's
 * folder and of prod/ (images and wheels), and for the wheel also the pyproject.toml files of the project, its prod manifest, the lock's folder
 * and the workspace members it installs (adding `requests` to a service changes them, never the wheel).
 */
export function hashExclusions(inputs: ExclusionInputs): HashExclusions {
  const toContext = (workspacePath: string) => posix.relative(inputs.contextDir, workspacePath);
  const lockDir = posix.dirname(inputs.lockFile);
  const prodSliceDir = posix.dirname(inputs.prodLockFile ?? inputs.lockFile);
  // Every lock file of the lock's folder and of prod/ (uv.lock, uv-<backend>.lock): each backend's slice stands
  // for its own, and another backend's lock is not what this build installs.
  const lockDirs = new Set([lockDir, posix.dirname(inputs.prodLockFile ?? posix.join(inputs.root, 'prod', 'uv.lock'))].map(toContext));
  const isLockFile = (path: string) =>
    LOCK_FILE_NAME.test(posix.basename(path)) && lockDirs.has(posix.dirname(path) === '.' ? '' : posix.dirname(path));
  const memberDirs = inputs.prodSliceSources
    .filter((source) => /^(editable|virtual|directory)\+/.test(source))
    .map((source) => posix.join(prodSliceDir, source.slice(source.indexOf('+') + 1)));
  const manifestDirs = [inputs.root, posix.join(inputs.root, 'prod'), lockDir, ...memberDirs];
  const manifests = new Set(manifestDirs.map((dir) => toContext(posix.join(posix.normalize(dir), 'pyproject.toml'))));
  return {
    image: isLockFile,
    wheel: (path) => isLockFile(path) || posix.basename(path) === 'uv.lock' || manifests.has(path),
  };
}
