import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, disposeWorkspaces, type Workspace } from './support/workspace';

afterAll(disposeWorkspaces);

/**
 * Issue 2: the packed plugin, installed with nx 24 from npm into a fresh git workspace (a uv workspace of
 * two services sharing a library, in the seed layout), makes `nx show project`, the graph and `nx affected` right.
 * No docker here: these tests read the graph only.
 */
describe('inferred graph of a uv workspace', () => {
  let ws: Workspace;

  beforeAll(() => {
    ws = createWorkspace({ fixture: 'ml-monorepo' });
  });

  async function showProject(name: string) {
    const result = await ws.nx(['show', 'project', name, '--json']);
    expect(result.exitCode, result.all).toBe(0);
    return JSON.parse(result.stdout);
  }

  it('infers one project per Python project, not the virtual root or the prod manifests', async () => {
    const result = await ws.nx(['show', 'projects', '--json']);
    expect(result.exitCode, result.all).toBe(0);
    expect(JSON.parse(result.stdout).sort()).toEqual(['ml-service', 'other-service', 'shared']);
  });

  it('infers the image, wheel, lock and smoke targets of every backend', async () => {
    const project = await showProject('ml-service');
    expect(project.root).toBe('services/ml-service');
    for (const backend of ['cu124', 'cu128']) {
      for (const target of ['image-dev', 'image-prod', 'wheel-flash-attn', 'lock', 'smoke']) {
        expect(project.targets).toHaveProperty(`${target}-${backend}`);
      }
    }
    for (const target of ['image', 'image-dev', 'image-prod', 'wheel-flash-attn', 'lock', 'lock-check', 'smoke']) {
      expect(project.targets).toHaveProperty(target);
    }
    const imageProd = project.targets['image-prod-cu128'];
    expect(imageProd.executor).toBe('nx-uv-cuda:image');
    expect(imageProd.cache).toBe(false); // no registry: a loaded image is checked in the engine, not replayed
    expect(imageProd.dependsOn).toEqual(['keys-cu128', 'wheel-flash-attn-cu128']);
    expect(imageProd.options).toMatchObject({
      dockerfile: 'services/ml-service/docker/Dockerfile-cu124-uv',
      context: '.',
      target: 'prod',
      buildArgsFile: 'dist/services/ml-service/keys/cu128-build.json',
    });
    expect(imageProd.inputs).toEqual([{ dependentTasksOutputFiles: '**/keys/cu128-prod.json' }]);
    expect(imageProd.outputs).toEqual(['{workspaceRoot}/dist/services/ml-service/images/prod-cu128.json']);
    expect(imageProd.metadata.description).toMatch(/prod image/);
    expect(imageProd.metadata.help.example.options).toMatchObject({ noCache: true });
    expect(project.projectType).toBe('application');
    expect(project.metadata.targetGroups.cu128).toEqual(
      ['lock-cu128', 'keys-cu128', 'wheel-flash-attn-cu128', 'image-dev-cu128', 'run-dev-cu128', 'image-prod-cu128', 'run-prod-cu128', 'smoke-cu128'],
    );
    const library = await showProject('shared');
    expect(library.projectType).toBeUndefined();
    expect(Object.keys(library.targets).sort()).toEqual(['lock', 'lock-check']);
    expect(project.targets['lock-cu124'].options).toMatchObject({
      lockFile: 'uv.lock',
      prodLockFile: 'services/ml-service/prod/uv.lock',
      project: 'ml-service',
      backend: 'cu124',
    });
  });

  it('writes build keys holding exactly what each build reads: copied files, lock packages, stage texts, ARGs', async () => {
    const result = await ws.nx(['run', 'ml-service:keys-cu128']);
    expect(result.exitCode, result.all).toBe(0);
    const key = (kind: string) => JSON.parse(ws.read(`dist/services/ml-service/keys/cu128-${kind}.json`));
    const prod = key('prod');
    const dev = key('dev');
    const wheel = key('wheel');
    expect(Object.keys(prod.files)).toContain('services/ml-service/src/ml_service/main.py');
    expect(Object.keys(prod.files).some((file) => /tests|dev-tools|README|uv\.lock/.test(file))).toBe(false);
    expect(Object.keys(dev.files)).toContain('services/ml-service/dev-tools/dev_only.py');
    expect(Object.keys(dev.files)).not.toContain('uv.lock');
    expect(prod.stages.map((stage: { name: string }) => stage.name)).toEqual(['base', 'deps-prod', 'prod']);
    expect(prod.args).toMatchObject({ CUDA_VERSION: '12.8.0', TORCH_BACKEND: 'cu128' });
    // prod builds FROM the runtime image and copies the venv of deps-prod, which (like the wheel) builds on devel.
    expect(prod.baseImages).toEqual(['nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04', 'nvidia/cuda:12.8.0-cudnn-runtime-ubuntu22.04']);
    expect(prod.args).toMatchObject({ CUDA_RUNTIME_VARIANT: 'cudnn-runtime' });
    expect(dev.baseImages).toEqual(['nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04']);
    expect(wheel.baseImages).toEqual(['nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04']);
    expect(wheel.args).not.toHaveProperty('CUDA_RUNTIME_VARIANT');
    expect(dev.args).not.toHaveProperty('CUDA_RUNTIME_VARIANT');
    expect(prod.wheel).toMatch(/^[0-9a-f]{64}$/);
    expect(wheel.packages.map((pkg: { name: string }) => pkg.name).sort()).toEqual(
      expect.arrayContaining(['flash-attn', 'torch']),
    );
    expect(wheel.packages.find((pkg: { name: string }) => pkg.name === 'torch').version).toBe('2.7.0+cu128');
    expect(wheel.packages.some((pkg: { name: string }) => ['numpy', 'requests', 'pytest'].includes(pkg.name))).toBe(false);
    expect(wheel.args).not.toHaveProperty('MAX_JOBS');
    expect(wheel.args).toHaveProperty('FLASH_ATTN_CUDA_ARCHS');
    expect(Object.keys(wheel.files).some((file) => /pyproject\.toml$|uv\.lock$/.test(file) && !file.startsWith('stand-ins/'))).toBe(false);
    expect(JSON.parse(ws.read('dist/services/ml-service/keys/cu128-build.json')).buildArgs).toMatchObject({
      CUDA_VERSION: '12.8.0',
      TORCH_BACKEND: 'cu128',
    });
  });

  it('gives a library without a Dockerfile only its lock targets', async () => {
    const project = await showProject('shared');
    expect(Object.keys(project.targets).sort()).toEqual(['lock', 'lock-check']);
  });

  it('draws the edge from a service to the workspace library it uses, and none to the other service', async () => {
    const result = await ws.nx(['graph', '--file=graph.json']);
    expect(result.exitCode, result.all).toBe(0);
    const graph = JSON.parse(ws.read('graph.json')).graph;
    const targetsOf = (name: string) => graph.dependencies[name].map((edge: { target: string }) => edge.target);
    expect(targetsOf('ml-service')).toEqual(['shared']);
    expect(targetsOf('other-service')).toEqual([]);
    expect(targetsOf('shared')).toEqual([]);
  });

  it('selects exactly the services that use a changed library with nx affected', async () => {
    ws.git(['checkout', '-q', '-b', 'change-shared']);
    ws.append('libs/shared/src/shared/__init__.py', '\nSHARED_CHANGE = 1\n');
    ws.commitAll('change the shared library');
    const result = await ws.nx(['show', 'projects', '--affected', '--base=main', '--head=HEAD', '--json']);
    expect(result.exitCode, result.all).toBe(0);
    expect(JSON.parse(result.stdout).sort()).toEqual(['ml-service', 'shared']);
    const images = await ws.nx(['show', 'projects', '--affected', '--base=main', '--head=HEAD', '-t', 'image', '--json']);
    expect(JSON.parse(images.stdout)).toEqual(['ml-service']);
    ws.git(['checkout', '-q', 'main']);
  });

  it('reports a broken pyproject.toml and still builds the graph of the other projects', async () => {
    const original = ws.read('services/other-service/pyproject.toml');
    ws.write('services/other-service/pyproject.toml', `${original}\n[tool.nx-uv-cuda\nbroken = `);
    try {
      const result = await ws.nx(['show', 'projects', '--json']);
      expect(result.exitCode, result.all).toBe(0);
      expect(result.all).toMatch(/services\/other-service\/pyproject.toml:\d+:\d+: invalid TOML/);
      expect(JSON.parse(result.stdout).sort()).toEqual(['ml-service', 'other-service', 'shared']);
      const run = await ws.nx(['run', 'other-service:image-prod']);
      expect(run.exitCode).not.toBe(0);
      expect(run.all).toMatch(/could not be inferred: services\/other-service\/pyproject.toml:\d+:\d+: invalid TOML/);
    } finally {
      ws.write('services/other-service/pyproject.toml', original);
    }
  });

  it('names the file, the key and what was expected for an invalid [tool.nx-uv-cuda] value', async () => {
    const original = ws.read('services/other-service/pyproject.toml');
    ws.write('services/other-service/pyproject.toml', `${original}\n[tool.nx-uv-cuda]\nbackends = "cu124"\n`);
    try {
      const result = await ws.nx(['show', 'projects', '--json']);
      expect(result.exitCode, result.all).toBe(0);
      expect(result.all).toContain('services/other-service/pyproject.toml: tool.nx-uv-cuda.backends:');
      expect(JSON.parse(result.stdout)).toContain('ml-service');
    } finally {
      ws.write('services/other-service/pyproject.toml', original);
    }
  });

  it('writes byte-identical lock slices, replayed from the cache when uv.lock is unchanged', async () => {
    const first = await ws.nx(['run', 'ml-service:lock-cu124']);
    expect(first.exitCode, first.all).toBe(0);
    const slice = ws.read('dist/services/ml-service/locks/cu124-prod.json');
    expect(JSON.parse(slice)).toMatchObject({ project: 'ml-service', backend: 'cu124', kind: 'prod' });
    const dev = JSON.parse(ws.read('dist/services/ml-service/locks/cu124-dev.json'));
    const names = dev.packages.map((pkg: { name: string }) => pkg.name);
    expect(names).toContain('pytest');
    expect(dev.packages.find((pkg: { name: string }) => pkg.name === 'torch').version).toMatch(/\+cu124$/);

    const second = await ws.nx(['run', 'ml-service:lock-cu124']);
    expect(second.all).toMatch(/existing outputs match the cache|local cache/);
    expect(ws.read('dist/services/ml-service/locks/cu124-prod.json')).toBe(slice);
  });
});

describe('nested plugin options in nx.json', () => {
  it('reach the keys task (Nx validates executor options: nested objects must pass its schema check)', async () => {
    const ws = createWorkspace({
      fixture: 'ml-monorepo',
      pluginOptions: { buildArgs: { FLASH_ATTN_CUDA_ARCHS: '90;100' }, dockerfile: ['docker/Dockerfile*'], stages: { prod: 'prod' } },
    });
    const result = await ws.nx(['run', 'ml-service:keys-cu128']);
    expect(result.exitCode, result.all).toBe(0);
    const wheelKey = JSON.parse(ws.read('dist/services/ml-service/keys/cu128-wheel.json'));
    expect(wheelKey.args.FLASH_ATTN_CUDA_ARCHS).toBe('90;100');
  });
});
