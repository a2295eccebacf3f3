import { posix } from 'node:path';

/** Folders from `root` up to the workspace root, nearest first ('.' is the workspace root). */
export function ancestorDirs(root: string): string[] {
  const dirs: string[] = [];
  for (let dir = root; ; dir = posix.dirname(dir)) {
    dirs.push(dir);
    if (dir === '.' || dir === '/' || dir === '') break;
  }
  return dirs;
}
