// The workspaces the scenarios edit: the e2e fixture (e2e/fixtures/ml-monorepo) laid out by
// tools/example-workspace.mjs with the packed plugin, plus a third service, in three variants that receive the
// same edits:
//   plugin         nx.json registers nx-uv-cuda with a registry: the plugin as inferred;
//   whole-project  the same, with the wheel and image targets' inputs replaced through nx.json targetDefaults
//                  by what @nx/docker infers for a Dockerfile project (`default`, `^default`) plus the
//                  workspace files outside the project that the Dockerfiles copy (baseline a);
//   buildx         the same files, built with plain `docker buildx build` (baseline b, see buildx-baseline.mjs).
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createExampleWorkspace, git, nxBin } from '../../example-workspace.mjs';
import { runLogged } from './process.mjs';
import {
  addMemberLike,
  lockConflicts,
  pyprojectConflicts,
  renameProject,
  replaceLockConflicts,
  replacePyprojectConflicts,
} from './uv-lock-edit.mjs';

export const BACKENDS = ['cu124', 'cu128'];
export const NX_RUN_TIMEOUT_MS = 45 * 60_000;

/** Inputs of baseline (a): @nx/docker's `default`/`^default` plus what the Dockerfiles copy from outside the project. */
export const WHOLE_PROJECT_INPUTS = [
  'default',
  '^default',
  '{workspaceRoot}/uv.lock',
  '{workspaceRoot}/pyproject.toml',
  '{workspaceRoot}/stand-ins/**/*',
];

/** A workspace on disk with the few file operations the edits need. */
export class Workspace {
  constructor(root, variant) {
    this.root = root;
    this.variant = variant;
  }
  path(file) {
    return join(this.root, file);
  }
  exists(file) {
    return existsSync(this.path(file));
  }
  read(file) {
    return readFileSync(this.path(file), 'utf8');
  }
  write(file, text) {
    mkdirSync(join(this.path(file), '..'), { recursive: true });
    writeFileSync(this.path(file), text);
  }
  append(file, text) {
    this.write(file, this.read(file) + text);
  }
  /** Rewrites a file through `change`; fails when the change leaves it as it was (an edit that edits nothing). */
  edit(file, change) {
    const before = this.read(file);
    const after = change(before);
    if (after === before) throw new Error(`edit of ${file} in ${this.root} changed nothing`);
    this.write(file, after);
  }
  remove(file) {
    rmSync(this.path(file), { recursive: true, force: true });
  }
  /** The services (folders of services/ with a Dockerfile), sorted. */
  services() {
    return readdirSync(this.path('services'))
      .filter((name) => this.dockerfile(name) !== undefined)
      .sort();
  }
  /** The service's Dockerfile (`docker/Dockerfile*`, the plugin's default glob), workspace-relative. */
  dockerfile(service) {
    const dir = `services/${service}/docker`;
    if (!existsSync(this.path(dir))) return undefined;
    const name = readdirSync(this.path(dir))
      .filter((file) => file.startsWith('Dockerfile') && !file.endsWith('.dockerignore'))
      .sort()[0];
    return name && `${dir}/${name}`;
  }
  /** Every file below `dir` (workspace-relative). */
  files(dir) {
    const out = [];
    const walk = (current) => {
      for (const name of readdirSync(this.path(current))) {
        const file = `${current}/${name}`;
        if (statSync(this.path(file)).isDirectory()) walk(file);
        else out.push(file);
      }
    };
    walk(dir);
    return out;
  }
  commit(message) {
    git(this.root, ['add', '-A']);
    git(this.root, ['commit', '-q', '--allow-empty', '-m', message]);
  }
}

/**
 * Copies services/<from> to services/<to> as a new uv workspace member: files renamed, the member added to the
 * root uv.lock, and the cross-service backend conflicts that uv needs declared in the root pyproject.toml and lock.
 */
export function addService(ws, { from, to }) {
  const fromModule = from.replaceAll('-', '_');
  const toModule = to.replaceAll('-', '_');
  cpSync(ws.path(`services/${from}`), ws.path(`services/${to}`), { recursive: true });
  renameSync(ws.path(`services/${to}/src/${fromModule}`), ws.path(`services/${to}/src/${toModule}`));
  for (const file of ws.files(`services/${to}`)) {
    const text = ws.read(file);
    const renamed = file.endsWith('uv.lock')
      ? renameProject(text, from, to)
      : text.replaceAll(from, to).replaceAll(fromModule, toModule);
    if (renamed !== text) ws.write(file, renamed);
  }
  const services = ws.services();
  ws.write('uv.lock', replaceLockConflicts(addMemberLike(ws.read('uv.lock'), { from, to }), lockConflicts(services, BACKENDS)));
  ws.edit('pyproject.toml', (text) => replacePyprojectConflicts(text, pyprojectConflicts(services, BACKENDS)));
}

