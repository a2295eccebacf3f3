import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskFiles, type FileSource } from '../core/file-source';
import { DEFAULT_DOCKERFILE_GLOBS } from '../config/plugin-options';
import { findDockerfiles, findDockerignore, findGoverningLock } from './locate';

/** The defaults before every usual place counted. */
const OLD_GLOBS = ['docker/Dockerfile*', 'Dockerfile'];

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

describe('findDockerfiles', () => {
  it('finds every match, in glob order then path order, each once', () => {
    expect(findDockerfiles(files, 'services/ml', OLD_GLOBS)).toEqual([
      'services/ml/docker/Dockerfile',
      'services/ml/docker/Dockerfile.a-cpu',
      'services/ml/docker/Dockerfile.b-rocm',
      'services/ml/docker/Dockerfile.cu128',
      'services/ml/Dockerfile',
    ]);
    expect(findDockerfiles(files, 'services/ml', ['Dockerfile', 'docker/*.cu128', 'docker/*'])).toEqual([
      'services/ml/Dockerfile',
      'services/ml/docker/Dockerfile.cu128',
      'services/ml/docker/Dockerfile',
      'services/ml/docker/Dockerfile.a-cpu',
      'services/ml/docker/Dockerfile.b-rocm',
    ]);
  });

  it('finds the usual places and names with the default globs', () => {
    touch(
      'services/usual/pyproject.toml',
      'services/usual/Containerfile',
      'services/usual/docker/gpu/Dockerfile.optimized',
      'services/usual/docker/a/b/Dockerfile',
      'services/usual/scripts/docker/serve_policy.Dockerfile',
      'services/usual/deploy/api.dockerfile',
      'services/usual/.docker/Dockerfile',
      'services/usual/elsewhere/Dockerfile',
    );
    expect(findDockerfiles(files, 'services/usual', DEFAULT_DOCKERFILE_GLOBS)).toEqual([
      'services/usual/Containerfile',
      'services/usual/docker/gpu/Dockerfile.optimized',
      'services/usual/docker/a/b/Dockerfile',
      'services/usual/scripts/docker/serve_policy.Dockerfile',
      'services/usual/deploy/api.dockerfile',
      'services/usual/.docker/Dockerfile',
    ]);
  });

  it('takes no file whose name says it is something else: ignore files, docs, scripts, configs, backups', () => {
    const others = ['dockerignore', 'md', 'txt', 'sh', 'py', 'yml', 'yaml', 'json', 'toml', 'lock', 'bak', 'orig'];
    touch(...others.map((ext) => `services/names/Dockerfile.${ext}`), 'services/names/Dockerfile.prod', 'services/names/api.Dockerfile');
    expect(findDockerfiles(files, 'services/names', ['Dockerfile*', '*.Dockerfile'])).toEqual([
      'services/names/Dockerfile.prod',
      'services/names/api.Dockerfile',
    ]);
    expect(findDockerfiles(files, 'services/ignored-only', OLD_GLOBS)).toEqual([]);
    expect(findDockerfiles(files, 'services/vision', OLD_GLOBS)).toEqual(['services/vision/Dockerfile']);
  });

  it("counts nothing inside a subfolder that holds another project's pyproject.toml, except prod/", () => {
    touch(
      'services/vision/pkg/Dockerfile',
      'services/vision/libs/a/pyproject.toml',
      'services/vision/libs/a/docker/Dockerfile',
      'services/vision/prod/pyproject.toml',
      'services/vision/prod/Dockerfile',
      'services/vision/images/gpu/Dockerfile',
    );
    expect(findDockerfiles(files, 'services/vision', ['**/Dockerfile'])).toEqual([
      'services/vision/Dockerfile',
      'services/vision/images/gpu/Dockerfile',
      'services/vision/prod/Dockerfile',
    ]);
  });

  it('recurses without limit for **, one level for a * folder, never into node_modules', () => {
    touch(
      'services/gpu/Dockerfile',
      'services/gpu/images/cuda/Dockerfile',
      'services/gpu/images/cuda/old/Dockerfile',
      'services/gpu/node_modules/x/Dockerfile',
    );
    expect(findDockerfiles(files, 'services/gpu', ['images/*/Dockerfile'])).toEqual(['services/gpu/images/cuda/Dockerfile']);
    expect(findDockerfiles(files, 'services/gpu', ['**/Dockerfile'])).toEqual([
      'services/gpu/Dockerfile',
      'services/gpu/images/cuda/Dockerfile',
      'services/gpu/images/cuda/old/Dockerfile',
    ]);
  });

  it('skips folders and missing folders', () => {
    expect(findDockerfiles(files, 'services/dir-named', OLD_GLOBS)).toEqual([]);
    expect(findDockerfiles(files, 'libs/shared', OLD_GLOBS)).toEqual([]);
    expect(findDockerfiles(files, 'does/not/exist', DEFAULT_DOCKERFILE_GLOBS)).toEqual([]);
  });

  it('takes a Dockerfile that is a symbolic link', () => {
    touch('shared/Dockerfile.recipe');
    mkdirSync(join(workspace, 'services/linked'), { recursive: true });
    symlinkSync(join(workspace, 'shared/Dockerfile.recipe'), join(workspace, 'services/linked/Dockerfile'));
    expect(findDockerfiles(files, 'services/linked', DEFAULT_DOCKERFILE_GLOBS)).toEqual(['services/linked/Dockerfile']);
  });

  it('finds a Dockerfile at the workspace root, and none of the projects below it', () => {
    expect(findDockerfiles(files, '.', DEFAULT_DOCKERFILE_GLOBS)).toEqual(['Dockerfile']);
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
