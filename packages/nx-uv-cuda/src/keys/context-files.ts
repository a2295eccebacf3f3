import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { minimatch } from 'minimatch';
import { contextSourcePaths } from '../docker/context-inputs';
import type { Stage } from '../docker/dockerfile-model';
import { readDockerignore } from '../docker/dockerignore';
import { compareCodeUnits } from '../core/compare';
import { PluginError } from '../core/errors';

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
  const files = new Set<string>();
  for (const source of new Set(contextSourcePaths(chain, options.argValues))) {
    for (const path of expandSource(contextDir, source, skipFolder)) {
      if (!ignore.ignores(path) && !options.exclude?.(path)) files.add(path);
    }
  }
  return Object.fromEntries([...files].sort(compareCodeUnits).map((path) => [path, hashFile(contextDir, path, options.contextLabel)]));
}

function expandSource(contextDir: string, source: string, skipFolder: (path: string) => boolean): string[] {
  if (!GLOB_CHAR.test(source)) return walk(contextDir, source, skipFolder);
  const segments = source.split('/');
  const fixed = segments.slice(0, segments.findIndex((segment) => GLOB_CHAR.test(segment))).join('/');
  // A glob may match a folder, which Docker copies whole: keep what the glob or a folder it matches holds.
  return walk(contextDir, fixed, skipFolder).filter((path) =>
    path.split('/').some((_, index, parts) => minimatch(parts.slice(0, index + 1).join('/'), source, { dot: true })),
  );
}

/** Every file at or below a context-relative path ('' is the whole context); nothing when it does not exist. */
function walk(contextDir: string, path: string, skipFolder: (path: string) => boolean): string[] {
  let stat;
  try {
    stat = lstatSync(join(contextDir, path));
  } catch {
    return [];
  }
  if (!stat.isDirectory()) return [path];
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
function hashFile(contextDir: string, path: string, contextLabel = contextDir): string {
  const absolute = join(contextDir, path);
  const isLink = lstatSync(absolute).isSymbolicLink();
  const target = isLink ? readlinkSync(absolute) : undefined;
  const reached = isLink ? resolve(realpathSync(dirname(absolute)), target!) : realpathSync(absolute);
  const inside = relative(realpathSync(contextDir), reached);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    const what = isLink ? `a symbolic link to ${target}` : `reached through a symbolic link to ${reached}`;
    throw new PluginError(
      'dockerfile',
      `${posix.join(contextLabel, path)} is ${what}, outside the build context: Docker copies the link, not what it ` +
        'points to, and a re-pointed link would not change the build keys; copy the file into the context, or point ' +
        'the link inside it',
      { file: posix.join(contextLabel, path) },
    );
  }
  return createHash('sha256').update(isLink ? `symlink:${target}` : readFileSync(absolute)).digest('hex');
}