/** The files of every service's Dockerfile (workspace-relative). */
export function dockerfiles(ws) {
  return ws.services().map((service) => ws.dockerfile(service));
}

/**
 * Gives every Dockerfile of `ws` a fixed compile delay and the BuildKit cache namespace of its variant: an ENV
 * line at the top of the base stage, so that the three variants (one engine) never share a cached layer.
 */
export function markDockerfiles(ws, { variant, compileSeconds }) {
  for (const file of dockerfiles(ws)) {
    ws.edit(file, (text) => {
      let out = text.replace(/^ARG FLASH_ATTN_STANDIN_COMPILE_SECONDS=.*$/gm, `ARG FLASH_ATTN_STANDIN_COMPILE_SECONDS=${compileSeconds}`);
      out = out.replace(/^ENV NX_UV_CUDA_BENCH_CACHE=.*\n/m, '');
      return out.replace(/^(FROM \S+ AS base\n)/m, `$1ENV NX_UV_CUDA_BENCH_CACHE=${variant}\n`);
    });
  }
}

/**
 * One variant of the scenario workspace, committed: fixture + vision-service (a copy of ml-service: a second
 * user of libs/shared) + cu128 torch pinned as `~=2.7.0` (so that a lock-only torch upgrade is consistent).
 */
export function createScenarioWorkspace({ installDir, variant, registry, compileSeconds, cacheNamespace = variant }) {
  const root = createExampleWorkspace({ fixture: 'ml-monorepo', installDir, pluginOptions: { registry } });
  const ws = new Workspace(root, variant);
  addService(ws, { from: 'ml-service', to: 'vision-service' });
  for (const file of [...ws.services().flatMap((s) => [`services/${s}/pyproject.toml`, `services/${s}/prod/pyproject.toml`])]) {
    ws.edit(file, (text) => text.replaceAll('"torch==2.7.0"', '"torch~=2.7.0"'));
  }
  for (const file of ['uv.lock', ...ws.services().map((s) => `services/${s}/prod/uv.lock`)]) {
    ws.edit(file, (text) => text.replaceAll('specifier = "==2.7.0"', 'specifier = "~=2.7.0"'));
  }
  markDockerfiles(ws, { variant: cacheNamespace, compileSeconds });
  if (variant === 'whole-project') {
    const nxJson = JSON.parse(ws.read('nx.json'));
    nxJson.namedInputs = { default: ['{projectRoot}/**/*'] };
    nxJson.targetDefaults = {
      'nx-uv-cuda:image': { inputs: WHOLE_PROJECT_INPUTS },
      'nx-uv-cuda:wheel': { inputs: WHOLE_PROJECT_INPUTS },
    };
    ws.write('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
  }
  ws.commit(`bench setup (${variant})`);
  return ws;
}

/** A `git clone` of `ws` in a new folder with node_modules linked: shares nothing with it but the registry. */
export function cloneWorkspace(ws, target) {
  git(join(ws.root, '..'), ['clone', '-q', ws.root, target]);
  symlinkSync(realpathSync(ws.path('node_modules')), join(target, 'node_modules'), 'dir');
  return new Workspace(target, ws.variant);
}

export function nxEnv(extra = {}) {
  return { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', FORCE_COLOR: '0', ...extra };
}

/** `nx run-many -t image` with every task's output in order (static style; one task at a time unless `parallel`). */
export function runImages(ws, { logFile, env = {}, parallel = 1 }) {
  return runLogged(process.execPath, [nxBin(ws.root), 'run-many', '-t', 'image', '--output-style=static', `--parallel=${parallel}`], {
    cwd: ws.root,
    env: nxEnv(env),
    timeoutMs: NX_RUN_TIMEOUT_MS,
    logFile,
  });
}

/** The inferred configuration of one project, as `nx show project --json` prints it. */
export async function showProject(ws, project, logFile) {
  const result = await runLogged(process.execPath, [nxBin(ws.root), 'show', 'project', project, '--json'], {
    cwd: ws.root,
    env: nxEnv(),
    timeoutMs: 120_000,
    logFile,
  });
  if (result.exitCode !== 0) throw new Error(`nx show project ${project} failed in ${ws.root}:\n${result.output.slice(-3000)}`);
  return JSON.parse(result.output.slice(result.output.indexOf('{')));
}
