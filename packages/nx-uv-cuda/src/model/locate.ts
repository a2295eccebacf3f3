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

/** Files named like Dockerfiles that are not: ignore files, docs, scripts, backups. */
const NOT_A_DOCKERFILE = /\.(dockerignore|md|rst|txt|sh|ps1|py|ya?ml|json|toml|lock|orig|bak|swp|j2|tmpl|template)$/i;

/**
 * The project's Dockerfiles: every file the globs (relative to the project root) match, in glob order, then path
 * order within a glob. A folder holding another project's pyproject.toml is that project's: nothing below it counts.
 */
export function findDockerfiles(files: FileSource, root: string, globs: readonly string[]): string[] {
  const listed = new Map<string, string[]>();
  const list = (dir: string) => {
    let names = listed.get(dir);
    if (!names) listed.set(dir, (names = files.list(posix.join(root, dir))));
    return names;
  };
  const found = new Set<string>();
  for (const glob of globs) {
    const pattern = posix.normalize(glob);
    const matches = candidateFiles(files, root, pattern, list)
      .filter((path) => minimatch(path, pattern, { dot: true }) && !NOT_A_DOCKERFILE.test(path))
      .filter((path) => !insideAnotherProject(files, root, path))
      .sort(compareCodeUnits);
    for (const match of matches) found.add(posix.join(root, match));
  }
  return [...found];
}

/** Folders a Dockerfile glob never means, and that can be huge. */
const NEVER_SEARCHED = new Set(['node_modules', '.git', '.nx', 'dist', '.venv', '__pycache__']);

/** Files the glob could match: those in its literal folder, and below it when the folder part has wildcards. */
function candidateFiles(files: FileSource, root: string, pattern: string, list: (dir: string) => string[]): string[] {
  const segments = pattern.split('/');
  const firstWildcard = segments.findIndex((segment) => /[*?[{]/.test(segment));
  const folderEnd = firstWildcard === -1 ? segments.length - 1 : Math.min(firstWildcard, segments.length - 1);
  const folder = segments.slice(0, folderEnd).join('/');
  const inFolders = firstWildcard !== -1 && firstWildcard < segments.length - 1;
  const depth = !inFolders ? 0 : segments.includes('**') ? Infinity : segments.length - 1 - folderEnd;
  return listFiles(files, root, folder, depth, list);
}

/** Project-relative paths of the files in `folder`, and in its subfolders `depth` levels down. */
function listFiles(files: FileSource, root: string, folder: string, depth: number, list: (dir: string) => string[]): string[] {
  return list(folder).flatMap((name) => {
    const path = folder ? posix.join(folder, name) : name;
    const kind = files.kind(posix.join(root, path));
    if (kind === 'file') return [path];
    return kind === 'folder' && depth > 0 && !NEVER_SEARCHED.has(name) ? listFiles(files, root, path, depth - 1, list) : [];
  });
}

function insideAnotherProject(files: FileSource, root: string, path: string): boolean {
  const folders = path.split('/').slice(0, -1);
  return folders.some((_, index) => {
    const folder = folders.slice(0, index + 1).join('/');
    return folder !== 'prod' && files.kind(posix.join(root, folder, 'pyproject.toml')) === 'file';
  });
}

/** Docker's rule: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`. */
export function findDockerignore(files: FileSource, dockerfile: string, contextDir: string): string | undefined {
  return [`${dockerfile}.dockerignore`, posix.join(contextDir, '.dockerignore')].find((file) => exists(files, file));
}
