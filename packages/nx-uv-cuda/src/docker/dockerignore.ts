import { posix } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { leavesRoot } from '../core/paths';

export interface DockerignoreRule {
  /** Cleaned as Docker cleans it: relative to the context root, no leading or trailing `/`. */
  pattern: string;
  /** A `!pattern` that brings back files an earlier pattern excluded. */
  reincludes: boolean;
}

/** A .dockerignore as Docker reads it. */
export interface Dockerignore {
  rules: DockerignoreRule[];
  /** Docker's own answer (through @balena/dockerignore) to whether `path` stays out of the context. */
  ignores(path: string): boolean;
}

export function readDockerignore(text = ''): Dockerignore {
  const matcher = dockerignore().add(text);
  return { rules: parseRules(text), ignores: (path) => matcher.ignores(normalizeContextPath(path)) };
}

/** Relative to the context root ('' for the root itself), resolved as BuildKit does: as if the context were `/`. */
export function normalizeContextPath(path: string): string {
  return posix.normalize(`/${path}`).replace(/^\/+|\/+$/g, '');
}

function parseRules(text: string): DockerignoreRule[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .flatMap((line) => {
      const reincludes = line.startsWith('!');
      const pattern = cleanPattern(reincludes ? line.slice(1).trim() : line);
      return pattern === undefined ? [] : [{ pattern, reincludes }];
    });
}

/** Go's filepath.Clean, then the leading `/` dropped; undefined for patterns that match no context file. */
function cleanPattern(raw: string): string | undefined {
  const pattern = posix.normalize(raw).replace(/^\/+|\/+$/g, '');
  const outsideContext = pattern === '' || pattern === '.' || leavesRoot(pattern);
  return outsideContext ? undefined : pattern;
}
