import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDockerfiles, findDockerignore, findGoverningLock } from '../model/locate';
import { diskFiles, exists, treeFiles, type FileSource } from './file-source';

/** One layout, written to the disk and to a Tree. */
const LAYOUT: Record<string, string> = {
  'uv.lock': 'version = 1\n',
  'services/ml/pyproject.toml': '[project]\nname = "ml"\n',
  'services/ml/docker/Dockerfile': 'FROM python:3.12 AS dev\n',
  'services/ml/docker/Dockerfile.cu128': 'FROM python:3.12 AS dev\n',
  'services/ml/docker/Dockerfile.dockerignore': 'tests\n',
  'services/ml/Dockerfile': 'FROM alpine\n',
  'services/vision/uv.lock': 'version = 1\n',
  'services/vision/pyproject.toml': '[project]\nname = "vision"\n',
  'services/vision/.dockerignore': '.venv\n',
  'services/vision/images/cuda/Dockerfile': 'FROM alpine\n',
  'shared/Dockerfile.recipe': 'FROM python:3.12 AS prod\n',
  'libs/shared/pyproject.toml': '[project]\nname = "shared"\n',
};

let workspace: string;
let disk: FileSource;
let tree: Tree;
let inTree: FileSource;

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-file-source-'));
  tree = createTreeWithEmptyWorkspace();
  for (const [file, text] of Object.entries(LAYOUT)) {
    mkdirSync(dirname(join(workspace, file)), { recursive: true });
    writeFileSync(join(workspace, file), text);
    tree.write(file, text);
  }
  // A Dockerfile that is a link to a shared recipe, a linked folder and a dangling link (disk only).
  mkdirSync(join(workspace, 'services/linked'), { recursive: true });
  symlinkSync(join(workspace, 'shared/Dockerfile.recipe'), join(workspace, 'services/linked/Dockerfile'));
  symlinkSync(join(workspace, 'libs/shared'), join(workspace, 'services/linked/shared-lib'));
  symlinkSync(join(workspace, 'does-not-exist'), join(workspace, 'services/linked/dangling'));
  disk = diskFiles(workspace);
  inTree = treeFiles(tree);
});

afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
});

describe('diskFiles', () => {
  it('reads files by workspace-relative path, and nothing for a folder or a missing file', () => {
    expect(disk.read('services/ml/pyproject.toml')).toBe('[project]\nname = "ml"\n');
    expect(disk.read('services/ml')).toBeUndefined();
    expect(disk.read('services/ml/missing.toml')).toBeUndefined();
  });

  it('tells files from folders, following symbolic links', () => {
    expect(disk.kind('uv.lock')).toBe('file');
    expect(disk.kind('services')).toBe('folder');
    expect(disk.kind('.')).toBe('folder');
    expect(disk.kind('services/linked/Dockerfile')).toBe('file');
    expect(disk.kind('services/linked/shared-lib')).toBe('folder');
    expect(disk.kind('services/linked/dangling')).toBeUndefined();
    expect(disk.kind('nope')).toBeUndefined();
    expect(exists(disk, 'services/linked/Dockerfile')).toBe(true);
    expect(exists(disk, 'services/linked/dangling')).toBe(false);
  });

  it('reads a linked file as the file it points to', () => {
    expect(disk.read('services/linked/Dockerfile')).toBe('FROM python:3.12 AS prod\n');
    expect(disk.read('services/linked/shared-lib/pyproject.toml')).toBe('[project]\nname = "shared"\n');
  });

  it('lists the names in a folder; none for a file or a missing folder', () => {
    expect(disk.list('services/ml/docker').sort()).toEqual(['Dockerfile', 'Dockerfile.cu128', 'Dockerfile.dockerignore']);
    expect(disk.list('services/linked').sort()).toEqual(['Dockerfile', 'dangling', 'shared-lib']);
    expect(disk.list('uv.lock')).toEqual([]);
    expect(disk.list('nope')).toEqual([]);
  });
});

