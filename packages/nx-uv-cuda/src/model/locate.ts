import { posix } from 'node:path';
import { minimatch } from 'minimatch';
import { compareCodeUnits } from '../core/compare';
import { exists, type FileSource } from '../core/file-source';
import { ancestorDirs } from '../core/paths';

/** The uv.lock that governs a project: its own, else the nearest one above it (a uv workspace root's). */
export function findGoverningLock(files: FileSource, root: string): string {
  const lockDir = ancestorDirs(root).find((dir) => files.kind(posix.join(dir, 'uv.lock')) === 'file');
  return posix.join(lockDir ?? root, 'uv.lock');
}

/**
 * The project's Dockerfile: the first glob (relative to the project root) that matches a file, in glob order;
 * several matches of one glob are taken in path order. `<Dockerfile>.dockerignore` files are not Dockerfiles.
 */
export function findDockerfile(files: FileSource, root: string, globs: readonly string[]): string | undefined {
  for (const glob of globs) {
    const pattern = posix.normalize(glob);
    const match = candidateFiles(files, root, pattern)
      .filter((path) => minimatch(path, pattern, { dot: true }) && !path.endsWith('.dockerignore'))
      .sort(compareCodeUnits)[0];
    if (match) return posix.join(root, match);
  }
  return undefined;
}

/** Folders a Dockerfile glob never means, and that can be huge. */
const NEVER_SEARCHED = new Set(['node_modules', '.git', '.nx', 'dist', '.venv', '__pycache__']);

/** Files the glob could match: those in its literal folder, and below it when the folder part has wildcards. */
function candidateFiles(files: FileSource, root: string, pattern: string): string[] {
  const segments = pattern.split('/');
  const firstWildcard = segments.findIndex((segment) => /[*?[{]/.test(segment));
  const folderEnd = firstWildcard === -1 ? segments.length - 1 : Math.min(firstWildcard, segments.length - 1);
  const folder = segments.slice(0, folderEnd).join('/');
  return listFiles(files, root, folder, firstWildcard !== -1 && firstWildcard < segments.length - 1);
}

/** Project-relative paths of the files in `folder` (and below it when `recursive`). */
function listFiles(files: FileSource, root: string, folder: string, recursive: boolean): string[] {
  return files.list(posix.join(root, folder)).flatMap((name) => {
    const path = folder ? posix.join(folder, name) : name;
    const kind = files.kind(posix.join(root, path));
    if (kind === 'file') return [path];
    return kind === 'folder' && recursive && !NEVER_SEARCHED.has(name) ? listFiles(files, root, path, true) : [];
  });
}

/** Docker's rule: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`. */
export function findDockerignore(files: FileSource, dockerfile: string, contextDir: string): string | undefined {
  return [`${dockerfile}.dockerignore`, posix.join(contextDir, '.dockerignore')].find((file) => exists(files, file));
}
