import { readdirSync, rmSync, symlinkSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nxBin } from '../tools/example-workspace.mjs';
import {
  REGISTRY_HOST,
  docker,
  dockerSucceeds,
  provisionDocker,
  registryDigest,
  registrySnapshot,
  taskOutcomes,
  buildsThatRan,
  treeSnapshot,
} from './support/docker';
import { createWorkspace, disposeLater, disposeWorkspaces, nxEnv, type Workspace } from './support/workspace';

afterAll(disposeWorkspaces);

/**
 * Issue 3: the inferred targets run real `docker buildx build` on a real engine, push to a real registry on
 * 127.0.0.1:5000 and are driven by real `nx` commands in a fresh workspace with the packed plugin.
 */
const NAMESPACE = `e2e-${Date.now().toString(36)}`;
const REGISTRY = `${REGISTRY_HOST}/${NAMESPACE}`;
const BACKENDS = ['cu124', 'cu128'];

describe('image, wheel and smoke targets on a real engine and registry', () => {
  let ws: Workspace;

  beforeAll(() => {
    provisionDocker();
    ws = createWorkspace({ fixture: 'ml-monorepo', pluginOptions: { registry: REGISTRY } });
  });

  const metadataOf = (service: string, kind: string, backend: string) =>
    JSON.parse(ws.read(`dist/services/${service}/images/${kind}-${backend}.json`));

  it('pushes both backends of ml-service:image-prod, with the digests the registry serves', async () => {
    const result = await ws.nx(['run', 'ml-service:image-prod']);
    expect(result.exitCode, result.all).toBe(0);
    for (const backend of BACKENDS) {
      const metadata = metadataOf('ml-service', 'prod', backend);
      const tag = `${REGISTRY}/ml-service:prod-${backend}`;
      expect(metadata).toMatchObject({ tags: [tag], pushed: true, backend, kind: 'prod', stage: 'prod' });
      expect(metadata.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(metadata.digest).toBe(registryDigest(tag));
      expect(metadata.image).toBe(`${REGISTRY}/ml-service@${metadata.digest}`);
      expect(metadata.buildArgs).toMatchObject({ TORCH_BACKEND: backend });
    }
    expect(metadataOf('ml-service', 'prod', 'cu128').buildArgs.CUDA_VERSION).toBe('12.8.0');
  });

  it('smoke-runs the stand-in torch and flash-attn import inside each prod image', async () => {
    const result = await ws.nx(['run', 'ml-service:smoke']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/torch 2\.5\.1\+cu124 flash_attn 2\.7\.4\S* cuda False/);
    expect(result.all).toMatch(/torch 2\.7\.0\+cu128 flash_attn 2\.7\.4\S* cuda False/);
    expect(result.all).toContain('CPU-only smoke run');
  });

  it('produces the wheel files once, replays them from the Nx cache, and restores them after dist/ is deleted', async () => {
    const wheelsDir = join(ws.root, 'dist/services/ml-service/wheels/cu124');
    const wheels = readdirSync(wheelsDir);
    expect(wheels).toHaveLength(1);
    expect(wheels[0]).toMatch(/^flash_attn-2\.7\.4-.*\.whl$/);

    const again = await ws.nx(['run', 'ml-service:wheel-flash-attn']);
    expect(again.exitCode, again.all).toBe(0);
    expect(taskOutcomes(again.all)).toMatchObject({
      'ml-service:wheel-flash-attn-cu124': 'cache',
      'ml-service:wheel-flash-attn-cu128': 'cache',
    });

    rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
    const restored = await ws.nx(['run', 'ml-service:wheel-flash-attn']);
    expect(restored.exitCode, restored.all).toBe(0);
    expect(buildsThatRan(restored.all)).toEqual([]);
    expect(readdirSync(wheelsDir)).toEqual(wheels);
  });

  it('builds every image of the workspace once', async () => {
    const result = await ws.nx(['run-many', '-t', 'image']);
    expect(result.exitCode, result.all).toBe(0);
    for (const service of ['ml-service', 'other-service']) {
      for (const backend of BACKENDS) {
        expect(metadataOf(service, 'dev', backend).digest).toBe(registryDigest(`${REGISTRY}/${service}:dev-${backend}`));
      }
    }
  });

  it('rebuilds only the dev images after an edit to a file only the dev stage copies', async () => {
    ws.append('services/ml-service/dev-tools/dev_only.py', '\n# edited by the e2e test\n');
    const result = await ws.nx(['run-many', '-t', 'image']);
    expect(result.exitCode, result.all).toBe(0);
    expect(buildsThatRan(result.all)).toEqual(['ml-service:image-dev-cu124', 'ml-service:image-dev-cu128']);
  });

  it('rebuilds exactly the images of the services that use an edited library (nx affected)', async () => {
    ws.commitAll('dev-only edit');
    ws.append('libs/shared/src/shared/__init__.py', '\nLIBRARY_EDIT = True\n');
    ws.commitAll('library edit');
    const result = await ws.nx(['affected', '-t', 'image', '--base=HEAD~1', '--head=HEAD']);
    expect(result.exitCode, result.all).toBe(0);
    expect(buildsThatRan(result.all)).toEqual([
      'ml-service:image-dev-cu124',
      'ml-service:image-dev-cu128',
      'ml-service:image-prod-cu124',
      'ml-service:image-prod-cu128',
    ]);
    expect(Object.keys(taskOutcomes(result.all)).some((task) => task.startsWith('other-service:'))).toBe(false);
  });

  it('rebuilds nothing after README edits', async () => {
    ws.append('services/ml-service/README.md', '\nMore words.\n');
    ws.append('libs/shared/README.md', '\nMore words.\n');
    ws.append('services/other-service/tests/test_main.py', '\n# a test edit no prod stage copies\n');
    const result = await ws.nx(['run-many', '-t', 'image-prod', 'wheel-flash-attn']);
    expect(result.exitCode, result.all).toBe(0);
    expect(buildsThatRan(result.all)).toEqual([]);
  });

  it('keeps the wheels and prod images after a change to MAX_JOBS, which changes only how fast a wheel compiles', async () => {
    ws.append('services/ml-service/pyproject.toml', '\n[tool.nx-uv-cuda]\nbuild-args = { MAX_JOBS = "7", NVCC_THREADS = "1" }\n');
    // The dev stage copies pyproject.toml into the image, so only the dev images may (and must) rebuild.
    const result = await ws.nx(['run-many', '-t', 'image-prod', 'wheel-flash-attn']);
    expect(result.exitCode, result.all).toBe(0);
    expect(buildsThatRan(result.all)).toEqual([]);
    expect(JSON.parse(ws.read('dist/services/ml-service/keys/cu124-build.json')).buildArgs).toMatchObject({ MAX_JOBS: '7' });
    ws.commitAll('MAX_JOBS');
  });

  it('takes the wheel from the registry in a second clone with a cold Nx cache: no compile', async () => {
    // buildx 0.13 leaves a /tmp/dockerfileNNNN folder behind for a Dockerfile on stdin: the plugin writes its own.
    const stdinDockerfiles = () => readdirSync(tmpdir()).filter((name) => /^dockerfile\d+$/.test(name)).sort();
    const leftBefore = stdinDockerfiles();
    const clone = disposeLater(join(ws.root, '..', `${NAMESPACE}-clone`));
    execFileSync('git', ['clone', '-q', ws.root, clone], { timeout: 60_000 });
    symlinkSync(join(ws.root, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const result = await execa(process.execPath, [nxBin(clone), 'run', 'ml-service:wheel-flash-attn-cu124'], {
      cwd: clone,
      reject: false,
      all: true,
      timeout: 300_000,
      // nxEnv puts the clone's Nx cache in the clone: a fresh machine's cold cache.
      env: nxEnv(clone),
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/is in the registry \(127\.0\.0\.1:5000\/e2e-[a-z0-9]+\/nx-uv-cuda-wheels:[0-9a-f]{64}\): not compiled again/);
    expect(result.all).not.toContain('flash-attn stand-in: compiling');
    expect(readdirSync(join(clone, 'dist/services/ml-service/wheels/cu124'))).toEqual(
      readdirSync(join(ws.root, 'dist/services/ml-service/wheels/cu124')),
    );
    expect(stdinDockerfiles()).toEqual(leftBefore);
  });

  describe('bad input fails clearly and leaves the registry and dist/ as they were', () => {
    async function expectFailureLeavesNothing(args: string[], message: RegExp, env: Record<string, string> = {}) {
      const registryBefore = await registrySnapshot(NAMESPACE);
      const distBefore = treeSnapshot(join(ws.root, 'dist'));
      const result = await ws.nx(args, { env });
      expect(result.exitCode, result.all).not.toBe(0);
      expect(result.all).toMatch(message);
      expect(await registrySnapshot(NAMESPACE)).toEqual(registryBefore);
      expect(treeSnapshot(join(ws.root, 'dist'))).toEqual(distBefore);
    }

    // Without a dev/prod pair the Dockerfile is no longer the recipe: its leaf stages are the images.
    it('a Dockerfile without the prod stage', async () => {
      const file = 'services/other-service/docker/Dockerfile-cu124-uv';
      const original = ws.read(file);
      ws.write(file, original.replace(/ AS prod$/m, ' AS production'));
      try {
        await expectFailureLeavesNothing(
          ['run', 'other-service:image-prod-cu124', '--excludeTaskDependencies'],
          /Cannot find target "image-prod-cu124" for project "other-service"[\s\S]*image-production-cu124/,
        );
      } finally {
        ws.write(file, original);
      }
    });

    it('a broken pyproject.toml', async () => {
      const file = 'services/other-service/pyproject.toml';
      const original = ws.read(file);
      ws.write(file, original.replace('[project]', '[project'));
      try {
        await expectFailureLeavesNothing(
          ['run', 'other-service:image-prod'],
          /could not be inferred: services\/other-service\/pyproject.toml:\d+:\d+: invalid TOML/,
        );
      } finally {
        ws.write(file, original);
      }
    });

    it('an unknown backend', async () => {
      const file = 'services/other-service/pyproject.toml';
      const original = ws.read(file);
      ws.write(file, `${original}\n[tool.nx-uv-cuda]\nbackends = ["cu124", "gpu-fast"]\n`);
      try {
        await expectFailureLeavesNothing(
          ['run', 'other-service:image-prod'],
          /services\/other-service\/pyproject.toml: \[tool.nx-uv-cuda\].backends: unknown backend "gpu-fast"/,
        );
      } finally {
        ws.write(file, original);
      }
    });

    it('a base image tag NVIDIA does not publish, before any pull', async () => {
      // The recipe's own example: CUDA_VARIANT=runtime makes nvidia/cuda:12.4.1-runtime-devel-ubuntu22.04.
      await expectFailureLeavesNothing(
        ['run', 'ml-service:image-prod-cu124', '--excludeTaskDependencies', '--skip-nx-cache', '--buildArgs.CUDA_VARIANT=runtime'],
        /FROM nvidia\/cuda:12\.4\.1-runtime-devel-ubuntu22\.04: no such tag can exist[^\n]*nearest published tag: nvidia\/cuda:12\.4\.1-devel-ubuntu22\.04/,
      );
    });

    it('a daemon that does not answer', async () => {
      await expectFailureLeavesNothing(
        ['run', 'ml-service:image-prod-cu124', '--excludeTaskDependencies', '--skip-nx-cache'],
        /The Docker daemon is not answering/,
        { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      );
    });
  });

  it('stops the buildx child on SIGINT and leaves no temporary folders and the previous wheels in place', async () => {
    const file = 'services/other-service/pyproject.toml';
    const original = ws.read(file);
    // A length no earlier run used: BuildKit's cache of this engine must not hold the compile already.
    const seconds = 120 + (Date.now() % 600);
    ws.write(file, `${original}\n[tool.nx-uv-cuda]\nbuild-args = { FLASH_ATTN_STANDIN_COMPILE_SECONDS = "${seconds}" }\n`);
    const wheelsParent = join(ws.root, 'dist/services/other-service/wheels');
    const before = treeSnapshot(wheelsParent);
    try {
      const child = execa(process.execPath, [nxBin(ws.root), 'run', 'other-service:wheel-flash-attn-cu124'], {
        cwd: ws.root,
        reject: false,
        all: true,
        detached: true,
        timeout: 300_000,
        env: nxEnv(ws.root),
      });
      let output = '';
      child.all!.on('data', (chunk) => (output += String(chunk)));
      await waitFor(() => /flash-attn stand-in: compiling/.test(output), 180_000);
      process.kill(-child.pid!, 'SIGINT');
      const result = await child;
      expect(result.exitCode).not.toBe(0);
      expect(readdirSync(wheelsParent).filter((name) => /\.(export|ready)-/.test(name))).toEqual([]);
      expect(treeSnapshot(wheelsParent)).toEqual(before);
      await waitFor(() => !buildxRunningIn(ws.root), 30_000);
    } finally {
      ws.write(file, original);
    }
  });
});

describe('images loaded into the local engine (no registry)', () => {
  let ws: Workspace;

  beforeAll(() => {
    provisionDocker();
    ws = createWorkspace({ fixture: 'ml-monorepo' });
  });

  it('never replays an image from the Nx cache that the engine no longer has', async () => {
    const first = await ws.nx(['run', 'other-service:image-prod-cu124']);
    expect(first.exitCode, first.all).toBe(0);
    const metadata = JSON.parse(ws.read('dist/services/other-service/images/prod-cu124.json'));
    expect(metadata).toMatchObject({ pushed: false, tags: ['other-service:prod-cu124'] });
    expect(dockerSucceeds(['image', 'inspect', 'other-service:prod-cu124'])).toBe(true);

    const second = await ws.nx(['run', 'other-service:image-prod-cu124']);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.all).toContain('is already in the default engine: built from these exact inputs, not rebuilt');

    expect(metadata.taskHash).toMatch(/^\d+$/);
    const hashTag = `other-service:prod-cu124-nx${metadata.taskHash.slice(0, 20)}`;
    expect(dockerSucceeds(['image', 'inspect', hashTag])).toBe(true);
    docker(['image', 'rm', 'other-service:prod-cu124', hashTag]);
    const third = await ws.nx(['run', 'other-service:image-prod-cu124']);
    expect(third.exitCode, third.all).toBe(0);
    expect(third.all).toContain('docker buildx build');
    expect(third.all).not.toContain('already in the default engine');
    expect(dockerSucceeds(['image', 'inspect', 'other-service:prod-cu124'])).toBe(true);
  });
});

function buildxRunningIn(root: string): boolean {
  return spawnSync('pgrep', ['-f', `buildx build .*${root}`]).status === 0;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

