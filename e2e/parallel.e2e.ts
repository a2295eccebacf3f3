import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { snapshotRace } from '../packages/nx-uv-cuda/src/docker/transient-errors';
import { docker, dockerSucceeds, provisionDocker } from './support/docker';
import { createWorkspace, disposeLater, disposeWorkspaces, type Workspace } from './support/workspace';

/**
 * Issue 11: parallel builds on Docker 26's containerd image store. A build's export moves its tag to the new
 * image and then unpacks it; a containerd GC in between (any other build's end starts one) deletes a lower
 * snapshot that only the old image kept, and the build fails with "parent snapshot ... does not exist". A loop
 * of synchronous GC runs (the engine's own `ctr`, a lease created and deleted) stands for the builds that end
 * beside it: with it, the race is lost at once.
 */
const CTR = join(process.env.NX_UV_CUDA_CACHE ?? join(homedir(), '.cache', 'nx-uv-cuda'), 'engine', 'prefix', 'usr', 'bin', 'ctr');
const CONTAINERD = ['-a', '/var/run/docker/containerd/containerd.sock', '-n', 'moby'];
const TAG = `nx-uv-cuda-race-${Date.now().toString(36)}:x`;

let churn: ChildProcess | undefined;
const lease = `nx-uv-cuda-e2e-gc-${process.pid}`;

/** Runs containerd's GC over and over, back to back (two loops), as other builds ending would, until stopped. */
function startGcChurn(): void {
  const loop = (id: string) => `while :; do "$0" "$@" leases create --id ${id} >/dev/null 2>&1; "$0" "$@" leases delete --sync ${id} >/dev/null 2>&1; done`;
  const both = `(${loop(`${lease}-a`)}) & (${loop(`${lease}-b`)}) & wait`;
  churn = spawn('sh', ['-c', both, CTR, ...CONTAINERD], { stdio: 'ignore', detached: true });
}

function stopGcChurn(): void {
  if (churn?.pid) process.kill(-churn.pid, 'SIGKILL');
  churn = undefined;
  for (const id of [`${lease}-a`, `${lease}-b`]) spawnSync(CTR, [...CONTAINERD, 'leases', 'delete', id], { stdio: 'ignore', timeout: 30_000 });
}

afterEach(stopGcChurn);
afterAll(() => {
  stopGcChurn();
  spawnSync('docker', ['image', 'rm', '--force', TAG], { stdio: 'ignore', timeout: 60_000 });
  disposeWorkspaces();
});

describe('parallel builds and the containerd image store', () => {
  beforeAll(() => provisionDocker());

  it('reproduces the race with plain docker buildx: a rebuild under the same tag while containerd collects', () => {
    const context = disposeLater(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-race-')));
    writeFileSync(
      join(context, 'Dockerfile'),
      ['FROM nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04', 'RUN echo 1 > /l1', 'RUN echo 2 > /l2', 'ARG NONCE', 'RUN echo $NONCE > /n', ''].join('\n'),
    );
    const build = (nonce: number, keptTag?: string) =>
      spawnSync(
        'docker',
        ['buildx', 'build', '--network', 'none', '--progress', 'plain', '--load', '-t', TAG, ...(keptTag ? ['-t', keptTag] : []), '--build-arg', `NONCE=${nonce}`, context],
        { encoding: 'utf8', timeout: 300_000 },
      );
    expect(build(0).status).toBe(0);
    // The GC loop needs the engine's own containerd: say so if it cannot reach it, rather than "no race".
    const ctr = spawnSync(CTR, [...CONTAINERD, 'leases', 'ls'], { encoding: 'utf8', timeout: 30_000 });
    expect(ctr.status, `${CTR} cannot reach the engine's containerd: ${ctr.stderr}`).toBe(0);
    startGcChurn();
    let lost: ReturnType<typeof build> | undefined;
    let tries = 0;
    while (tries < 60 && !lost) {
      tries += 1;
      const result = build(tries);
      if (result.status !== 0) lost = result;
    }
    console.log(`plain docker buildx under GC pressure: a rebuild under the same tag lost the race at try ${tries}`);
    expect(lost, `no build lost the race in ${tries} tries`).toBeDefined();
    expect(snapshotRace(lost!.stderr), lost!.stderr.slice(-2000)).toBeDefined();
    stopGcChurn();
    // The same build run again passes: its layers are cached, it only unpacks.
    expect(build(99).status).toBe(0);

    // A second tag per build that stays (the image target's task-hash tag) keeps the old image, and with it its
    // snapshots: under the same GC pressure, no build loses the race.
    const kept = (nonce: number) => `${TAG}-kept${nonce}`;
    expect(build(100, kept(100)).status).toBe(0);
    startGcChurn();
    const failures = [];
    for (let nonce = 101; nonce <= 110; nonce += 1) if (build(nonce, kept(nonce)).status !== 0) failures.push(nonce);
    stopGcChurn();
    spawnSync('docker', ['image', 'rm', ...Array.from({ length: 11 }, (_, index) => kept(100 + index))], { stdio: 'ignore', timeout: 120_000 });
    expect(failures).toEqual([]);
  });

  describe('nx run-many --parallel=3 under the same GC pressure', () => {
    let ws: Workspace;
    beforeAll(() => {
      ws = createWorkspace({ fixture: 'ml-monorepo' });
    });

    it('builds every image, and rebuilds them under the same tags after an edit, without a failure', async () => {
      startGcChurn();
      const first = await ws.nx(['run-many', '-t', 'image', '--parallel=3']);
      expect(first.exitCode, first.all.slice(-4000)).toBe(0);
      ws.append('libs/shared/src/shared/__init__.py', '\nPARALLEL_EDIT = True\n');
      const second = await ws.nx(['run-many', '-t', 'image', '--parallel=3']);
      expect(second.exitCode, second.all.slice(-4000)).toBe(0);
      stopGcChurn();
      const retries = `${first.all}${second.all}`.match(/lost a race in the engine's containerd image store/g)?.length ?? 0;
      console.log(`parallel builds under GC pressure: ${retries} build(s) lost the snapshot race and passed when run again`);
      for (const service of ['ml-service', 'other-service']) {
        for (const image of [`${service}:dev-cu124`, `${service}:prod-cu128`]) expect(dockerSucceeds(['image', 'inspect', image]), image).toBe(true);
      }
      // Each rebuilt image still runs: no layer of it was lost.
      expect(docker(['run', '--rm', '--network', 'none', 'ml-service:prod-cu124', 'python3', '-c', 'import shared; print(shared.PARALLEL_EDIT)']).trim()).toBe('True');
    });
  });
});
