import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NX_VERSION, REPO_ROOT, git, installPackedPlugin, nxBin } from '../tools/example-workspace.mjs';
import { plain } from './support/output';
import { createWorkspace, disposeLater, disposeWorkspaces, type NxResult, type Workspace } from './support/workspace';

/**
 * Issue 5: from `nx add nx-uv-cuda` to a service whose targets Nx lists, in a fresh Nx 24 workspace with the
 * packed plugin; and the generators in an existing uv monorepo (the e2e fixture). No docker: the generated
 * Dockerfile cannot be built here (no PyPI, no ghcr.io, no uv), so it is checked by parsing it with the
 * plugin's own Dockerfile model, and the pyproject.toml files with Python's tomllib.
 */

const require = createRequire(join(REPO_ROOT, 'package.json'));
const { parseDockerfile } = require(join(REPO_ROOT, 'packages/nx-uv-cuda/dist/docker/parse-dockerfile.js')) as {
  parseDockerfile: (text: string, file: string) => { stages: { name?: string; stageRefs: string[]; baseImage: string }[] };
};
const STAGES = ['base', 'deps-dev', 'deps-prod', 'wheel-dev', 'wheel-prod', 'wheels', 'dev', 'prod'];
const PER_BACKEND = ['image-dev', 'image-prod', 'wheel-flash-attn', 'lock', 'smoke'];

async function runNx(root: string, args: string[], env: Record<string, string> = {}): Promise<NxResult> {
  const result = await execa(process.execPath, [nxBin(root), ...args], {
    cwd: root,
    reject: false,
    all: true,
    timeout: 300_000,
    stdin: 'ignore',
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', ...env },
  });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    all: String(result.all ?? ''),
  };
}

async function showProject(root: string, name: string) {
  const result = await runNx(root, ['show', 'project', name, '--json']);
  expect(result.exitCode, result.all).toBe(0);
  return JSON.parse(result.stdout) as {
    root: string;
    targets: Record<string, { options: Record<string, unknown> }>;
    metadata: { 'nx-uv-cuda': { warnings: string[] } };
  };
}

/** Parses TOML with Python's own parser (tomllib), independent of the plugin's. */
function pythonToml(root: string, file: string): Record<string, any> {
  const script = 'import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))';
  return JSON.parse(execFileSync('python3', ['-c', script, join(root, file)], { cwd: root, encoding: 'utf8' }));
}

function dockerfileStages(root: string, file: string): string[] {
  return parseDockerfile(readFileSync(join(root, file), 'utf8'), file).stages.map((stage) => stage.name ?? '?');
}

afterAll(() => disposeWorkspaces());

