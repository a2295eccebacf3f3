import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskFiles, type FileSource } from '../core/file-source';
import { findDockerfile, findDockerignore, findGoverningLock } from './locate';

const DEFAULT_GLOBS = ['docker/Dockerfile*', 'Dockerfile'];

let workspace: string;
let files: FileSource;

/** Creates the files (workspace-relative paths) with placeholder text. */
function touch(...files: string[]): void {
  for (const file of files) {
    mkdirSync(dirname(join(workspace, file)), { recursive: true });
    writeFileSync(join(workspace, file), `# ${file}\n`);
  }
}

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-locate-'));
  files = diskFiles(workspace);
  touch(
    'uv.lock',
    'Dockerfile',
    'services/ml/pyproject.toml',
    'services/ml/Dockerfile',
    'services/ml/docker/Dockerfile.cu128',
    'services/ml/docker/Dockerfile.b-rocm',
    'services/ml/docker/Dockerfile.a-cpu',
    'services/ml/docker/Dockerfile',
    'services/ml/docker/Dockerfile.dockerignore',
    'services/ml/.dockerignore',
    'services/vision/uv.lock',
    'services/vision/pkg/pyproject.toml',
    'services/vision/Dockerfile',
    'services/vision/.dockerignore',
    'services/vision/docker/Dockerfile.dockerignore',
    'services/ignored-only/docker/Dockerfile.dockerignore',
    'libs/shared/pyproject.toml',
  );
  mkdirSync(join(workspace, 'services/dir-named/docker/Dockerfile.d'), { recursive: true });
});

afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
});

describe('findGoverningLock', () => {
  it("takes the project's own lock first", () => {
    expect(findGoverningLock(files, 'services/vision')).toBe('services/vision/uv.lock');
  });

  it('takes the nearest lock above a workspace member', () => {
    expect(findGoverningLock(files, 'services/vision/pkg')).toBe('services/vision/uv.lock');
    expect(findGoverningLock(files, 'libs/shared')).toBe('uv.lock');
    expect(findGoverningLock(files, '.')).toBe('uv.lock');
  });

  it("names the project's own lock when there is none anywhere", () => {
    const empty = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-nolock-'));
    try {
      expect(findGoverningLock(diskFiles(empty), 'services/ml')).toBe('services/ml/uv.lock');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('findDockerfile', () => {
  it('takes the first glob that matches, in name order within the glob, never a .dockerignore', () => {
    expect(findDockerfile(files, 'services/ml', DEFAULT_GLOBS)).toBe('services/ml/docker/Dockerfile');
    expect(findDockerfile(files, 'services/ml', ['docker/Dockerfile.*'])).toBe('services/ml/docker/Dockerfile.a-cpu');
    expect(findDockerfile(files, 'services/ml', ['docker/*.dockerignore', 'Dockerfile'])).toBe('services/ml/Dockerfile');
  });

  it('tries the globs in the order given', () => {
    expect(findDockerfile(files, 'services/ml', ['Dockerfile', 'docker/Dockerfile*'])).toBe('services/ml/Dockerfile');
    expect(findDockerfile(files, 'services/ml', ['docker/*.cu128', 'Dockerfile'])).toBe('services/ml/docker/Dockerfile.cu128');
  });

  it('falls through to a later glob when an earlier one matches only an ignore file', () => {
    expect(findDockerfile(files, 'services/vision', DEFAULT_GLOBS)).toBe('services/vision/Dockerfile');
    expect(findDockerfile(files, 'services/ignored-only', DEFAULT_GLOBS)).toBeUndefined();
  });

  it('skips folders and missing folders', () => {
    expect(findDockerfile(files, 'services/dir-named', DEFAULT_GLOBS)).toBeUndefined();
    expect(findDockerfile(files, 'libs/shared', DEFAULT_GLOBS)).toBeUndefined();
    expect(findDockerfile(files, 'does/not/exist', DEFAULT_GLOBS)).toBeUndefined();
  });

  it('matches wildcards in the folder part of a glob', () => {
    touch('services/gpu/images/cuda/Dockerfile', 'services/gpu/node_modules/x/Dockerfile');
    expect(findDockerfile(files, 'services/gpu', ['images/*/Dockerfile'])).toBe('services/gpu/images/cuda/Dockerfile');
    expect(findDockerfile(files, 'services/gpu', ['**/Dockerfile'])).toBe('services/gpu/images/cuda/Dockerfile');
  });

  it('takes a Dockerfile that is a symbolic link', () => {
    touch('shared/Dockerfile.recipe');
    mkdirSync(join(workspace, 'services/linked'), { recursive: true });
    symlinkSync(join(workspace, 'shared/Dockerfile.recipe'), join(workspace, 'services/linked/Dockerfile'));
    expect(findDockerfile(files, 'services/linked', DEFAULT_GLOBS)).toBe('services/linked/Dockerfile');
  });

  it('finds a Dockerfile at the workspace root', () => {
    expect(findDockerfile(files, '.', DEFAULT_GLOBS)).toBe('Dockerfile');
  });
});

describe('findDockerignore', () => {
  it('prefers <Dockerfile>.dockerignore beside the Dockerfile over the context one', () => {
    expect(findDockerignore(files, 'services/ml/docker/Dockerfile', 'services/ml')).toBe(
      'services/ml/docker/Dockerfile.dockerignore',
    );
  });

  it("takes the context's .dockerignore when the Dockerfile has none", () => {
    expect(findDockerignore(files, 'services/vision/Dockerfile', 'services/vision')).toBe('services/vision/.dockerignore');
    expect(findDockerignore(files, 'services/ml/Dockerfile', 'services/ml')).toBe('services/ml/.dockerignore');
  });

  it('finds none when neither exists', () => {
    expect(findDockerignore(files, 'services/ml/docker/Dockerfile.cu128', 'libs/shared')).toBeUndefined();
    expect(findDockerignore(files, 'Dockerfile', '.')).toBeUndefined();
  });
});
