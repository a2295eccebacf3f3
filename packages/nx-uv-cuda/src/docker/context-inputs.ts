import { posix } from 'node:path';
import { compareCodeUnits } from '../core/compare';
import type { Stage } from './dockerfile-model';
import { normalizeContextPath, readDockerignore, type DockerignoreRule } from './dockerignore';
import { argNamesIn, expandArgs } from './expand-args';

export interface ContextInputOptions {
  /** Workspace-relative path of the docker build context; '' or '.' for the workspace root. */
  contextRoot: string;
  /** Text of the context's .dockerignore, if any. */
  dockerignore?: string;
  /** The values the build's ARGs have: a source path that uses only these is read as it expands. */
  argValues?: Readonly<Record<string, string>>;
}

export interface ContextInputs {
  /** Nx fileset inputs: what the chain reads from the context, then negations for ignored files. */
  inputs: string[];
  /** Workspace-relative files or directories (possibly globs) that the chain reads; '.' is the workspace root. */
  contextPaths: string[];
}

/** The whole context (a context path of ''). */
const WHOLE_CONTEXT = '';
/** Characters that make a Dockerfile source path a pattern. */
export const GLOB_CHAR = /[*?[\\]/;

/**
 * Nx inputs for the files a stage chain reads from the build context (COPY/ADD sources and
 * RUN bind mounts, not what comes `--from` elsewhere), minus what .dockerignore keeps out.
 */
export function contextInputs(chain: readonly Stage[], options: ContextInputOptions): ContextInputs {
  const root = normalizeContextPath(options.contextRoot);
  const paths = contextSourcePaths(chain, options.argValues);
  const exclusions = safeExclusions(readDockerignore(options.dockerignore).rules);
  const inputs = [
    ...sortedUnique(paths.flatMap((path) => filesets(root, path))),
    ...sortedUnique(exclusions.flatMap((pattern) => filesets(root, pattern).map((fileset) => `!${fileset}`))),
  ];
  const contextPaths = sortedUnique(paths.map((path) => posix.join(root, path) || '.'));
  return { inputs, contextPaths };
}

/** Context-relative paths (maybe globs; '' is the whole context) that a chain reads from the build context. */
export function contextSourcePaths(chain: readonly Stage[], argValues?: Readonly<Record<string, string>>): string[] {
  const fromContext = chain.flatMap((stage) => stage.sources.filter((source) => source.from === undefined));
  return fromContext.flatMap((source) => source.paths.map((path) => sourceContextPath(path, argValues)));
}

/**
 * A source path relative to the context root. One using variables is read as it expands when every variable has
 * a known value (`COPY ${LOCK_FILE} ./uv.lock` with LOCK_FILE=uv-cu128.lock); otherwise it is widened to the
 * directory before its first variable (`libs/${LIB}/src` reads from `libs`): the value may come from a build arg.
 */
function sourceContextPath(path: string, argValues?: Readonly<Record<string, string>>): string {
  const variableAt = path.indexOf('$');
  if (variableAt === -1) return normalizeContextPath(path);
  const expanded = argValues ? expandKnown(path, argValues) : undefined;
  return normalizeContextPath(expanded ?? path.slice(0, path.lastIndexOf('/', variableAt) + 1));
}

function expandKnown(path: string, values: Readonly<Record<string, string>>): string | undefined {
  try {
    return argNamesIn(path).every((name) => Object.hasOwn(values, name) && values[name] !== '') ? expandArgs(path, values) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A context path may be a file or a directory (a glob may match either; Docker copies a matched
 * directory whole), so it stands for itself and everything below it.
 */
function filesets(root: string, path: string): string[] {
  const base = ['{workspaceRoot}', root, escapeBraces(path)].filter(Boolean).join('/');
  return path === WHOLE_CONTEXT ? [`${base}/**/*`] : [base, `${base}/**/*`];
}

/** Docker reads braces literally; Nx's glob engine reads `{a,b}` as alternatives. */
function escapeBraces(pattern: string): string {
  return pattern.replace(/[{}]/g, '\\$&');
}

/**
 * Exclusions that are safe to hand Nx as negations. Docker lets a later `!pattern` re-include
 * files an earlier pattern excluded, while an Nx negation hides a file whatever comes after. So
 * an exclusion followed by a re-include that could reach the same files is dropped: hashing a few
 * ignored files costs a cache miss, hiding a copied file would give a stale cache hit.
 */
function safeExclusions(rules: DockerignoreRule[]): string[] {
  return rules.flatMap((rule, index) => {
    if (rule.reincludes) return [];
    const laterReincludes = rules.slice(index + 1).filter((later) => later.reincludes);
    return laterReincludes.some((later) => mayOverlap(rule.pattern, later.pattern)) ? [] : [rule.pattern];
  });
}

/**
 * Two patterns are disjoint when their literal leading directories diverge (`docs/*` vs `src/a`);
 * otherwise (one's literal prefix contains the other's) they may reach the same files.
 */
function mayOverlap(a: string, b: string): boolean {
  const prefixA = literalPrefix(a);
  const prefixB = literalPrefix(b);
  const shorter = Math.min(prefixA.length, prefixB.length);
  return prefixA.slice(0, shorter).every((segment, index) => segment === prefixB[index]);
}

function literalPrefix(pattern: string): string[] {
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex((segment) => GLOB_CHAR.test(segment));
  return firstGlob === -1 ? segments : segments.slice(0, firstGlob);
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort(compareCodeUnits);
}
