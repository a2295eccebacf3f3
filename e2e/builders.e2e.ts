import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../tools/example-workspace.mjs';
import { freePort } from '../tools/free-port.mjs';
import { REGISTRY_HOST, buildsThatRan, provisionDocker, registryDigest, treeSnapshot } from './support/docker';
import { createWorkspace, disposeLater, disposeWorkspaces, type Workspace } from './support/workspace';

/**
 * Issue 11: builds placed per backend and kind. A second dockerd on a loopback TCP port, with its own data root,
 * stands for a remote GPU build box: cu128's wheel and images build there and push to the shared registry, and
 * its smoke run happens there, where the image is; cu124 stays on the default engine.
 */
const NAMESPACE = `builders-${Date.now().toString(36)}`;
const REGISTRY = `${REGISTRY_HOST}/${NAMESPACE}`;
const SECOND_ENGINE = join(REPO_ROOT, 'tools', 'docker', 'second-engine.sh');
const BASE_IMAGES = ['nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04', 'nvidia/cuda:12.8.0-cudnn-runtime-ubuntu22.04'];

// A short path: the engine's unix sockets live under it.
const stateDir = disposeLater(mkdtempSync('/tmp/nxse-'));
let host = '';

afterAll(() => {
  spawnSync('bash', [SECOND_ENGINE, 'stop', '--state-dir', stateDir], { stdio: 'pipe', timeout: 120_000 });
  disposeWorkspaces();
});

/** `docker` against one engine: the default one, or the build box. */
function dockerOn(engine: 'default' | 'box', args: string[]) {
  return spawnSync('docker', args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...(engine === 'box' && { DOCKER_HOST: host }) } });
}

describe('a wheel and images built on a remote build box, per backend', () => {
  let ws: Workspace;

  beforeAll(async () => {
    provisionDocker();
    const port = await freePort();
    host = `tcp://127.0.0.1:${port}`;
    execFileSync('bash', [SECOND_ENGINE, 'start', '--port', String(port), '--state-dir', stateDir, ...BASE_IMAGES.flatMap((image) => ['--load-image', image])], {
      stdio: 'pipe',
      timeout: 300_000,
    });
    ws = createWorkspace({
      fixture: 'ml-monorepo',
      pluginOptions: { registry: REGISTRY, builders: { backends: { cu128: { wheel: { host }, image: { host } } } } },
    });
  });

  it('compiles the cu128 wheel and builds its prod image on the box, pushes it to the shared registry, and smoke-runs it there', async () => {
    const result = await ws.nx(['run', 'ml-service:smoke-cu128']);
    expect(result.exitCode, result.all).toBe(0);
    expect(buildsThatRan(result.all)).toEqual(['ml-service:image-prod-cu128', 'ml-service:wheel-flash-attn-cu128']);
    expect(result.all).toContain(`compiling ml-service:wheel-flash-attn-cu128 on the engine at ${host}: docker buildx build`);
    expect(result.all).toContain(`building ml-service:image-prod-cu128 on the engine at ${host}: docker buildx build`);
    expect(result.all).toMatch(/torch 2\.7\.0\+cu128 flash_attn 2\.7\.4\S* cuda False/);

    const metadata = JSON.parse(ws.read('dist/services/ml-service/images/prod-cu128.json'));
    expect(metadata).toMatchObject({ pushed: true, engine: { host } });
    expect(metadata.digest).toBe(registryDigest(`${REGISTRY}/ml-service:prod-cu128`));
    // The image is where it was built, and only there: the smoke run did not pull it into the default engine.
    expect(dockerOn('box', ['image', 'inspect', metadata.image]).status).toBe(0);
    expect(dockerOn('default', ['image', 'inspect', metadata.image]).status).not.toBe(0);
    expect(dockerOn('default', ['image', 'inspect', `${REGISTRY}/ml-service:prod-cu128`]).status).not.toBe(0);
    // The wheel came back to this machine's dist/, as from a local compile.
    expect(Object.keys(treeSnapshot(join(ws.root, 'dist/services/ml-service/wheels/cu128')))).toEqual([
      expect.stringMatching(/^flash_attn-2\.7\.4-.*\.whl$/),
    ]);
  });

  it('keeps cu124 on the default engine', async () => {
    const result = await ws.nx(['run', 'ml-service:image-prod-cu124']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/building ml-service:image-prod-cu124: docker buildx build/);
    expect(JSON.parse(ws.read('dist/services/ml-service/images/prod-cu124.json'))).not.toHaveProperty('engine');
  });

  it('says which engine is unreachable, before any build, and leaves dist/ as it was', async () => {
    execFileSync('bash', [SECOND_ENGINE, 'stop', '--state-dir', stateDir], { stdio: 'pipe', timeout: 120_000 });
    const before = treeSnapshot(join(ws.root, 'dist'));
    const result = await ws.nx(['run', 'ml-service:wheel-flash-attn-cu128', '--skip-nx-cache']);
    expect(result.exitCode, result.all).not.toBe(0);
    expect(result.all).toContain(`The engine at ${host} (the engine option of this target) is not answering`);
    expect(result.all).toContain('fix builders in nx.json or [tool.nx-uv-cuda]');
    expect(result.all).not.toContain('docker buildx build');
    expect(treeSnapshot(join(ws.root, 'dist'))).toEqual(before);
  });
});