describe('generators in a fresh Nx workspace', () => {
  let root: string;
  let tarball: string;

  beforeAll(() => {
    const installDir = disposeLater(installPackedPlugin());
    tarball = join(installDir, readdirSync(installDir).find((name) => name.endsWith('.tgz'))!);
    root = disposeLater(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-fresh-')));
    // A real node_modules (not a link to the shared one): `nx add` installs into it.
    cpSync(join(installDir, 'node_modules'), join(root, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(root, 'package.json'), `${JSON.stringify({ name: 'fresh', private: true, devDependencies: { nx: NX_VERSION } }, null, 2)}\n`);
    writeFileSync(join(root, 'nx.json'), `${JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json' }, null, 2)}\n`);
    writeFileSync(join(root, '.gitignore'), 'node_modules\n');
    git(root, ['init', '-q', '-b', 'main']);
    git(root, ['add', '-A']);
    git(root, ['commit', '-q', '-m', 'empty Nx workspace']);
  });

  it('`nx add nx-uv-cuda` installs the plugin and runs init: nx.json and .gitignore, once', async () => {
    const added = await runNx(root, ['add', `nx-uv-cuda@file:${tarball}`], { npm_config_prefer_offline: 'true' });
    expect(added.exitCode, added.all).toBe(0);
    expect(added.all).toContain('nx-uv-cuda: registered the plugin in nx.json');
    expect(added.all).toContain('no Python project yet');
    expect(JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')).plugins).toEqual(['nx-uv-cuda']);
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toMatch(/^node_modules\n\n# Nx: .*\ndist\n\.nx\/cache\n\.nx\/workspace-data\n$/);

    const nxJson = readFileSync(join(root, 'nx.json'), 'utf8');
    const again = await runNx(root, ['g', 'nx-uv-cuda:init']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.all).toContain('the plugin is already registered');
    expect(readFileSync(join(root, 'nx.json'), 'utf8')).toBe(nxJson);
  });

  it('`nx g nx-uv-cuda:service` makes a project with the image, wheel, lock and smoke targets of each backend', async () => {
    const generated = await runNx(root, ['g', 'nx-uv-cuda:service', 'ml-service', '--backends=cu124,cu128']);
    expect(generated.exitCode, generated.all).toBe(0);
    expect(plain(generated.all)).toContain('CREATE services/ml-service/docker/Dockerfile-cu124-uv');
    // Until `uv lock` writes uv.lock the project has its lock targets only (and says so).
    const unlocked = await showProject(root, 'ml-service');
    expect(Object.keys(unlocked.targets).sort()).toEqual(['lock', 'lock-check']);
    expect(unlocked.metadata['nx-uv-cuda'].warnings).toContain(
      'services/ml-service/uv.lock does not exist: lock targets only until `uv lock` writes it',
    );
    lockStandIn(root, 'services/ml-service');

    const project = await showProject(root, 'ml-service');
    expect(project.root).toBe('services/ml-service');
    for (const backend of ['cu124', 'cu128']) {
      for (const target of PER_BACKEND) expect(project.targets).toHaveProperty(`${target}-${backend}`);
    }
    expect(project.targets['image-prod-cu128'].options).toMatchObject({
      dockerfile: 'services/ml-service/docker/Dockerfile-cu124-uv',
      context: 'services/ml-service',
      target: 'prod',
      wheelsContext: 'wheels',
    });
  });

  it('writes pyproject.toml files that parse, with one conflicting extra and one explicit index per backend', () => {
    const pyproject = pythonToml(root, 'services/ml-service/pyproject.toml');
    expect(Object.keys(pyproject.project['optional-dependencies'])).toEqual(['cu124', 'cu128']);
    expect(pyproject.tool.uv.conflicts).toEqual([[{ extra: 'cu124' }, { extra: 'cu128' }]]);
    expect(pyproject.tool.uv.index.map((index: { url: string; explicit: boolean }) => [index.url, index.explicit])).toEqual([
      ['https://download.pytorch.org/whl/cu124', true],
      ['https://download.pytorch.org/whl/cu128', true],
    ]);
    expect(pyproject.tool.uv['extra-build-dependencies']['flash-attn'][0]).toEqual({ requirement: 'torch', 'match-runtime': true });
    const prod = pythonToml(root, 'services/ml-service/prod/pyproject.toml');
    expect(prod.tool.uv.package).toBe(false);
    expect(prod.project['optional-dependencies']).toEqual(pyproject.project['optional-dependencies']);
  });

  it('writes a Dockerfile that parses into the template stages', () => {
    expect(dockerfileStages(root, 'services/ml-service/docker/Dockerfile-cu124-uv')).toEqual(STAGES);
    expect(existsSync(join(root, 'services/ml-service/.dockerignore'))).toBe(true);
  });

  it('leaves the wheel targets out of a service without flash-attn', async () => {
    const generated = await runNx(root, ['g', 'nx-uv-cuda:service', 'embedder', '--backends=cu128', '--flashAttn=false']);
    expect(generated.exitCode, generated.all).toBe(0);
    lockStandIn(root, 'services/embedder');
    const project = await showProject(root, 'embedder');
    expect(project.targets).toHaveProperty('image-prod-cu128');
    expect(project.targets).toHaveProperty('smoke-cu128');
    expect(project.targets).not.toHaveProperty('wheel-flash-attn-cu128');
    expect(dockerfileStages(root, 'services/embedder/docker/Dockerfile-cu124-uv')).toEqual(STAGES);
  });

  it('rejects a backend that is not a PyTorch CUDA backend, naming it', async () => {
    const result = await runNx(root, ['g', 'nx-uv-cuda:service', 'broken', '--backends=cuda12']);
    expect(result.exitCode).not.toBe(0);
    expect(plain(result.all)).toContain(
      'nx-uv-cuda:service options: backends[0]: expected a PyTorch CUDA backend like cu124, cu126 or cu128',
    );
    expect(existsSync(join(root, 'services/broken'))).toBe(false);
  });
});

/** What `uv lock` would write, as far as inference reads it (PyPI is not reachable here): a lock exists. */
function lockStandIn(root: string, dir: string): void {
  writeFileSync(join(root, dir, 'uv.lock'), 'version = 1\nrevision = 3\nrequires-python = ">=3.12"\n');
}

describe('generators in an existing uv monorepo', () => {
  let ws: Workspace;

  beforeAll(() => {
    ws = createWorkspace({ fixture: 'ml-monorepo' });
  });

  it('init keeps the registration and reports what the plugin infers', async () => {
    const nxJson = ws.read('nx.json');
    const result = await ws.nx(['g', 'nx-uv-cuda:init']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('the plugin is already registered');
    expect(result.all).toContain(
      'ml-service (services/ml-service): backends cu124, cu128; services/ml-service/docker/Dockerfile-cu124-uv: images dev, prod and the flash-attn wheel',
    );
    expect(result.all).toContain('shared (libs/shared): backend default; no Dockerfile builds it: lock, lock-check');
    expect(ws.read('nx.json')).toBe(nxJson);
  });

  it('service joins the uv workspace: built from the workspace root, with its own ignore file', async () => {
    const result = await ws.nx(['g', 'nx-uv-cuda:service', 'ranker', '--backends=cu124,cu128']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/member of the uv workspace at \.; uv reads build settings from the workspace root only/);
    const project = await showProject(ws.root, 'ranker');
    for (const backend of ['cu124', 'cu128']) {
      for (const target of PER_BACKEND) expect(project.targets).toHaveProperty(`${target}-${backend}`);
    }
    expect(project.targets['image-dev-cu124'].options).toMatchObject({ context: '.', dockerfile: 'services/ranker/docker/Dockerfile-cu124-uv' });
    expect(dockerfileStages(ws.root, 'services/ranker/docker/Dockerfile-cu124-uv')).toEqual(STAGES);
    expect(ws.exists('services/ranker/docker/Dockerfile-cu124-uv.dockerignore')).toBe(true);
    expect(pythonToml(ws.root, 'services/ranker/pyproject.toml').project.name).toBe('ranker');
  });

  it('dockerfile adds the template to an existing project and touches nothing else', async () => {
    ws.commitAll('ranker');
    const result = await ws.nx(['g', 'nx-uv-cuda:dockerfile', 'shared']);
    expect(result.exitCode, result.all).toBe(0);
    expect(ws.git(['status', '--porcelain', '--untracked-files=all']).trim().split('\n').sort()).toEqual([
      '?? libs/shared/docker/Dockerfile-cu124-uv',
      '?? libs/shared/docker/Dockerfile-cu124-uv.dockerignore',
    ]);
    const project = await showProject(ws.root, 'shared');
    expect(project.targets).toHaveProperty('image-prod-cu124');
    expect(project.targets).not.toHaveProperty('wheel-flash-attn-cu124');
    expect(dockerfileStages(ws.root, 'libs/shared/docker/Dockerfile-cu124-uv')).toEqual(STAGES);
  });
});
