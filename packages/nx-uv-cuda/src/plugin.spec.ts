import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CreateDependenciesContext, CreateNodesContextV2, ProjectConfiguration } from '@nx/devkit';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The plugin under test reads these when its modules load, so they are set before it is imported (below).
const dataDir = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-plugin-data-'));
process.env.NX_WORKSPACE_DATA_DIRECTORY = dataDir;

const version = vi.hoisted(() => ({ current: '1.0.0-test' }));
vi.mock('./core/plugin-version', () => ({ pluginVersion: () => version.current }));
const inferred = vi.hoisted(() => ({ calls: 0 }));
vi.mock('./inference/infer-project', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./inference/infer-project')>();
  return {
    ...actual,
    inferProject: (...args: Parameters<typeof actual.inferProject>) => {
      inferred.calls++;
      return actual.inferProject(...args);
    },
  };
});

type Plugin = typeof import('./plugin.js');
let createNodesV2: Plugin['createNodesV2'];
let createDependencies: Plugin['createDependencies'];
let logger: typeof import('nx/src/devkit-exports').logger;

/** The recipe's shape; the context is the workspace root (the uv workspace's lock), so it copies the service's own pyproject.toml. */
const dockerfileOf = (service: string) => [
  'ARG CUDA_VERSION=12.4.1',
  'FROM nvidia/cuda:${CUDA_VERSION}-devel-ubuntu22.04 AS base',
  'FROM base AS deps',
  'COPY uv.lock ./',
  `COPY services/${service}/pyproject.toml services/${service}/`,
  'COPY libs/shared libs/shared',
  'FROM deps AS wheel-prod',
  'RUN echo compile',
  'FROM scratch AS wheels',
  'COPY --from=wheel-prod /wheelhouse/ /',
  'FROM deps AS dev',
  'FROM deps AS prod',
  '',
].join('\n');
const DOCKERFILE = dockerfileOf('ml');

const SERVICE = [
  '[project]',
  'name = "ML_Service"',
  'version = "0.1.0"',
  'dependencies = ["shared"]',
  '[project.optional-dependencies]',
  'cu124 = ["torch"]',
  'cu128 = ["torch"]',
  '[tool.uv.sources]',
  'shared = { workspace = true }',
  '',
].join('\n');

let workspace: string;
const changed = { updated: new Set<string>(), deleted: new Set<string>() };

function write(path: string, text: string): void {
  mkdirSync(dirname(join(workspace, path)), { recursive: true });
  writeFileSync(join(workspace, path), text);
  changed.updated.add(path);
}

function remove(folder: string): void {
  for (const file of [...changed.updated, ...knownFiles].filter((path) => path.startsWith(`${folder}/`))) {
    changed.deleted.add(file);
    changed.updated.delete(file);
  }
  rmSync(join(workspace, folder), { recursive: true });
}

const knownFiles = new Set<string>();

/** Nx's workspace context hashes from its own file index: tell it what changed, as Nx's file watcher does. */
async function syncWorkspaceContext(): Promise<void> {
  const { updateFilesInContext } = await import('nx/src/utils/workspace-context');
  updateFilesInContext(workspace, [...changed.updated], [...changed.deleted]);
  for (const file of changed.updated) knownFiles.add(file);
  for (const file of changed.deleted) knownFiles.delete(file);
  changed.updated.clear();
  changed.deleted.clear();
}

/** Runs createNodesV2 over every pyproject.toml given; returns the projects by root. */
async function nodes(pyprojects: string[], options: Record<string, unknown> = {}): Promise<Record<string, ProjectConfiguration>> {
  await syncWorkspaceContext();
  const context: CreateNodesContextV2 = { nxJsonConfiguration: {}, workspaceRoot: workspace };
  const results = await createNodesV2[1](pyprojects, options, context);
  return Object.fromEntries(
    results.flatMap(([, result]) => Object.entries(result.projects ?? {})).map(([root, node]) => [root, node as ProjectConfiguration]),
  );
}

function dependencies(projects: Record<string, ProjectConfiguration>, options: Record<string, unknown> = {}) {
  const context = {
    workspaceRoot: workspace,
    projects: Object.fromEntries(Object.values(projects).map((node) => [node.name!, { root: node.root }])),
  } as unknown as CreateDependenciesContext;
  return (createDependencies(options, context) as Array<{ source: string; target: string }>).map(
    ({ source, target }) => `${source}->${target}`,
  );
}

const ALL = ['services/ml/pyproject.toml', 'libs/shared/pyproject.toml', 'services/other/pyproject.toml'];

const workspaces: string[] = [];

