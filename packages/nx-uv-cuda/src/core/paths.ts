import { isAbsolute, posix, sep } from 'node:path';

/**
 * Whether a path relative to some root (a folder's, as `path.relative` or `posix.normalize` give it) leaves
 * that root: `..`, a `../` prefix (or `..` and the platform's separator), or an absolute path. The path is taken
 * as it is: normalize it first.
 */
export function leavesRoot(relativePath: string): boolean {
  return relativePath === '..' || relativePath.startsWith('../') || relativePath.startsWith(`..${sep}`) || isAbsolute(relativePath);
}

/** Folders from `root` up to the workspace root, nearest first ('.' is the workspace root). */
export function ancestorDirs(root: string): string[] {
  const dirs: string[] = [];
  for (let dir = root; ; dir = posix.dirname(dir)) {
    dirs.push(dir);
    if (dir === '.' || dir === '/' || dir === '') break;
  }
  return dirs;
}
