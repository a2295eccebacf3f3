import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Read access to a workspace, by workspace-relative POSIX paths ('.' is the root): the disk for inference and
 * executors, an Nx `Tree` for generators, so that both apply exactly the same rules to what they read.
 */
export interface FileSource {
  /** The file's text, or undefined when there is no such file. */
  read(path: string): string | undefined;
  /** What is at `path`, following symbolic links (a linked Dockerfile is a Dockerfile). */
  kind(path: string): 'file' | 'folder' | undefined;
  /** The names inside a folder; none when it is not a folder. */
  list(dir: string): string[];
}

export function exists(files: FileSource, path: string): boolean {
  return files.kind(path) !== undefined;
}

export function diskFiles(workspaceRoot: string): FileSource {
  const absolute = (path: string) => join(workspaceRoot, path);
  return {
    read(path) {
      try {
        return readFileSync(absolute(path), 'utf8');
      } catch {
        return undefined;
      }
    },
    kind(path) {
      try {
        const stat = statSync(absolute(path));
        return stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : undefined;
      } catch {
        return undefined;
      }
    },
    list(dir) {
      try {
        return readdirSync(absolute(dir));
      } catch {
        return [];
      }
    },
  };
}

/** The part of Nx's `Tree` that reading needs (structural, so this layer does not load @nx/devkit). */
export interface TreeLike {
  read(path: string, encoding: 'utf-8'): string | null;
  exists(path: string): boolean;
  isFile(path: string): boolean;
  children(path: string): string[];
}

export function treeFiles(tree: TreeLike): FileSource {
  // A Tree says the workspace root ('.' or '') does not exist, though it lists its children.
  const isRoot = (path: string) => path === '.' || path === '';
  return {
    read: (path) => (tree.isFile(path) ? (tree.read(path, 'utf-8') ?? undefined) : undefined),
    kind: (path) => (isRoot(path) ? 'folder' : !tree.exists(path) ? undefined : tree.isFile(path) ? 'file' : 'folder'),
    list: (dir) => (isRoot(dir) ? tree.children('') : tree.exists(dir) && !tree.isFile(dir) ? tree.children(dir) : []),
  };
}
