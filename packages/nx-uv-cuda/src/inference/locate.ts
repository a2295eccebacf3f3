import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { minimatch } from 'minimatch';
import { ancestorDirs } from './paths';

/** The uv.lock that governs a project: its own, else the nearest one above it (a uv workspace root's). */
export function findGoverningLock(workspaceRoot: string, root: string): string {
  const lockDir = ancestorDirs(root).find((dir) => existsSync(join(workspaceRoot, dir, 'uv.lock')));
  return posix.join(lockDir ?? root, 'uv.lock');
}

/**
 * The project's Dockerfile: the first glob (relative to the project root) that matches a file, in glob order;
 * several matches of one glob are taken in path order. `<Dockerfile>.dockerignore` files are not Dockerfiles.
 */
export function findDockerfile(workspaceRoot: string, root: string, globs: string[]): string | undefined {
  for (const glob of globs) {
    const pattern = posix.normalize(glob);
    const match = candidateFiles(join(workspaceRoot, root), pattern)
      .filter((path) => minimatch(path, pattern, { dot: true }) && !path.endsWith('.dockerignore'))
      .sort()[0];
    if (match) return posix.join(root, match);
  }
  return undefined;
}

/** Folders a Dockerfile glob never means, and that can be huge. */
const NEVER_SEARCHED = new Set(['node_modules', '.git', '.nx', 'dist', '.venv', '__pycache__']);

/** Files the glob could match: those in its literal folder, and below it when the folder part has wildcards. */
function candidateFiles(projectDir: string, pattern: string): string[] {
  const segments = pattern.split('/');
  const firstWildcard = segments.findIndex((segment) => /[*?[{]/.test(segment));
  const folderEnd = firstWildcard === -1 ? segments.length - 1 : Math.min(firstWildcard, segments.length - 1);
  const folder = segments.slice(0, folderEnd).join('/');
  return listFiles(projectDir, folder, firstWildcard !== -1 && firstWildcard < segments.length - 1);
}

function listFiles(projectDir: string, folder: string, recursive: boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(join(projectDir, folder));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = folder ? posix.join(folder, name) : name;
    const kind = kindOf(join(projectDir, path));
    if (kind === 'file') return [path];
    return kind === 'folder' && recursive && !NEVER_SEARCHED.has(name) ? listFiles(projectDir, path, true) : [];
  });
}

/** Follows symbolic links: a linked Dockerfile is a Dockerfile. */
function kindOf(path: string): 'file' | 'folder' | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : undefined;
  } catch {
    return undefined;
  }
}

/** Docker's rule: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`. */
export function findDockerignore(workspaceRoot: string, dockerfile: string, contextDir: string): string | undefined {
  return [`${dockerfile}.dockerignore`, posix.join(contextDir, '.dockerignore')].find((file) =>
    existsSync(join(workspaceRoot, file)),
  );
}
