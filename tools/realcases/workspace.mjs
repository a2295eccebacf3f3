// Real repositories as Nx workspaces: where they are (bare mirrors or work trees), which of their files are
// packaging files, and the throwaway workspaces (plugin and baseline) that hold only those files.
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, posix, relative, sep } from 'node:path';
import { runBounded } from '../bounded-process.mjs';
import { git, NX_VERSION } from '../example-workspace.mjs';
import { nxEnv } from '../bench/graph/workspace.mjs';

export const GIT_TIMEOUT_MS = 120_000;

/**
 * Runs a process with stdout and stderr in separate files (tools/bounded-process.mjs). Never throws for a failing exit.
 * @returns {Promise<{ code: number | null, signal: string | null, timedOut: boolean, wall: number, stdout: string, stderr: string }>}
 */
export async function runProcess(command, args, { cwd, env = process.env, timeoutMs, stdoutFile, stderrFile, input }) {
  const { exitCode, ...result } = await runBounded(command, args, { cwd, env, timeoutMs, stdoutFile, stderrFile, input });
  return { code: exitCode, ...result, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8') };
}

/** Packaging files by base name: what the plugin and the repository's image builds read. */
const PACKAGING = [
  /^pyproject.*\.toml$/,
  /^uv.*\.lock$/,
  /^(Dockerfile|Containerfile)(\..+)?$/,
  /^Containerfile.*$/,
  /^.+\.[Dd]ockerfile$/,
  /^(.+\.)?\.?dockerignore$/, // .dockerignore, and BuildKit's per-Dockerfile <name>.dockerignore
  /^\.python-version$/,
];
const BESIDE_PYPROJECT = new Set(['project.json', 'package.json']);

/** The packaging files among a repository's paths (posix, relative to its root). */
export function packagingFiles(paths) {
  const dirsWithPyproject = new Set(paths.filter((path) => posix.basename(path) === 'pyproject.toml').map(posix.dirname));
  return paths.filter((path) => {
    const name = posix.basename(path);
    if (BESIDE_PYPROJECT.has(name)) return dirsWithPyproject.has(posix.dirname(path));
    return PACKAGING.some((pattern) => pattern.test(name));
  });
}

/**
 * The repositories under `folder`: `<id>/repo` (a bare mirror, or a clone whose git directory is repo/.git),
 * `<id>.git` or any bare git directory, a work tree with .git, or a plain folder with a top-level pyproject.toml.
 * @returns {{ found: Array<{ id: string, kind: 'git' | 'worktree' | 'plain', path: string, gitArgs?: string[] }>, skipped: string[] }}
 */
export function discoverRepos(folder) {
  const found = [];
  const skipped = [];
  for (const name of readdirSync(folder).sort()) {
    if (name.startsWith('.')) continue; // hidden: bookkeeping of whatever fetched the repositories
    const path = join(folder, name);
    if (!statSync(path).isDirectory()) continue;
    const id = name.replace(/\.git$/, '');
    const mirror = [join(path, 'repo', '.git'), join(path, 'repo')].find(isBareGitDir);
    // A fetched clone may come with its work tree (repo/ holds more than .git) or without it.
    const clone = join(path, 'repo');
    if (existsSync(join(clone, '.git')) && readdirSync(clone).some((entry) => entry !== '.git')) {
      found.push({ id, kind: 'worktree', path: clone, gitArgs: ['-C', clone] });
    } else if (mirror) found.push({ id, kind: 'git', path: mirror, gitArgs: [`--git-dir=${mirror}`] });
    else if (isBareGitDir(path)) found.push({ id, kind: 'git', path, gitArgs: [`--git-dir=${path}`] });
    else if (existsSync(join(path, '.git'))) found.push({ id, kind: 'worktree', path, gitArgs: ['-C', path] });
    else if (existsSync(join(path, 'pyproject.toml'))) found.push({ id, kind: 'plain', path });
    else skipped.push(name);
  }
  return { found, skipped };
}

function isBareGitDir(path) {
  return existsSync(join(path, 'HEAD')) && existsSync(join(path, 'objects')) && existsSync(join(path, 'refs'));
}

/** git on a source repository: bounded, and allowed on folders another user owns (read only). */
async function sourceGit(repo, args, scratch, { input, binary = false } = {}) {
  const result = await runProcess('git', ['-c', 'safe.directory=*', '--literal-pathspecs', ...repo.gitArgs, ...args], {
    cwd: scratch,
    timeoutMs: GIT_TIMEOUT_MS,
    stdoutFile: join(scratch, binary ? 'git-out.bin' : 'git-out.txt'),
    stderrFile: join(scratch, 'git-err.txt'),
    input,
  });
  if (result.code !== 0) {
    throw new Error(`git ${args[0]} failed in ${repo.path}${result.timedOut ? ' (timed out)' : ''}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/**
 * Copies the repository's packaging files into `dest` at their paths, from its HEAD commit (git) or its files
 * on disk (work tree: tracked and untracked-not-ignored files). Symbolic links and submodules are left out.
 * @returns {Promise<{ commit?: string, files: string[], skipped: string[] }>}
 */
export async function extractPackaging(repo, dest, scratch) {
  mkdirSync(dest, { recursive: true });
  if (repo.kind === 'git') {
    const listing = await sourceGit(repo, ['ls-tree', '-r', '-z', 'HEAD'], scratch);
    const entries = listing.split('\0').filter(Boolean).map((line) => {
      const [meta, path] = line.split('\t');
      return { mode: meta.split(' ')[0], path };
    });
    const wanted = new Set(packagingFiles(entries.map((entry) => entry.path)));
    const files = entries.filter((entry) => wanted.has(entry.path) && /^100[67]/.test(entry.mode)).map((entry) => entry.path);
    const skipped = entries.filter((entry) => wanted.has(entry.path) && !/^100[67]/.test(entry.mode)).map((entry) => entry.path);
    // In chunks: a repository with thousands of packaging files must not overflow the argument list.
    for (let start = 0; start < files.length; start += 500) {
      await sourceGit(repo, ['archive', '--format=tar', '-o', join(scratch, 'packaging.tar'), 'HEAD', '--', ...files.slice(start, start + 500)], scratch);
      const untar = await runProcess('tar', ['-x', '-f', join(scratch, 'packaging.tar'), '-C', dest], {
        cwd: scratch,
        timeoutMs: GIT_TIMEOUT_MS,
        stdoutFile: join(scratch, 'tar-out.txt'),
        stderrFile: join(scratch, 'tar-err.txt'),
      });
      if (untar.code !== 0) throw new Error(`tar -x failed for ${repo.path}: ${untar.stderr.trim()}`);
    }
    const commit = (await sourceGit(repo, ['rev-parse', 'HEAD'], scratch)).trim();
    return { commit, files, skipped };
  }
  const paths =
    repo.kind === 'worktree'
      ? (await sourceGit(repo, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], scratch)).split('\0').filter(Boolean)
      : walk(repo.path);
  const files = [];
  const skipped = [];
  for (const path of packagingFiles([...new Set(paths)])) {
    const from = join(repo.path, path);
    if (!existsSync(from)) continue; // deleted in the work tree, still in the index
    if (!lstatSync(from).isFile()) {
      skipped.push(path);
      continue;
    }
    mkdirSync(dirname(join(dest, path)), { recursive: true });
    cpSync(from, join(dest, path));
    files.push(path);
  }
  let commit;
  if (repo.kind === 'worktree') commit = (await sourceGit(repo, ['rev-parse', 'HEAD'], scratch).catch(() => '')).trim() || undefined;
  return { commit, files, skipped };
}

/** Files of a plain folder, without the folders no repository commits. */
function walk(root, dir = root, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!['.git', 'node_modules', '.venv', 'venv', '.nx', '__pycache__', '.tox', '.mypy_cache'].includes(entry.name)) {
        walk(root, join(dir, entry.name), out);
      }
    } else out.push(relative(root, join(dir, entry.name)).split(sep).join('/'));
  }
  return out;
}

/**
 * A workspace: the packaging files, nx.json (the plugin with no options at all, or no plugin for the baseline),
 * a root package.json without a name (so the root project keeps the name the plugin gives it), a link to the
 * installed node_modules, and a git repository with everything committed.
 */
export function createWorkspace({ staging, root, installDir, withPlugin }) {
  cpSync(staging, root, { recursive: true });
  const packageFile = join(root, 'package.json');
  // A root package.json of the repository (beside its root pyproject.toml) is kept; nx only has to resolve.
  const own = existsSync(packageFile) ? JSON.parse(readFileSync(packageFile, 'utf8')) : {};
  writeFileSync(packageFile, `${JSON.stringify({ ...own, private: true, devDependencies: { ...own.devDependencies, nx: NX_VERSION } }, null, 2)}\n`);
  writeFileSync(join(root, 'nx.json'), `${JSON.stringify(withPlugin ? { plugins: [{ plugin: 'nx-uv-cuda' }] } : {}, null, 2)}\n`);
  writeFileSync(join(root, '.gitignore'), 'node_modules\n.nx\n');
  symlinkSync(join(installDir, 'node_modules'), join(root, 'node_modules'), 'dir');
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '--no-verify', '-m', 'packaging files']);
  return root;
}

/** The workspace's own Nx folders: both under .nx/, so that removing .nx/ makes everything cold. */
export function nxDirs(root) {
  return { cache: join(root, '.nx', 'cache'), data: join(root, '.nx', 'workspace-data') };
}

/** The environment of every nx process: no daemon, no cloud, this workspace's private cache and data folders. */
export function workspaceEnv(root) {
  const dirs = nxDirs(root);
  return nxEnv({ NX_CACHE_DIRECTORY: dirs.cache, NX_WORKSPACE_DATA_DIRECTORY: dirs.data, NX_PROJECT_GRAPH_CACHE_DIRECTORY: undefined });
}

/** Everything Nx and the plugin keep between runs is gone: the next run is cold. */
export function makeCold(root) {
  rmSync(join(root, '.nx'), { recursive: true, force: true });
  if (existsSync(join(root, '.nx'))) throw new Error(`could not remove ${join(root, '.nx')}`);
}

/**
 * What a warm run needs to find: Nx's project graph cache, and (plugin variant) the plugin's inference cache.
 * @returns {string[]} what is missing
 */
export function missingWarmState(root, withPlugin) {
  const { data } = nxDirs(root);
  const names = existsSync(data) ? readdirSync(data) : [];
  const missing = [];
  if (!names.includes('project-graph.json')) missing.push('project-graph.json');
  if (withPlugin && !names.some((name) => /^nx-uv-cuda-.*\.json$/.test(name))) missing.push('nx-uv-cuda inference cache');
  return missing;
}

/**
 * The plugin's inference cache files with their size and modification time: the plugin writes its cache only
 * when it inferred something, so a warm run that leaves this unchanged was served from the cache.
 */
export function inferenceCacheStamp(root) {
  const { data } = nxDirs(root);
  if (!existsSync(data)) return '';
  return readdirSync(data)
    .filter((name) => /^nx-uv-cuda-.*\.json$/.test(name))
    .map((name) => {
      const stat = statSync(join(data, name));
      return `${name}:${stat.size}:${stat.mtimeMs}`;
    })
    .join(',');
}

export const workspaceName = (id) => basename(id).replace(/[^A-Za-z0-9._-]/g, '_');
