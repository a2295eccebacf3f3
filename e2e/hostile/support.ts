import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { plain } from '../support/output';
import type { Workspace } from '../support/workspace';

/**
 * Helpers of the hostile-input battery: small standalone uv projects laid out beside the fixture's services
 * (each with its own uv.lock, so that breaking one breaks nothing else), the output of one nx command split per
 * task, and the checks that nothing was executed, leaked or left behind.
 */

/** The one ANSI stripper of the e2e tests (../support/output.ts), for the battery's files. */
export { plain };

/** A value no file, log or cache holds by chance. */
export const canary = (label: string): string => `${label}-${randomUUID().replace(/-/g, '')}`;

/** The base image provision.sh makes available offline; small and fast to build on. */
export const SLIM_BASE = 'python:3.12-slim-bookworm';

export interface ProjectFiles {
  /** Extra lines after `dependencies = [...]` in [project] (before any other table). */
  projectLines?: string[];
  /** Text appended at the end of pyproject.toml (tables). */
  tables?: string;
  /** The whole Dockerfile; the default copies pyproject.toml and uv.lock. */
  dockerfile?: string;
  /** The whole uv.lock; the default holds the project and numpy. */
  lock?: string;
  /** More files, by path relative to the project folder. */
  extraFiles?: Record<string, string>;
}

/** What the stand-in wheel stage runs: a real (tiny, reproducible) wheel, a zip whose bytes depend on the version. */
export const MAKE_WHEEL_PY = [
  'import sys, zipfile',
  'path, version = sys.argv[1], sys.argv[2]',
  'with zipfile.ZipFile(path, "w") as archive:',
  '    archive.writestr(zipfile.ZipInfo("flash_attn/__init__.py", date_time=(2020, 1, 1, 0, 0, 0)), f\'__version__ = "{version}"\\n\')',
  '',
].join('\n');

export function pyprojectText(name: string, files: ProjectFiles = {}): string {
  return [
    '[project]',
    `name = "${name}"`,
    'version = "0.1.0"',
    'requires-python = ">=3.11"',
    'dependencies = ["numpy>=1.26"]',
    ...(files.projectLines ?? []),
    '',
    files.tables ?? '',
  ].join('\n');
}

export function lockText(name: string): string {
  return [
    'version = 1',
    'revision = 3',
    'requires-python = ">=3.11"',
    '',
    '[[package]]',
    `name = "${name}"`,
    'version = "0.1.0"',
    'source = { editable = "." }',
    'dependencies = [',
    '    { name = "numpy" },',
    ']',
    '',
    '[package.metadata]',
    'requires-dist = [{ name = "numpy", specifier = ">=1.26" }]',
    '',
    '[[package]]',
    'name = "numpy"',
    'version = "2.2.6"',
    'source = { registry = "https://pypi.org/simple" }',
    '',
  ].join('\n');
}

export const SIMPLE_DOCKERFILE = [
  `FROM ${SLIM_BASE} AS app`,
  'WORKDIR /app',
  'COPY pyproject.toml uv.lock ./',
  'CMD ["python", "-c", "print(1)"]',
  '',
].join('\n');

/**
 * A Dockerfile of the recipe's shape with a wheel stage that "compiles" in COMPILE_SECONDS and writes one
 * flash_attn wheel whose bytes depend on the version, a FROM scratch export stage, and dev/prod stages.
 * `wheelPrelude` lines go right after `FROM base AS wheel-prod` (a secret mount, ...).
 */
export function wheelDockerfile(options: { wheelPrelude?: string[] } = {}): string {
  return [
    `FROM ${SLIM_BASE} AS base`,
    'WORKDIR /app',
    'COPY pyproject.toml uv.lock ./',
    '',
    'FROM base AS wheel-prod',
    ...(options.wheelPrelude ?? []),
    'ARG FLASH_ATTN_VERSION=2.7.4',
    'ARG COMPILE_SECONDS=0',
    'COPY make_wheel.py /make_wheel.py',
    'RUN mkdir -p /wheelhouse && echo "hostile stand-in: compiling flash-attn" && sleep "${COMPILE_SECONDS}" && \\',
    '    python3 /make_wheel.py /wheelhouse/flash_attn-${FLASH_ATTN_VERSION}-py3-none-any.whl "${FLASH_ATTN_VERSION}" && \\',
    '    echo "hostile stand-in: compiled"',
    '',
    'FROM scratch AS wheels',
    'COPY --from=wheel-prod /wheelhouse/ /',
    '',
    'FROM base AS dev',
    'COPY --from=wheels / /wheels/',
    'RUN ls /wheels/',
    '',
    'FROM base AS prod',
    'COPY --from=wheels / /wheels/',
    'RUN ls /wheels/ && python3 -c "import glob, zipfile; print(zipfile.ZipFile(glob.glob(\'/wheels/*.whl\')[0]).read(\'flash_attn/__init__.py\').decode())"',
    '',
  ].join('\n');
}