beforeEach(async () => {
  // A fresh workspace (Nx keeps one file index per workspace root) and a fresh plugin (its in-memory cache).
  workspace = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-plugin-'));
  workspaces.push(workspace);
  knownFiles.clear();
  vi.resetModules();
  ({ createNodesV2, createDependencies } = await import('./plugin.js'));
  ({ logger } = await import('nx/src/devkit-exports'));
  for (const file of readdirSync(dataDir)) rmSync(join(dataDir, file), { recursive: true, force: true });
  write('pyproject.toml', '[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\n');
  write('uv.lock', 'version = 1\nrevision = 2\n');
  write('services/ml/pyproject.toml', SERVICE);
  write('services/ml/docker/Dockerfile', DOCKERFILE);
  write('libs/shared/pyproject.toml', '[project]\nname = "shared"\nversion = "0.1.0"\n');
  write('services/other/pyproject.toml', SERVICE.replace('ML_Service', 'other-service'));
  write('services/other/docker/Dockerfile', dockerfileOf('other'));
  inferred.calls = 0;
  version.current = '1.0.0-test';
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

afterAll(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('createNodes', () => {
  it('infers each project once, then serves it from the cache', async () => {
    const first = await nodes(ALL);
    expect(Object.keys(first).sort()).toEqual(['libs/shared', 'services/ml', 'services/other']);
    expect(first['services/ml'].name).toBe('ml-service');
    expect(inferred.calls).toBe(3);
    const second = await nodes(ALL);
    expect(inferred.calls).toBe(3);
    expect(second).toEqual(first);
  });

  it('infers a project again after an edit to a file it reads, and only that project', async () => {
    await nodes(ALL);
    write('services/ml/docker/Dockerfile', DOCKERFILE.replace('FROM deps AS prod', 'FROM deps AS server'));
    const after = await nodes(ALL);
    expect(inferred.calls).toBe(4);
    // Without a prod stage the Dockerfile is no recipe: its leaves dev and server are its images.
    const images = (root: string) => Object.keys(after[root].targets!).filter((name) => name.endsWith('-cu124') && name.startsWith('image-'));
    expect(images('services/ml').sort()).toEqual(['image-dev-cu124', 'image-server-cu124']);
    expect(images('services/other').sort()).toEqual(['image-dev-cu124', 'image-prod-cu124']);
  });

  it('reads a new process from the cache file, and starts cold when that file is corrupt', async () => {
    await nodes(ALL);
    const [file] = readdirSync(dataDir).filter((name) => name.startsWith('nx-uv-cuda-'));
    const text = readFileSync(join(dataDir, file), 'utf8');
    expect(JSON.parse(text)['services/ml/pyproject.toml'].node.name).toBe('ml-service');
    // A new options object is a new cache (as in a new process); one entry in the file is not what we write.
    writeFileSync(join(dataDir, file), JSON.stringify({ ...JSON.parse(text), 'services/ml/pyproject.toml': { hash: 1 } }));
    vi.resetModules();
    const fresh = await import('./plugin.js');
    await syncWorkspaceContext();
    const results = await fresh.createNodesV2[1](ALL, {}, { nxJsonConfiguration: {}, workspaceRoot: workspace });
    expect(results.map(([file]: readonly [string, unknown]) => file).sort()).toEqual([...ALL].sort());
    expect(inferred.calls).toBe(4);
  });

  it('keeps a broken project under its own name, with its per-backend targets failing, among good ones', async () => {
    const good = await nodes(ALL);
    write('services/ml/docker/Dockerfile', 'RUN echo no FROM\n');
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const after = await nodes(ALL);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/services\/ml\/docker\/Dockerfile:1: no FROM instruction/));
    const broken = after['services/ml'];
    expect(broken.name).toBe('ml-service');
    expect(Object.keys(broken.targets!).sort()).toEqual(Object.keys(good['services/ml'].targets!).sort());
    expect(broken.targets!['image-prod-cu128']).toMatchObject({
      executor: 'nx-uv-cuda:invalid-project',
      options: { error: expect.stringMatching(/no FROM instruction/) },
    });
    expect(after['services/other']).toEqual(good['services/other']);
  });

  it('keeps the name and backends of a broken project that was never inferred well', async () => {
    write('services/ml/project.json', '{ "name": "ml" }');
    write('services/ml/docker/Dockerfile', 'FROM a AS b\nFROM b AS a\nCOPY --from=a / /\n');
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const broken = (await nodes(ALL))['services/ml'];
    expect(broken.name).toBe('ml');
    expect(broken.targets).toHaveProperty('wheel-flash-attn-cu124');
    expect(broken.targets).toHaveProperty('smoke-cu128');
  });

  it('prunes a removed project from the cache and from the edges', async () => {
    const all = await nodes(ALL);
    expect(dependencies(all)).toEqual(expect.arrayContaining(['ml-service->shared', 'other-service->shared']));
    remove('services/other');
    const rest = await nodes(ALL.filter((file) => !file.startsWith('services/other')));
    expect(dependencies(rest)).toEqual(['ml-service->shared']);
  });

  it('never replays entries of another plugin version', async () => {
    await nodes(ALL);
    version.current = '2.0.0-test';
    await nodes(ALL);
    expect(inferred.calls).toBe(6);
  });

  it('infers every time and writes nothing with NX_CACHE_PROJECT_GRAPH=false', async () => {
    vi.stubEnv('NX_CACHE_PROJECT_GRAPH', 'false');
    await nodes(ALL, { registry: '127.0.0.1:5000/a' });
    await nodes(ALL, { registry: '127.0.0.1:5000/a' });
    expect(inferred.calls).toBe(6);
    expect(readdirSync(dataDir).filter((name) => name.startsWith('nx-uv-cuda-'))).toEqual([]);
  });

  it("tells nx release's version step every manifest and lock that carries the project's version", async () => {
    write('services/ml/prod/pyproject.toml', '[project]\nname = "ml-service"\nversion = "0.1.0"\n');
    write('services/ml/prod/uv.lock', 'version = 1\nrevision = 2\n');
    write('uv-cu128.lock', 'version = 1\nrevision = 2\n');
    const inferredNodes = await nodes(ALL);
    expect(inferredNodes['services/ml'].release).toEqual({
      version: {
        versionActions: 'nx-uv-cuda/release/version-actions',
        versionActionsOptions: { lockFiles: ['uv.lock', 'services/ml/prod/uv.lock', 'uv-cu128.lock'] },
        manifestRootsToUpdate: ['{projectRoot}', 'services/ml/prod'],
      },
    });
    expect(inferredNodes['services/other'].release?.version).not.toHaveProperty('manifestRootsToUpdate');
  });

  it('warns once about a renamed option', async () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const options = { stages: { wheel: 'wheel-prod' } };
    const projects = await nodes(ALL, options);
    expect(projects['services/ml'].targets).toHaveProperty('wheel-flash-attn-cu124');
    const deprecations = warn.mock.calls.filter(([message]) => /stages\.wheel is deprecated: write stages\.wheelBuild/.test(String(message)));
    expect(deprecations).toHaveLength(1);
  });
});