describe('treeFiles', () => {
  it('reads files, and nothing for a folder or a missing file', () => {
    expect(inTree.read('services/ml/pyproject.toml')).toBe('[project]\nname = "ml"\n');
    expect(inTree.read('services/ml')).toBeUndefined();
    expect(inTree.read('services/ml/missing.toml')).toBeUndefined();
  });

  it('tells files from the folders that hold them', () => {
    expect(inTree.kind('uv.lock')).toBe('file');
    expect(inTree.kind('services')).toBe('folder');
    expect(inTree.kind('services/ml/docker')).toBe('folder');
    expect(inTree.kind('nope')).toBeUndefined();
  });

  // Nx's Tree answers exists('.') with false; the root must still be a folder that lists its files.
  it("takes '.' as the workspace root folder, as diskFiles does", () => {
    expect(disk.kind('.')).toBe('folder');
    expect(inTree.kind('.')).toBe('folder');
    expect(inTree.list('.')).toEqual(expect.arrayContaining(['uv.lock', 'services', 'libs', 'nx.json']));
  });

  it('lists the names in a folder; none for a file or a missing folder', () => {
    expect(inTree.list('services/ml/docker').sort()).toEqual(['Dockerfile', 'Dockerfile.cu128', 'Dockerfile.dockerignore']);
    expect(inTree.list('services').sort()).toEqual(['ml', 'vision']);
    expect(inTree.list('uv.lock')).toEqual([]);
    expect(inTree.list('nope')).toEqual([]);
  });

  it('sees a file written after it was made, and not one deleted', () => {
    tree.write('services/ml/docker/Dockerfile.late', 'FROM alpine\n');
    expect(inTree.kind('services/ml/docker/Dockerfile.late')).toBe('file');
    tree.delete('services/ml/docker/Dockerfile.late');
    expect(inTree.kind('services/ml/docker/Dockerfile.late')).toBeUndefined();
    expect(inTree.read('services/ml/docker/Dockerfile.late')).toBeUndefined();
  });
});

describe('the same rules through the disk and through a Tree', () => {
  const DEFAULT_GLOBS = ['docker/Dockerfile*', 'Dockerfile'];

  it.each([
    ['services/ml', DEFAULT_GLOBS, ['services/ml/docker/Dockerfile', 'services/ml/docker/Dockerfile.cu128', 'services/ml/Dockerfile']],
    ['services/ml', ['docker/Dockerfile.*'], ['services/ml/docker/Dockerfile.cu128']],
    ['services/ml', ['Dockerfile', 'docker/Dockerfile*'], ['services/ml/Dockerfile', 'services/ml/docker/Dockerfile', 'services/ml/docker/Dockerfile.cu128']],
    ['services/vision', ['images/*/Dockerfile'], ['services/vision/images/cuda/Dockerfile']],
    ['services/vision', ['**/Dockerfile'], ['services/vision/images/cuda/Dockerfile']],
    ['services/vision', DEFAULT_GLOBS, []],
    ['libs/shared', DEFAULT_GLOBS, []],
    ['.', ['shared/Dockerfile.*'], ['shared/Dockerfile.recipe']],
  ])('findDockerfiles(%s, %j) is %j', (root, globs, expected) => {
    expect(findDockerfiles(disk, root, globs)).toEqual(expected);
    expect(findDockerfiles(inTree, root, globs)).toEqual(expected);
  });

  it.each([
    ['services/ml', 'uv.lock'],
    ['services/vision', 'services/vision/uv.lock'],
    ['libs/shared', 'uv.lock'],
  ])('findGoverningLock(%s) is %s', (root, expected) => {
    expect(findGoverningLock(disk, root)).toBe(expected);
    expect(findGoverningLock(inTree, root)).toBe(expected);
  });

  it.each([
    ['services/ml/docker/Dockerfile', 'services/ml', 'services/ml/docker/Dockerfile.dockerignore'],
    ['services/vision/images/cuda/Dockerfile', 'services/vision', 'services/vision/.dockerignore'],
    ['services/ml/Dockerfile', 'services/ml', undefined],
  ])('findDockerignore(%s, %s) is %s', (dockerfile, contextDir, expected) => {
    expect(findDockerignore(disk, dockerfile, contextDir)).toBe(expected);
    expect(findDockerignore(inTree, dockerfile, contextDir)).toBe(expected);
  });

  // The same, through a rule: a root project's Dockerfile.
  it('finds a Dockerfile at the workspace root', () => {
    writeFileSync(join(workspace, 'Dockerfile'), 'FROM alpine\n');
    tree.write('Dockerfile', 'FROM alpine\n');
    expect(findDockerfiles(disk, '.', DEFAULT_GLOBS)).toEqual(['Dockerfile']);
    expect(findDockerfiles(inTree, '.', DEFAULT_GLOBS)).toEqual(['Dockerfile']);
  });

  it('finds a Dockerfile that is a symbolic link on disk, as the Tree finds the file it stands for', () => {
    expect(findDockerfiles(disk, 'services/linked', DEFAULT_GLOBS)).toEqual(['services/linked/Dockerfile']);
    tree.write('services/linked/Dockerfile', 'FROM python:3.12 AS prod\n');
    expect(findDockerfiles(inTree, 'services/linked', DEFAULT_GLOBS)).toEqual(['services/linked/Dockerfile']);
  });
});
