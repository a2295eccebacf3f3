// Lays out a fresh Nx workspace from a fixture with the packed plugin and nx from npm:
// shared by the e2e tests and `npm run demo`, so both run exactly what a user would install.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(REPO_ROOT, 'e2e', 'fixtures');
const PLUGIN_DIR = join(REPO_ROOT, 'packages', 'nx-uv-cuda');
/**
 * The nx and @nx/devkit the workspaces install: the newest of the peer range by default; NX_UV_CUDA_E2E_NX sets
 * another (e2e/project.json runs `22.0.0`, the oldest the peer range admits, with @nx/devkit of the same version
 * unless NX_UV_CUDA_E2E_DEVKIT says otherwise), to test the range's other end.
 */
export const NX_VERSION = process.env.NX_UV_CUDA_E2E_NX || '24.0.6';
const DEVKIT_VERSION = process.env.NX_UV_CUDA_E2E_DEVKIT || (process.env.NX_UV_CUDA_E2E_NX ? NX_VERSION : '24.0.0');

/** The author and committer of every commit made here: for `git` below, and for the env of tests whose `nx release` makes commits. */
export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'nx-uv-cuda',
  GIT_AUTHOR_EMAIL: 'nx-uv-cuda@example.invalid',
  GIT_COMMITTER_NAME: 'nx-uv-cuda',
  GIT_COMMITTER_EMAIL: 'nx-uv-cuda@example.invalid',
};

/**
 * Packs the built plugin and installs it with nx from npm into a folder whose node_modules every example
 * workspace of this process links to (installing nx takes tens of seconds; once is enough).
 * @returns {string} the folder holding node_modules
 */
export function installPackedPlugin() {
  const dir = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-install-'));
  execFileSync('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { cwd: PLUGIN_DIR, stdio: 'pipe', timeout: 120_000 });
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'nx-uv-cuda-install',
      private: true,
      devDependencies: { nx: NX_VERSION, '@nx/devkit': DEVKIT_VERSION, 'nx-uv-cuda': `file:./${tarball}` },
    }),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: dir,
    stdio: 'pipe',
    timeout: 300_000,
  });
  return dir;
}

/**
 * A git repository holding the fixture, nx.json registering the plugin with `pluginOptions`, and a link to
 * the installed node_modules.
 * @param {{ fixture: string, installDir: string, pluginOptions?: Record<string, unknown> }} options
 * @returns {string} the workspace root
 */
export function createExampleWorkspace({ fixture, installDir, pluginOptions = {} }) {
  const root = mkdtempSync(join(tmpdir(), `nx-uv-cuda-${fixture}-`));
  cpSync(join(FIXTURES, fixture), root, { recursive: true });
  symlinkSync(join(installDir, 'node_modules'), join(root, 'node_modules'), 'dir');
  writeFileSync(
    join(root, 'package.json'),
    `${JSON.stringify({ name: fixture, private: true, devDependencies: { nx: NX_VERSION } }, null, 2)}\n`,
  );
  writeFileSync(
    join(root, 'nx.json'),
    `${JSON.stringify(
      {
        $schema: './node_modules/nx/schemas/nx-schema.json',
        plugins: [{ plugin: 'nx-uv-cuda', options: pluginOptions }],
        defaultBase: 'main',
        // One task at a time unless a test asks for more (--parallel): task outputs and timings stay in order.
        // Parallel runs are safe (e2e/parallel.e2e.ts) and measured in tools/bench/fleet.mjs.
        parallel: 1,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(root, '.gitignore'), 'node_modules\ndist\n.nx\n');
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '-m', 'initial']);
  return root;
}

/**
 * @param {string} root
 * @param {string[]} args
 * @returns {string} stdout
 */
export function git(root, args) {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...GIT_IDENTITY } });
}

/** The nx entry point of a workspace created here. */
export function nxBin(root) {
  // Where nx keeps its CLI moved between majors (bin/nx.js, later dist/bin/nx.js): its package.json says.
  const nxDir = join(root, 'node_modules', 'nx');
  const { bin } = JSON.parse(readFileSync(join(nxDir, 'package.json'), 'utf8'));
  return join(nxDir, typeof bin === 'string' ? bin : bin.nx);
}
