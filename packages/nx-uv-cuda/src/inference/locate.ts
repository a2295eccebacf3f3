import { existsSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { minimatch } from 'minimatch';

/** Folders from `root` up to the workspace root, nearest first ('.' is the workspace root). */
export function ancestorDirs(root: string): string[] {
  const dirs: string[] = [];
  for (let dir = root; ; dir = posix.dirname(dir)) {
    dirs.push(dir);
    if (dir === '.' || dir === '/' || dir === '') break;
  }
  return dirs;
}

/** The uv.lock that governs a project: its own, else the nearest one above it (a uv workspace root's). */
export function findGoverningLock(workspaceRoot: string, root: string): string {
  const lockDir = ancestorDirs(root).find((dir) => existsSync(join(workspaceRoot, dir, 'uv.lock')));
  return posix.join(lockDir ?? root, 'uv.lock');
}

/**
 * The project's Dockerfile: the first glob (relative to the project root) that matches a file, in glob order;
 * several matches of one glob are taken in name order. `<Dockerfile>.dockerignore` files are not Dockerfiles.
 */
export function findDockerfile(workspaceRoot: string, root: string, globs: string[]): string | undefined {
  for (const glob of globs) {
    const dir = posix.dirname(glob);
    const entries = listFiles(join(workspaceRoot, root, dir));
    const match = entries
      .map((name) => posix.join(dir, name))
      .filter((path) => minimatch(path, posix.normalize(glob), { dot: true }) && !path.endsWith('.dockerignore'))
      .sort()[0];
    if (match) return posix.join(root, match);
  }
  return undefined;
}

/** Docker's rule: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`. */
export function findDockerignore(workspaceRoot: string, dockerfile: string, contextDir: string): string | undefined {
  return [`${dockerfile}.dockerignore`, posix.join(contextDir, '.dockerignore')].find((file) =>
    existsSync(join(workspaceRoot, file)),
  );
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}
