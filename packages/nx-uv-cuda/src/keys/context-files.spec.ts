import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { stageChain } from '../docker/stage-graph';
import { thrownPluginError } from '../__fixtures__/thrown';
import { hashCopiedFiles } from './context-files';

let context: string;

function write(path: string, text = `${path}\n`): void {
  mkdirSync(dirname(join(context, path)), { recursive: true });
  writeFileSync(join(context, path), text);
}

const dockerfile = parseDockerfile(
  [
    'FROM python:3.11 AS base',
    'COPY *.toml uv.lock ./',
    'COPY src/ ./src/',
    'RUN --mount=type=bind,source=libs/shared,target=/libs/shared true',
    'FROM base AS tests',
    'COPY tests/ ./tests/',
  ].join('\n'),
  'Dockerfile',
);

beforeAll(() => {
  context = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-context-'));
  for (const path of ['pyproject.toml', 'ruff.toml', 'uv.lock', 'README.md', 'src/app/main.py', 'src/app/README.md']) write(path);
  for (const path of ['src/app/__pycache__/main.cpython-311.pyc', 'libs/shared/x.py', 'libs/other/y.py', 'tests/test_a.py']) write(path);
  symlinkSync('main.py', join(context, 'src/app/alias.py'));
});

afterAll(() => rmSync(context, { recursive: true, force: true }));

describe('hashCopiedFiles', () => {
  const base = () => stageChain(dockerfile, 'base');

  it('expands folders and globs of the chain, and bind mounts, to the files Docker would send', () => {
    expect(Object.keys(hashCopiedFiles(context, base(), {}))).toEqual([
      'libs/shared/x.py',
      'pyproject.toml',
      'ruff.toml',
      'src/app/README.md',
      'src/app/__pycache__/main.cpython-311.pyc',
      'src/app/alias.py',
      'src/app/main.py',
      'uv.lock',
    ]);
  });

  it('leaves out what .dockerignore excludes, honoring re-includes', () => {
    const files = hashCopiedFiles(context, base(), { dockerignore: '**/__pycache__\n**/*.md\n!src/app/README.md\n' });
    expect(Object.keys(files)).toContain('src/app/README.md');
    expect(Object.keys(files).some((path) => path.includes('__pycache__'))).toBe(false);
  });

  it('leaves out what the caller excludes, and what other stages copy', () => {
    const files = hashCopiedFiles(context, base(), { exclude: (path) => path === 'uv.lock' });
    expect(files).not.toHaveProperty('uv.lock');
    expect(files).not.toHaveProperty('tests/test_a.py');
    expect(hashCopiedFiles(context, stageChain(dockerfile, 'tests'), {})).toHaveProperty('tests/test_a.py');
  });

  it('gives a file the sha256 of its bytes and a link that of `symlink:` and its target path', () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const files = hashCopiedFiles(context, base(), {});
    expect(files['ruff.toml']).toBe(sha256('ruff.toml\n'));
    expect(files['src/app/alias.py']).toBe(sha256('symlink:main.py'));
  });

  it('hashes nothing, and needs no context folder, when the chain copies nothing there', () => {
    expect(hashCopiedFiles(join(context, 'no-such-folder'), base(), {})).toEqual({});
  });

  it('hashes contents, so an edit changes exactly that file', () => {
    const before = hashCopiedFiles(context, base(), {});
    write('src/app/main.py', 'print("changed")\n');
    const after = hashCopiedFiles(context, base(), {});
    expect(after['src/app/main.py']).not.toBe(before['src/app/main.py']);
    expect({ ...after, 'src/app/main.py': '' }).toEqual({ ...before, 'src/app/main.py': '' });
    expect(after['src/app/alias.py']).toBe(before['src/app/alias.py']); // a link is hashed by its target path
  });

  it('refuses a link that leaves the context, naming it and where it points', () => {
    const outside = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-outside-'));
    symlinkSync(outside, join(context, 'src/app/data'));
    try {
      const error = thrownPluginError('dockerfile', () => hashCopiedFiles(context, base(), { contextLabel: 'services/ml' }));
      expect(error.message).toBe(
        `services/ml/src/app/data is a symbolic link to ${outside}, outside the build context: Docker copies the link, not what it ` +
          'points to, and a re-pointed link would not change the build keys; copy the file into the context, or point the link inside it',
      );
    } finally {
      rmSync(join(context, 'src/app/data'));
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a file reached through a folder link that leaves the context', () => {
    const outside = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-outside-'));
    writeFileSync(join(outside, 'x.py'), 'x\n');
    symlinkSync(outside, join(context, 'libs/shared/ext'));
    try {
      const chain = stageChain(parseDockerfile('FROM python:3.11\nCOPY libs/shared/ext/x.py /x.py\n', 'Dockerfile'), '0');
      expect(thrownPluginError('dockerfile', () => hashCopiedFiles(context, chain, {})).message).toContain(
        `libs/shared/ext/x.py is reached through a symbolic link to ${realpathSync(outside)}/x.py, outside the build context`,
      );
    } finally {
      rmSync(join(context, 'libs/shared/ext'));
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