describe('createNodes: projects of one name', () => {
  const DUPLICATE = '[project]\nname = "shared"\nversion = "0.2.0"\n';

  it('keeps both in the graph: the one nearest the root keeps the name, the other is renamed after its root, said once', async () => {
    write('services/dup/pyproject.toml', DUPLICATE);
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const files = [...ALL, 'services/dup/pyproject.toml'];
    const first = await nodes(files);
    expect(first['libs/shared'].name).toBe('shared');
    expect(first['services/dup'].name).toBe('shared-services-dup');
    const second = await nodes(files);
    expect(second['services/dup'].name).toBe('shared-services-dup');
    const said = warn.mock.calls.map(([message]) => String(message)).filter((message) => /projects are named "shared"/.test(message));
    expect(said).toEqual([
      'nx-uv-cuda: 2 projects are named "shared" (libs/shared, services/dup): libs/shared keeps the name, ' +
        'services/dup is shared-services-dup; a project.json name chooses otherwise',
    ]);
  });

  it('renames by path only, so a third one of the name changes no other name', async () => {
    write('services/dup/pyproject.toml', DUPLICATE);
    write('services/deep/x/pyproject.toml', DUPLICATE);
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const two = await nodes([...ALL, 'services/dup/pyproject.toml']);
    const three = await nodes([...ALL, 'services/deep/x/pyproject.toml', 'services/dup/pyproject.toml']);
    expect([two['libs/shared'].name, two['services/dup'].name]).toEqual(['shared', 'shared-services-dup']);
    expect([three['libs/shared'].name, three['services/dup'].name, three['services/deep/x'].name]).toEqual([
      'shared',
      'shared-services-dup',
      'shared-services-deep-x',
    ]);
  });

  it('links the folder a Dockerfile copies to the renamed project, under its graph name', async () => {
    write('dup/pyproject.toml', DUPLICATE);
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const projects = await nodes([...ALL, 'dup/pyproject.toml']);
    expect([projects['dup'].name, projects['libs/shared'].name]).toEqual(['shared', 'shared-libs-shared']);
    expect(dependencies(projects)).toEqual(expect.arrayContaining(['ml-service->shared-libs-shared', 'other-service->shared-libs-shared']));
  });

  // Suspected bug: createDependencies keys python names in one Map, so of two projects named "shared" the one
  // inferred last takes every `shared = { workspace = true }` source: here dup/, which is not even a uv workspace
  // member (members = services/*, libs/*), gets the edges ml-service->shared and other-service->shared.
  it('links a workspace source to the uv workspace member of that name, whatever the order of inference', async () => {
    write('dup/pyproject.toml', DUPLICATE);
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const projects = await nodes([...ALL, 'dup/pyproject.toml']);
    expect(dependencies(projects)).not.toContain('ml-service->shared');
  });
});

describe('createDependencies', () => {
  it('links workspace sources and folders a Dockerfile copies', async () => {
    write('libs/other/pyproject.toml', '[project]\nname = "other-lib"\nversion = "0.1.0"\n');
    write('services/other/docker/Dockerfile', `${dockerfileOf('other')}COPY libs/other libs/other\n`);
    const projects = await nodes([...ALL, 'libs/other/pyproject.toml']);
    expect(dependencies(projects).sort()).toEqual(['ml-service->shared', 'other-service->other-lib', 'other-service->shared']);
  });
});
