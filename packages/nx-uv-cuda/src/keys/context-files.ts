import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { minimatch } from 'minimatch';
import { contextSourcePaths } from '../docker/context-inputs';
import type { Stage } from '../docker/dockerfile-model';
import { readDockerignore } from '../docker/dockerignore';
import { compareCodeUnits } from '../core/compare';
import { PluginError } from '../core/errors';
import { sha256Of } from '../core/hash';
import { leavesRoot } from '../core/paths';

const GLOB_CHAR = /[*?[]/;

/**
 * The build-context files a stage chain copies (COPY/ADD sources, bind mounts), as Docker would send them:
 * expanded from folders and globs, minus what .dockerignore excludes; each with the sha256 of its content.
 * Keys are context-relative paths, sorted. Symbolic links are hashed by their target path, not followed.
 */
export function hashCopiedFiles(
  contextDir: string,
  chain: readonly Stage[],
  options: {
    dockerignore?: string;
    exclude?: (path: string) => boolean;
    argValues?: Readonly<Record<string, string>>;
    /** How messages name the context (its workspace-relative path). */
    contextLabel?: string;
  },
): Record<string, string> {
  const ignore = readDockerignore(options.dockerignore);
  // Without `!` re-includes, nothing below an ignored folder can come back: such folders are not walked.
  const canSkip = !ignore.rules.some((rule) => rule.reincludes);
  const skipFolder = (path: string) => path !== '' && canSkip && ignore.ignores(path);
  /** Each file to hash, and whether it is a symbolic link (as walk found it). */
  const files = new Map<string, boolean>();
  for (const source of new Set(contextSourcePaths(chain, options.argValues))) {
    for (const { path, isLink } of expandSource(contextDir, source, skipFolder)) {
      if (!ignore.ignores(path) && !options.exclude?.(path)) files.set(path, isLink);
    }
  }
  if (files.size === 0) return {};
  const context = { dir: contextDir, real: realpathSync(contextDir), label: options.contextLabel ?? contextDir };
  return Object.fromEntries([...files.keys()].sort(compareCodeUnits).map((path) => [path, hashFile(context, path, files.get(path)!)]));
}

/** A file walk found: its context-relative path, and whether it is a symbolic link. */
interface WalkedFile {
  path: string;
  isLink: boolean;
}

function expandSource(contextDir: string, source: string, skipFolder: (path: string) => boolean): WalkedFile[] {
  if (!GLOB_CHAR.test(source)) return walk(contextDir, source, skipFolder);
  const segments = source.split('/');
  const fixed = segments.slice(0, segments.findIndex((segment) => GLOB_CHAR.test(segment))).join('/');
  // A glob may match a folder, which Docker copies whole: keep what the glob or a folder it matches holds.
  return walk(contextDir, fixed, skipFolder).filter(({ path }) =>
    path.split('/').some((_, index, parts) => minimatch(parts.slice(0, index + 1).join('/'), source, { dot: true })),
  );
}

/** Every file at or below a context-relative path ('' is the whole context); nothing when it does not exist. */
function walk(contextDir: string, path: string, skipFolder: (path: string) => boolean): WalkedFile[] {
  let stat;
  try {
    stat = lstatSync(join(contextDir, path));
  } catch {
    return [];
  }
  if (!stat.isDirectory()) return [{ path, isLink: stat.isSymbolicLink() }];
  if (skipFolder(path)) return [];
  return readdirSync(join(contextDir, path))
    .filter((name) => name !== '.git')
    .flatMap((name) => walk(contextDir, path === '' ? name : posix.join(path, name), skipFolder));
}

/**
 * The sha256 of a context file; a link by its target path. What leaves the context is refused: Docker sends a
 * link, not what it points to (and a folder link on the way, `COPY ext/x` with `ext -> /etc`, not at all), while
 * Nx hashes what links point to, so a re-pointed link would not change the build keys.
 */
function hashFile(context: { dir: string; real: string; label: string }, path: string, isLink: boolean): string {
  const absolute = join(context.dir, path);
  const contextLabel = context.label;
  const target = isLink ? readlinkSync(absolute) : undefined;
  const reached = isLink ? resolve(realpathSync(dirname(absolute)), target!) : realpathSync(absolute);
  const inside = relative(context.real, reached);
  if (leavesRoot(inside)) {
    const what = isLink ? `a symbolic link to ${target}` : `reached through a symbolic link to ${reached}`;
    throw new PluginError(
      'dockerfile',
      `${posix.join(contextLabel, path)} is ${what}, outside the build context: Docker copies the link, not what it ` +
        'points to, and a re-pointed link would not change the build keys; copy the file into the context, or point ' +
        'the link inside it',
      { file: posix.join(contextLabel, path) },
    );
  }
  return isLink ? createHash('sha256').update(`symlink:${target}`).digest('hex') : sha256Of(absolute);
}
