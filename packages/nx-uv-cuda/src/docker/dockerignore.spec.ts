import { describe, expect, it } from 'vitest';
import { normalizeContextPath, readDockerignore } from './dockerignore';

const lines = (...text: string[]) => text.join('\n') + '\n';

describe('readDockerignore().ignores', () => {
  it('applies Docker semantics: anchored patterns, ** across directories, later ! re-includes', () => {
    const dockerignore = readDockerignore(lines('*.md', '!README.md', '**/*.pyc', '/tmp'));
    expect(dockerignore.ignores('CHANGELOG.md')).toBe(true);
    expect(dockerignore.ignores('README.md')).toBe(false);
    expect(dockerignore.ignores('docs/guide.md')).toBe(false);
    expect(dockerignore.ignores('./src/a/b.pyc')).toBe(true);
    expect(dockerignore.ignores('tmp/x')).toBe(true);
  });

  it('ignores a folder and everything below it', () => {
    const dockerignore = readDockerignore(lines('.venv', 'build/'));
    expect(dockerignore.ignores('.venv/bin/python')).toBe(true);
    expect(dockerignore.ignores('build/lib/x.so')).toBe(true);
    expect(dockerignore.ignores('src/build.py')).toBe(false);
  });

  it('ignores nothing without a file or with an empty one', () => {
    expect(readDockerignore().ignores('anything')).toBe(false);
    expect(readDockerignore('').ignores('src/app.py')).toBe(false);
  });
});

describe('readDockerignore().rules', () => {
  it('lists patterns in order, with re-includes marked, skipping comments and blank lines', () => {
    expect(readDockerignore(lines('# comment', '', '*.md', '  !README.md  ', 'docs/drafts')).rules).toEqual([
      { pattern: '*.md', reincludes: false },
      { pattern: 'README.md', reincludes: true },
      { pattern: 'docs/drafts', reincludes: false },
    ]);
  });

  it('cleans patterns as Docker does: leading and trailing slashes, . and .. segments', () => {
    expect(readDockerignore(lines('/tmp/', './src//a/../b', '! /dist')).rules).toEqual([
      { pattern: 'tmp', reincludes: false },
      { pattern: 'src/b', reincludes: false },
      { pattern: 'dist', reincludes: true },
    ]);
  });

  it('drops patterns that can match no context file', () => {
    expect(readDockerignore(lines('/', '.', '..', '../outside', 'kept')).rules).toEqual([
      { pattern: 'kept', reincludes: false },
    ]);
  });

  it('reads CRLF files and a byte-order mark', () => {
    expect(readDockerignore('\uFEFF*.md\r\n!README.md\r\n').rules).toEqual([
      { pattern: '*.md', reincludes: false },
      { pattern: 'README.md', reincludes: true },
    ]);
  });
});

describe('normalizeContextPath', () => {
  it('resolves a path as if the context were the root', () => {
    expect(normalizeContextPath('./src/app.py')).toBe('src/app.py');
    expect(normalizeContextPath('/src/')).toBe('src');
    expect(normalizeContextPath('../../etc/passwd')).toBe('etc/passwd');
    expect(normalizeContextPath('.')).toBe('');
    expect(normalizeContextPath('')).toBe('');
  });
});
