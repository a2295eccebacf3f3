import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type Options } from 'execa';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const FIXTURES = join(REPO_ROOT, 'e2e', 'fixtures');
const PLUGIN_DIR = join(REPO_ROOT, 'packages', 'nx-uv-cuda');
const NX_VERSION = '24.0.6';
const DEVKIT_VERSION = '24.0.0';

/**
 * A node_modules with nx from npm and the packed plugin, installed once per test run and shared by every
 * temporary workspace through a symlink (installing nx takes tens of seconds).
 */
let template: string | undefined;
export function installedTemplate(): string {
  if (template) return template;
  const dir = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-e2e-template-'));
  execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: PLUGIN_DIR, stdio: 'pipe', timeout: 120_000 });
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'e2e-template',
      private: true,
      devDependencies: { nx: NX_VERSION, '@nx/devkit': DEVKIT_VERSION, 'nx-uv-cuda': `file:./${tarball}` },
    }),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: dir,
    stdio: 'pipe',
    timeout: 300_000,
  });
  template = dir;
  return dir;
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

export interface WorkspaceOptions {
  fixture: string;
  pluginOptions?: Record<string, unknown>;
}

/** A fresh git repository holding the fixture, nx.json registering the plugin, and the shared node_modules. */
export function createWorkspace(options: WorkspaceOptions): Workspace {
  const root = mkdtempSync(join(tmpdir(), `nx-uv-cuda-e2e-${options.fixture}-`));
  cpSync(join(FIXTURES, options.fixture), root, { recursive: true });
  symlinkSync(join(installedTemplate(), 'node_modules'), join(root, 'node_modules'), 'dir');
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ name: 'ml-monorepo', private: true, devDependencies: { nx: NX_VERSION } }, null, 2),
  );
  writeFileSync(
    join(root, 'nx.json'),
    JSON.stringify(
      {
        $schema: './node_modules/nx/schemas/nx-schema.json',
        plugins: [{ plugin: 'nx-uv-cuda', options: options.pluginOptions ?? {} }],
        defaultBase: 'main',
      },
      null,
      2,
    ),
  );
  writeFileSync(join(root, '.gitignore'), 'node_modules\ndist\n.nx\n');
  const git = (args: string[]) =>
    execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.invalid', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.invalid' },
    });
  git(['init', '-q', '-b', 'main']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'initial']);

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
    git,
    commitAll: (message) => {
      git(['add', '-A']);
      git(['commit', '-q', '-m', message]);
    },
  };
}

async function runNx(root: string, args: string[], options: Options = {}): Promise<NxResult> {
  const result = await execa(process.execPath, [join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
    cwd: root,
    reject: false,
    all: true,
    timeout: 600_000,
    stdin: 'ignore',
    ...options,
    env: {
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      NX_SKIP_NX_CACHE: undefined,
      CI: 'true',
      ...options.env,
    },
  });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    all: String(result.all ?? ''),
  };
}
