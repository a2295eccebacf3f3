import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_HOST, buildsThatRan, provisionDocker, registryDigest, registrySnapshot, taskOutcomes, wipeRegistryNamespace } from './support/docker';
import { startRemoteCache, type RemoteCache } from './support/nx-cache';
import { plain } from './support/output';
import { createWorkspace, disposeLater, disposeWorkspaces, type NxResult, type Workspace } from './support/workspace';

/**
 * Issue 11: several machines. Clones of one repository, each with a cold Nx cache of its own, share a real Nx
 * remote cache (nginx speaking Nx's self-hosted cache API) and the registry; the registry, not a cache, says
 * whether an image exists.
 */
const NAMESPACE = `fleet-${Date.now().toString(36)}`;
const REGISTRY = `${REGISTRY_HOST}/${NAMESPACE}`;
const BACKENDS = ['cu124', 'cu128'];
const BUILD = ['run-many', '-t', 'image-prod', '--projects', 'ml-service'];
/** A secret the wheel build reads through `--secret`: it must reach no cache, local or remote. */
const CANARY = `canary-${randomUUID()}`;
const DOCKERFILE = 'services/ml-service/docker/Dockerfile-cu124-uv';

let cache: RemoteCache | undefined;
afterAll(() => {
  cache?.stop();
  disposeWorkspaces();
});

/** What a task of the replayed kinds did: `[remote cache]` in its header means another machine built it. */
function remoteReplays(output: string): string[] {
  return [...plain(output).matchAll(/^(?:> |[✔✖]\s+)nx run (\S+:\S+).*\[remote cache\]/gm)].map((match) => match[1]).sort();
}

const bookkeeping = (kind: 'lock' | 'keys' | 'wheel-flash-attn') => BACKENDS.map((backend) => `ml-service:${kind}-${backend}`);

