import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nxBin } from '../tools/example-workspace.mjs';
import { docker, dockerSucceeds, provisionDocker, taskOutcomes } from './support/docker';
import { createWorkspace, disposeWorkspaces, nxEnv, type Workspace } from './support/workspace';

const SERVER_PORT = 18765;
const SERVER_NAME = 'speech-cpu';

/**
 * The run executor on the real engine, through Nx: a prod image as a continuous server that Nx stops, and a dev
 * image with the project's sources mounted, whose edits show without a rebuild. The targets come from a project.json
 * that Nx merges with the inferred ones, named apart from the inferred run-* targets: no image task runs first.
 */
describe('nx-uv-cuda:run', () => {
  let ws: Workspace;
  const tagsToRemove = ['speech:server-cpu', 'speech:dev-cpu'];
  const containerExists = (name: string) =>
    docker(['ps', '-a', '--filter', `name=^/?${name}$`, '--format', '{{.Names}}']).trim() !== '';

  beforeAll(async () => {
    provisionDocker();
    dockerSucceeds(['rm', '--force', SERVER_NAME]);
    ws = createWorkspace({ fixture: 'real-layouts' });
    const images = (name: string) => `dist/services/speech/images/${name}.json`;
    ws.write(
      'services/speech/project.json',
      JSON.stringify(
        {
          name: 'speech',
          targets: {
            'try-prod-cpu': {
              executor: 'nx-uv-cuda:run',
              continuous: true,
              cache: false,
              options: {
                imageMetadata: images('server-cpu'),
                mode: 'prod',
                command: ['python3', '-m', 'http.server', '8000'],
                ports: [`127.0.0.1:${SERVER_PORT}:8000`],
              },
            },
            'try-dev-cpu': {
              executor: 'nx-uv-cuda:run',
              cache: false,
              options: { imageMetadata: images('dev-cpu'), mode: 'dev', network: 'none', command: ['cat', '/workspace/marker.txt'] },
            },
            'try-prod-cu128': {
              executor: 'nx-uv-cuda:run',
              cache: false,
              options: { imageMetadata: images('server-cu128'), network: 'none' },
            },
          },
        },
        null,
        2,
      ),
    );
    const built = await ws.nx(['run-many', '-t', 'image-server-cpu', 'image-dev-cpu', '-p', 'speech']);
    expect(built.exitCode, built.all).toBe(0);
  });

  afterAll(() => {
    dockerSucceeds(['rm', '--force', SERVER_NAME]);
    for (const tag of tagsToRemove) dockerSucceeds(['image', 'rm', '--force', tag]);
    disposeWorkspaces();
  });

  /** `nx run speech:try-prod-cpu` until the server answers, then `signal` to nx: what nx printed and how long the container outlived it. */
  async function serveThenSignal(signal: 'SIGINT' | 'SIGTERM', args: string[] = []) {
    const nx = execa(process.execPath, [nxBin(ws.root), 'run', 'speech:try-prod-cpu', ...args], {
      cwd: ws.root,
      reject: false,
      all: true,
      stdin: 'ignore',
      env: nxEnv(ws.root),
      timeout: 180_000,
    });
    let output = '';
    nx.all?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    let answer: number | undefined;
    try {
      answer = await waitForHttp(`http://127.0.0.1:${SERVER_PORT}/`, 30_000, () => nx.exitCode !== null);
    } finally {
      nx.kill(signal);
    }
    const result = await nx;
    const stoppedAt = Date.now();
    // Nx ends its task moments after the signal; the container's stop (docker stop --time 10) may take longer.
    while (containerExists(SERVER_NAME) && Date.now() - stoppedAt < 30_000) await new Promise((resolve) => setTimeout(resolve, 250));
    return { answer, output: String(result.all ?? output), timedOut: result.timedOut, outlivedMs: Date.now() - stoppedAt };
  }

  it('serves the prod image as a continuous task, and stops and removes the container when nx gets SIGINT', async () => {
    const run = await serveThenSignal('SIGINT');
    expect(run.answer, run.output).toBe(200);
    expect(run.timedOut).toBe(false);
    expect(run.output).toContain(`${SERVER_NAME} serves http://127.0.0.1:${SERVER_PORT}/ (container port 8000/tcp)`);
    expect(run.output).toMatch(/CPU only/);
    expect(run.output).toMatch(/docker run --rm --name speech-cpu --network bridge -p 127\.0\.0\.1:18765:8000 speech:server-cpu python3 -m http\.server 8000/);
    // python as PID 1 ignores SIGTERM: docker stop kills it after its 10 s.
    expect(containerExists(SERVER_NAME)).toBe(false);
  });

  it('stops the container when nx gets SIGTERM; with --init (extraArgs) the server ends at once', async () => {
    const run = await serveThenSignal('SIGTERM', ['--extraArgs=--init']);
    expect(run.answer, run.output).toBe(200);
    expect(run.output).toContain('-p 127.0.0.1:18765:8000 --init speech:server-cpu');
    // Whether Nx still prints the executor's "interrupted: stopping …" line after its own SIGTERM varies (seen
    // both ways): the container being gone, soon, is what counts.
    expect(containerExists(SERVER_NAME)).toBe(false);
    expect(run.outlivedMs).toBeLessThan(8_000);
  });

  it('runs the dev image with the project mounted at /workspace: an edit shows without a rebuild', async () => {
    ws.write('services/speech/marker.txt', 'first marker\n');
    const first = await ws.nx(['run', 'speech:try-dev-cpu']);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toContain('first marker');
    expect(first.all).toMatch(/--network none --mount type=bind,source=\S+\/services\/speech,target=\/workspace -w \/workspace speech:dev-cpu cat/);

    ws.write('services/speech/marker.txt', 'second marker\n');
    const second = await ws.nx(['run', 'speech:try-dev-cpu']);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.all).toContain('second marker');
    expect(second.all).not.toContain('first marker');
    expect(Object.keys(taskOutcomes(second.all))).toEqual(['speech:try-dev-cpu']);
  });

  it('says which target to run when the metadata is missing, and to run it again when the local image is gone', async () => {
    const missing = await ws.nx(['run', 'speech:try-prod-cu128']);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.all).toContain('dist/services/speech/images/server-cu128.json is missing: run `nx run speech:image-server-cu128` first');

    docker(['image', 'rm', '--force', 'speech:dev-cpu']);
    const gone = await ws.nx(['run', 'speech:try-dev-cpu']);
    expect(gone.exitCode).not.toBe(0);
    expect(gone.all).toMatch(/speech:dev-cpu \(from dist\/services\/speech\/images\/dev-cpu\.json\) is no longer in the default engine/);
    expect(gone.all).toContain('run `nx run speech:image-dev-cpu` again');
  });
});

/** Polls a URL until it answers (its status) or the time is up (undefined); stops early when `gaveUp` says so. */
async function waitForHttp(url: string, withinMs: number, gaveUp: () => boolean): Promise<number | undefined> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && !gaveUp()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return response.status;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return undefined;
}