/** Lays out `hostile/<name>/` with pyproject.toml, uv.lock and docker/Dockerfile. */
export function addProject(ws: Workspace, name: string, files: ProjectFiles = {}, folder = `hostile/${name}`): string {
  ws.write(`${folder}/pyproject.toml`, pyprojectText(name, files));
  ws.write(`${folder}/uv.lock`, files.lock ?? lockText(name));
  ws.write(`${folder}/docker/Dockerfile`, files.dockerfile ?? SIMPLE_DOCKERFILE);
  for (const [path, text] of Object.entries(files.extraFiles ?? {})) ws.write(`${folder}/${path}`, text);
  return folder;
}

/**
 * The output of a static-style run split per task: what follows each `> nx run project:target` header, up to
 * the next header or the summary.
 */
export function taskSections(output: string): Record<string, string> {
  const text = plain(output);
  const sections: Record<string, string> = {};
  // Project names may hold spaces (hostile ones do): the target is the last `:`-separated word.
  const headers = [...text.matchAll(/^> nx run (.+:[\w.-]+?)(?: +\[[^\]]*\])?[ \t]*$/gm)];
  headers.forEach((match, index) => {
    const end = index + 1 < headers.length ? headers[index + 1].index : text.search(/^\s*NX\s+(Ran|Running|Successfully)/m);
    sections[match[1]] = text.slice(match.index, end > match.index! ? end : undefined);
  });
  return sections;
}

/** The tasks a run-many reported as failed (`✖  nx run ...` or `Failed tasks:` list). */
export function failedTasks(output: string): string[] {
  const text = plain(output);
  const listed = text.split(/Failed tasks:/)[1] ?? '';
  return [...listed.matchAll(/^\s*- (.+:[\w.-]+)[ \t]*$/gm)].map((match) => match[1]).sort();
}

/** Entries of the system temp folder named like the plugin's own temporary folders. */
export function pluginTempEntries(): string[] {
  // The e2e support's own folders (the shared install, the workspaces, remote caches) are not the plugin's.
  const supportOwned = /^nx-uv-cuda-(install|ml-monorepo|gpu-monorepo|real-layouts|remote-cache)-/;
  return readdirSync(tmpdir()).filter((name) => name.startsWith('nx-uv-cuda-') && !supportOwned.test(name)).sort();
}

/** Temporary folders the executors make beside their outputs or in the wheel store, anywhere under `dir`. */
export function leftoverTempFolders(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) continue;
      if (/\.(ready|export|pull|tmp|partial)-|^\.[0-9a-f]{64}\./.test(name) || /^nx-uv-cuda-/.test(name)) found.push(relative(root, path));
      else walk(path);
    }
  };
  walk(join(root, 'dist'));
  walk(join(root, '.nx', 'workspace-data', 'nx-uv-cuda'));
  walk(join(root, 'hostile'));
  return found.sort();
}

/** The files under `dirs` that hold `text` (grep -rlaF, bounded). */
export function filesHolding(text: string, dirs: string[]): string[] {
  const existing = dirs.filter((dir) => existsSync(dir));
  if (existing.length === 0) return [];
  const grep = spawnSync('grep', ['-rlaF', '--', text, ...existing], { encoding: 'utf8', timeout: 60_000 });
  if (grep.status !== 0 && grep.status !== 1) throw new Error(`grep failed: ${grep.stderr}`);
  return grep.stdout.split('\n').filter(Boolean).sort();
}

/**
 * Asserts that `secret` is in none of the outputs, nor under dist/, Nx's task cache and the plugin's own data
 * (inference cache, wheel store). Nx's project graph cache is left out: it mirrors what project.json files say,
 * as written by the user.
 */
export function expectNowhere(secret: string, ws: Workspace, outputs: string[], extra: { remote?: string[]; labels?: string[] } = {}): void {
  for (const output of outputs) expect(output.includes(secret), `the secret appears in the output:\n${output.slice(-3000)}`).toBe(false);
  const stores = [join(ws.root, 'dist'), join(ws.root, '.nx', 'cache'), join(ws.root, '.nx', 'workspace-data', 'nx-uv-cuda')];
  expect(filesHolding(secret, stores)).toEqual([]);
  if (extra.remote) expect(extra.remote, 'remote cache entries holding the secret').toEqual([]);
  for (const label of extra.labels ?? []) expect(label.includes(secret), `the secret appears in image metadata: ${label}`).toBe(false);
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
