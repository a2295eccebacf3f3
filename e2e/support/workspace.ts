import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { createExampleWorkspace, git, installPackedPlugin, nxBin } from '../../tools/example-workspace.mjs';

let installDir: string | undefined;
const createdPaths: string[] = [];

/** Removes every workspace this test file created, and the shared install: call it from `afterAll`. */
export function disposeWorkspaces(): void {
  for (const path of createdPaths.splice(0)) rmSync(path, { recursive: true, force: true });
  if (installDir) rmSync(installDir, { recursive: true, force: true });
  installDir = undefined;
}

/** Registers a folder (a clone, a cache) for `disposeWorkspaces`. */
export function disposeLater(path: string): string {
  createdPaths.push(path);
  return path;
}

export interface Workspace {
  root: string;
  nx(args: string[], options?: Options): Promise<NxResult>;
  write(path: string, text: string): void;
  read(path: string): string;
  append(path: string, text: string): void;
  exists(path: string): boolean;
  git(args: string[]): string;
  commitAll(message: string): void;
}

export interface NxResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

/** A fresh git workspace of the fixture with the packed plugin and nx 24 from npm (installed once per file). */
export function createWorkspace(options: { fixture: string; pluginOptions?: Record<string, unknown> }): Workspace {
  installDir ??= installPackedPlugin();
  const root = disposeLater(createExampleWorkspace({ ...options, installDir }));
  return {
    root,
    nx: (args, execaOptions) => runNx(root, args, execaOptions),
    write: (path, text) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    },
    read: (path) => readFileSync(join(root, path), 'utf8'),
    append: (path, text) => writeFileSync(join(root, path), readFileSync(join(root, path), 'utf8') + text),
    exists: (path) => existsSync(join(root, path)),
    git: (args) => git(root, args),
    commitAll: (message) => {
      git(root, ['add', '-A']);
      git(root, ['commit', '-q', '-m', message]);
    },
  };
}

async function runNx(root: string, args: string[], options: Options = {}): Promise<NxResult> {
  // Without a terminal, run-many and affected print only one line per task that passed: `static` prints each
  // task's output under its `> nx run` header, so tests can tell which tasks really built.
  const manyTasks = ['run-many', 'affected'].includes(args[0]) && !args.some((arg) => arg.startsWith('--outputStyle') || arg.startsWith('--output-style'));
  const result = await execa(process.execPath, [nxBin(root), ...args, ...(manyTasks ? ['--outputStyle=static'] : [])], {
    cwd: root,
    reject: false,
    all: true,
    timeout: 600_000,
    stdin: 'ignore',
    ...options,
    env: { ...nxEnv(root), ...options.env },
  });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    all: String(result.all ?? ''),
  };
}

/**
 * The environment of every nx command of the tests: no daemon, no cloud, static output, and the cache in the
 * workspace (Nx 24 would keep it per repository under ~/.nx), so tests are isolated and disposal removes it.
 */
export function nxEnv(root: string): Record<string, string> {
  return {
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    CI: 'true',
    NX_CACHE_DIRECTORY: join(root, '.nx', 'cache'),
  };
}