describe('a fleet: Nx remote cache, the registry as the source of truth', () => {
  let ws: Workspace;

  beforeAll(async () => {
    provisionDocker();
    cache = await startRemoteCache();
    ws = createWorkspace({ fixture: 'ml-monorepo', pluginOptions: { registry: REGISTRY } });
    // The wheel stage reads a secret: the build fails without it, and its value must never be stored.
    const dockerfile = ws.read(DOCKERFILE).replace(
      /^FROM deps-prod AS wheel-prod\n/m,
      (line) => `${line}RUN --mount=type=secret,id=canary,required=true test -s /run/secrets/canary\n`,
    );
    expect(dockerfile).toContain('id=canary');
    ws.write(DOCKERFILE, dockerfile);
    const nxJson = JSON.parse(ws.read('nx.json'));
    nxJson.targetDefaults = { 'nx-uv-cuda:wheel': { options: { secrets: ['id=canary,env=NX_UV_CUDA_CANARY'] } } };
    ws.write('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
    ws.commitAll('the wheel build reads a secret');
  });

  /** A second machine: a clone of the repository with a cold Nx cache and no workspace data of its own. */
  function machine(name: string): { root: string; nx(env: Record<string, string>): Promise<NxResult> } {
    const root = disposeLater(join(ws.root, '..', `${NAMESPACE}-${name}`));
    execFileSync('git', ['clone', '-q', ws.root, root], { timeout: 60_000 });
    symlinkSync(join(ws.root, 'node_modules'), join(root, 'node_modules'), 'dir');
    return { root, nx: (env) => ws.nx(BUILD, { cwd: root, env: { NX_CACHE_DIRECTORY: join(root, '.nx', 'cache'), ...env } }) };
  }

  const secretEnv = { NX_UV_CUDA_CANARY: CANARY };

  it('machine A builds and fills the remote cache, with nothing secret in it', async () => {
    const result = await ws.nx(BUILD, { env: { ...cache!.env('read-write'), ...secretEnv } });
    expect(result.exitCode, result.all).toBe(0);
    expect(buildsThatRan(result.all)).toEqual([...bookkeeping('wheel-flash-attn'), 'ml-service:image-prod-cu124', 'ml-service:image-prod-cu128'].sort());
    expect(cache!.entries().length).toBeGreaterThanOrEqual(6);
    expect(cache!.entriesHolding(CANARY)).toEqual([]);
    const grep = spawnSync('grep', ['-rla', CANARY, join(ws.root, 'dist'), join(ws.root, '.nx')], { encoding: 'utf8', timeout: 60_000 });
    expect(grep.status, grep.stdout).toBe(1);
  });

  let b: ReturnType<typeof machine>;

  it('machine B, with a cold local cache, replays lock slices, keys and wheels from the remote cache and builds nothing', async () => {
    b = machine('b');
    const result = await b.nx({ ...cache!.env('read-write'), ...secretEnv });
    expect(result.exitCode, result.all).toBe(0);
    expect(remoteReplays(result.all)).toEqual([...bookkeeping('keys'), ...bookkeeping('lock'), ...bookkeeping('wheel-flash-attn')].sort());
    expect(buildsThatRan(result.all)).toEqual([]);
    for (const backend of BACKENDS) {
      expect(result.all).toContain(`${REGISTRY}/ml-service:prod-${backend}-nx`);
      const metadata = JSON.parse(readFileSync(join(b.root, `dist/services/ml-service/images/prod-${backend}.json`), 'utf8'));
      expect(metadata.digest).toBe(registryDigest(`${REGISTRY}/ml-service:prod-${backend}`));
      expect(metadata.digest).toBe(JSON.parse(ws.read(`dist/services/ml-service/images/prod-${backend}.json`)).digest);
    }
    expect(result.all).toContain('is already in the registry: built from these exact inputs, not rebuilt');
    expect(result.all).not.toContain('pointing');
  });

  it('after a registry wipe, machine C rebuilds the images (never reports them built) and compiles nothing', async () => {
    await wipeRegistryNamespace(NAMESPACE);
    expect(await registrySnapshot(NAMESPACE)).toEqual({});
    const c = machine('c');
    const result = await c.nx({ ...cache!.env('read-write'), ...secretEnv });
    expect(result.exitCode, result.all).toBe(0);
    expect(remoteReplays(result.all)).toEqual(expect.arrayContaining(bookkeeping('wheel-flash-attn')));
    expect(buildsThatRan(result.all)).toEqual(['ml-service:image-prod-cu124', 'ml-service:image-prod-cu128']);
    expect(result.all).not.toContain('not rebuilt');
    for (const backend of BACKENDS) {
      const metadata = JSON.parse(readFileSync(join(c.root, `dist/services/ml-service/images/prod-${backend}.json`), 'utf8'));
      expect(metadata.digest).toBe(registryDigest(`${REGISTRY}/ml-service:prod-${backend}`));
    }
  });

  it('with a read-only token (an untrusted branch), a build that misses still passes and stores nothing', async () => {
    const d = machine('d');
    execFileSync('bash', ['-c', 'echo "BRANCH_EDIT = True" >> services/ml-service/src/ml_service/__init__.py'], { cwd: d.root });
    const before = cache!.entries();
    const result = await d.nx({ ...cache!.env('read-only'), ...secretEnv });
    expect(result.exitCode, result.all).toBe(0);
    expect(Object.entries(taskOutcomes(result.all)).filter(([, outcome]) => outcome === 'ran').map(([task]) => task)).toEqual(
      expect.arrayContaining(['ml-service:keys-cu124', 'ml-service:image-prod-cu124']),
    );
    expect(cache!.entries()).toEqual(before);
  });

  it('points the tags that another build moved back at the image of these inputs, without building', async () => {
    // Machine D pushed its edited images under the same tags; B, on the original commit, runs again.
    const result = await b.nx({ ...cache!.env('read-write'), ...secretEnv });
    expect(result.exitCode, result.all).toBe(0);
    expect(buildsThatRan(result.all)).toEqual([]);
    expect(result.all).toMatch(/pointing \S+:prod-cu124 back at \S+:prod-cu124-nx\d+/);
    for (const backend of BACKENDS) {
      const recorded = JSON.parse(readFileSync(join(b.root, `dist/services/ml-service/images/prod-${backend}.json`), 'utf8')).digest;
      const served = JSON.parse(
        execFileSync('docker', ['buildx', 'imagetools', 'inspect', `${REGISTRY}/ml-service:prod-${backend}`, '--format', '{{json .Manifest}}'], {
          encoding: 'utf8',
          timeout: 60_000,
        }),
      );
      // buildx 0.13 wraps a single manifest in an index when it tags: the tag serves the recorded manifest through it.
      expect([served.digest, ...(served.manifests ?? []).map((manifest: { digest: string }) => manifest.digest)]).toContain(recorded);
    }
  });
});
