import { describe, expect, it } from 'vitest';
import { isPluginError } from '../core/errors';
import type { FileSource } from '../core/file-source';
import { loadDockerfile, parsedDockerfileCount, parseDockerfileText, PARSED_DOCKERFILES_KEPT } from './dockerfile';

/** A Dockerfile text no other test parses. */
let counter = 0;
const distinctText = (label = 'x') => `FROM python:3.12 AS app\nRUN echo ${label}-${counter++}\n`;

function filesOf(files: Record<string, string>): FileSource {
  return { read: (path) => files[path], kind: (path) => (path in files ? 'file' : undefined), list: () => [] };
}

describe('parseDockerfileText', () => {
  it('parses the same text once: the same file gets the same model object', () => {
    const text = distinctText();
    const first = parseDockerfileText(text, 'svc/Dockerfile');
    expect(parseDockerfileText(text, 'svc/Dockerfile')).toBe(first);
    expect(first.file).toBe('svc/Dockerfile');
    expect(first.stages.map((stage) => stage.name)).toEqual(['app']);
  });

  it('gives the model of the same text under another file name that name, leaving the first one as it was', () => {
    const text = distinctText();
    const first = parseDockerfileText(text, 'a/Dockerfile');
    const second = parseDockerfileText(text, 'b/Dockerfile');
    expect(second.file).toBe('b/Dockerfile');
    expect(second.stages).toBe(first.stages);
    expect(first.file).toBe('a/Dockerfile');
    expect(parseDockerfileText(text, 'a/Dockerfile').file).toBe('a/Dockerfile');
  });

  it('keeps at most PARSED_DOCKERFILES_KEPT parses, dropping the least recently used', () => {
    expect(PARSED_DOCKERFILES_KEPT).toBe(256);
    const oldest = distinctText('oldest');
    const touched = distinctText('touched');
    const oldestModel = parseDockerfileText(oldest, 'Dockerfile');
    const touchedModel = parseDockerfileText(touched, 'Dockerfile');
    for (let index = 0; index < PARSED_DOCKERFILES_KEPT - 2; index++) parseDockerfileText(distinctText(), 'Dockerfile');
    // `touched` is used again, so it is now the most recent; `oldest` is the least recent.
    expect(parseDockerfileText(touched, 'Dockerfile')).toBe(touchedModel);
    for (let index = 0; index < 10; index++) {
      parseDockerfileText(distinctText(), 'Dockerfile');
      expect(parsedDockerfileCount()).toBeLessThanOrEqual(PARSED_DOCKERFILES_KEPT);
    }
    expect(parsedDockerfileCount()).toBe(PARSED_DOCKERFILES_KEPT);
    expect(parseDockerfileText(touched, 'Dockerfile')).toBe(touchedModel);
    const reparsed = parseDockerfileText(oldest, 'Dockerfile');
    expect(reparsed).not.toBe(oldestModel);
    expect(reparsed).toEqual(oldestModel);
  });

  it('keeps no parse of a text that fails, and names the file each time', () => {
    const before = parsedDockerfileCount();
    expect(() => parseDockerfileText('RUN true\n', 'one/Dockerfile')).toThrow(/^one\/Dockerfile:1: /);
    expect(() => parseDockerfileText('RUN true\n', 'two/Dockerfile')).toThrow(/^two\/Dockerfile:1: /);
    expect(parsedDockerfileCount()).toBe(before);
  });
});

describe('loadDockerfile', () => {
  it('reads and parses the file', () => {
    const text = distinctText();
    const model = loadDockerfile(filesOf({ 'svc/Dockerfile': text }), 'svc/Dockerfile');
    expect(model).toBe(parseDockerfileText(text, 'svc/Dockerfile'));
  });

  it('reports a missing file as a dockerfile error naming it', () => {
    let thrown: unknown;
    try {
      loadDockerfile(filesOf({}), 'svc/Dockerfile');
    } catch (error) {
      thrown = error;
    }
    expect(isPluginError(thrown, 'dockerfile')).toBe(true);
    expect((thrown as Error).message).toBe('svc/Dockerfile does not exist');
    expect(isPluginError(thrown) && thrown.where).toEqual({ file: 'svc/Dockerfile' });
  });
});
