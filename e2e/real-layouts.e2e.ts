import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerSucceeds, provisionDocker } from './support/docker';
import { createWorkspace, disposeWorkspaces, type Workspace } from './support/workspace';

/**
 * Zero configuration on layouts shaped like existing uv ML repositories (e2e/fixtures/real-layouts): the plugin
 * finds their Dockerfiles, stages, backends and build args, and the images it builds on the real engine install
 * the backend's extra on the backend's base.
 */
describe('existing repository layouts, zero configuration', () => {
  let ws: Workspace;
  const tagsToRemove: string[] = [];

  beforeAll(() => {
    provisionDocker();
    ws = createWorkspace({ fixture: 'real-layouts' });
  });

  afterAll(() => {
    // Every tag of the fixture's repositories, the task-hash tags (`<name>-nx<hash>`) included.
    for (const repository of ['speech', 'vision', 'speech-debug']) {
      const tags = docker(['images', '--format', '{{.Repository}}:{{.Tag}}', repository]).split('\n').filter(Boolean);
      tagsToRemove.push(...tags);
    }
    for (const tag of new Set(tagsToRemove)) dockerSucceeds(['image', 'rm', '--force', tag]);
    disposeWorkspaces();
  });

  async function showProject(name: string) {
    const result = await ws.nx(['show', 'project', name, '--json']);
    expect(result.exitCode, result.all).toBe(0);
    return JSON.parse(result.stdout);
  }

  /** What the image's stand-in `uv sync` installed, and which base stage it was built on. */
  function installed(tag: string): { extra: string; torch: string; base: string } {
    tagsToRemove.push(tag);
    const json = JSON.parse(docker(['run', '--rm', '--network', 'none', tag, 'cat', '/opt/app/installed.json']));
    const base = docker(['run', '--rm', '--network', 'none', tag, 'cat', '/opt/app/base-flavour']).trim();
    return { ...json, base };
  }

  it('infers the leaf stages server and dev of one Dockerfile, per backend extra, with the ARGs its RUN and FROM read', async () => {
    const project = await showProject('speech');
    const images = Object.keys(project.targets).filter((name) => project.targets[name].executor === 'nx-uv-cuda:image');
    expect(images.sort()).toEqual(['image-dev-cpu', 'image-dev-cu128', 'image-server-cpu', 'image-server-cu128']);
    expect(project.targets['image-server-cu128'].options).toMatchObject({ target: 'server', kind: 'server', backend: 'cu128' });
    const explained = project.metadata['nx-uv-cuda'];
    expect(explained.backends.map((backend: { name: string }) => backend.name)).toEqual(['cpu', 'cu128']);
    expect(explained.backends[1].source).toMatch(/extra cu128 of services\/speech\/pyproject.toml, which routes torch to the cu128 index/);
    const server = explained.images.find((image: { target: string }) => image.target === 'image-server-cu128');
    expect(server.buildArgs).toEqual(
      expect.arrayContaining([
        { name: 'UV_EXTRA', value: 'cu128', rule: 'the ARG that `uv sync --extra` reads', line: 21 },
        expect.objectContaining({ name: 'BACKEND', value: 'cuda', line: 13 }),
        expect.objectContaining({ name: 'CUDA_VERSION', value: '12.8.0' }),
      ]),
    );
    expect(explained.warnings).toEqual([]);
  });

  it('prints the exact buildx argv with --dryRun and builds nothing', async () => {
    const result = await ws.nx(['run', 'speech:image-dev-cu128', '--dryRun']);
    expect(result.exitCode, result.all).toBe(0);
    const argv = result.all.split('\n').find((line) => line.startsWith('docker buildx build'));
    expect(argv).toBeDefined();
    expect(argv).toContain('--build-arg BACKEND=cuda');
    expect(argv).toContain('--build-arg UV_EXTRA=cu128');
    expect(argv).toContain('--target dev');
    expect(result.all).toMatch(/dry run: nothing was built or written/);
    expect(ws.exists('dist/services/speech/images/dev-cu128.json')).toBe(false);
    expect(dockerSucceeds(['image', 'inspect', 'speech:dev-cu128'])).toBe(false);
  });

  it('builds each backend on its own base stage with its own extra', async () => {
    const result = await ws.nx(['run-many', '-t', 'image-server-cu128', 'image-server-cpu', '-p', 'speech']);
    expect(result.exitCode, result.all).toBe(0);
    expect(installed('speech:server-cu128')).toEqual({ extra: 'cu128', torch: '2.7.0+cu128', base: 'cuda' });
    expect(installed('speech:server-cpu')).toEqual({ extra: 'cpu', torch: '2.7.0+cpu', base: 'cpu' });
  });

  it("reads a backend's own uv-<backend>.lock: its slice, its LOCK_FILE, and an edit rebuilds only its images", async () => {
    const lock = ws.read('services/speech/uv.lock');
    const ownLock = (torch: string) => lock.replaceAll('2.7.0+cu128', torch);
    ws.write('services/speech/uv-cu128.lock', ownLock('2.7.1+cu128'));
    const project = await showProject('speech');
    expect(project.targets['lock-cu128'].options).toMatchObject({ lockFile: 'services/speech/uv-cu128.lock' });
    expect(project.targets['lock-cpu'].options).toMatchObject({ lockFile: 'services/speech/uv.lock' });
    expect(project.targets['keys-cu128'].options.baseBuildArgs).toMatchObject({ LOCK_FILE: 'uv-cu128.lock' });
    expect(project.targets['keys-cpu'].options.baseBuildArgs).not.toHaveProperty('LOCK_FILE');
    const checked = await ws.nx(['run', 'speech:lock-check-cu128']);
    expect(checked.exitCode, checked.all).toBe(0);
    expect(checked.all).toMatch(/pins 1 package\(s\) that cu128 does not reach[^\n]*: torch 2\.7\.0\+cpu/);

    const built = await ws.nx(['run-many', '-t', 'image-server-cu128', 'image-server-cpu', '-p', 'speech']);
    expect(built.exitCode, built.all).toBe(0);
    expect(installed('speech:server-cu128')).toMatchObject({ extra: 'cu128', torch: '2.7.1+cu128' });
    expect(installed('speech:server-cpu')).toMatchObject({ extra: 'cpu', torch: '2.7.0+cpu' });

    const cpuKey = ws.read('dist/services/speech/keys/cpu-image-server.json');
    const cu128Key = ws.read('dist/services/speech/keys/cu128-image-server.json');
    ws.write('services/speech/uv-cu128.lock', ownLock('2.7.2+cu128'));
    const again = await ws.nx(['run-many', '-t', 'image-server-cu128', 'image-server-cpu', '-p', 'speech']);
    expect(again.exitCode, again.all).toBe(0);
    expect(ws.read('dist/services/speech/keys/cpu-image-server.json')).toBe(cpuKey);
    expect(ws.read('dist/services/speech/keys/cu128-image-server.json')).not.toBe(cu128Key);
    expect(installed('speech:server-cu128')).toMatchObject({ torch: '2.7.2+cu128' });
    // The cpu image's inputs did not change: the engine's image is reused, not rebuilt (run alone to see its output).
    const cpu = await ws.nx(['run', 'speech:image-server-cpu']);
    expect(cpu.exitCode, cpu.all).toBe(0);
    expect(cpu.all).toMatch(/speech:server-cpu-nx\w+ is already in the default engine: built from these exact inputs, not rebuilt/);
    const dry = await ws.nx(['run', 'speech:image-server-cu128', '--excludeTaskDependencies', '--dryRun']);
    expect(dry.all).toMatch(/docker buildx build [^\n]*--target server[^\n]*--build-arg LOCK_FILE=uv-cu128\.lock/);
  });

  it('builds one Dockerfile per accelerator folder as the backend of that accelerator', async () => {
    const project = await showProject('vision');
    expect(project.metadata['nx-uv-cuda'].backends.map((backend: { name: string }) => backend.name).sort()).toEqual(['cpu', 'gpu']);
    expect(project.targets['image-gpu'].options).toMatchObject({ dockerfile: 'services/vision/docker/gpu/Dockerfile', backend: 'gpu' });
    expect(project.targets['image-cpu'].options).toMatchObject({ dockerfile: 'services/vision/docker/cpu/Dockerfile', backend: 'cpu' });
    const result = await ws.nx(['run-many', '-t', 'image', '-p', 'vision']);
    expect(result.exitCode, result.all).toBe(0);
    for (const accelerator of ['gpu', 'cpu']) {
      const tag = `vision:image-${accelerator}`;
      tagsToRemove.push(tag);
      expect(docker(['run', '--rm', '--network', 'none', tag, 'cat', '/opt/app/accelerator']).trim()).toBe(accelerator);
    }
  });

  it('ends a failed build with the command to reproduce it and a shell in the stage before it', async () => {
    const file = 'services/speech/docker/Dockerfile';
    const original = ws.read(file);
    ws.write(file, original.replace('RUN echo dev > /opt/app/role', 'RUN echo dev > /opt/app/role && exit 3'));
    try {
      const failed = await ws.nx(['run', 'speech:image-dev-cpu', '--debugOnFailure']);
      expect(failed.exitCode).not.toBe(0);
      const lines = failed.all.split('\n');
      const reproduce = lines.find((line) => line.includes('reproduce by hand: docker buildx build'));
      expect(reproduce).toContain('--target dev');
      expect(reproduce).toContain('--build-arg UV_EXTRA=cpu');
      const shell = lines.find((line) => line.includes('a shell in deps, the stage dev builds on:'));
      expect(shell).toContain('--target deps');
      expect(shell).toContain('docker run -it --rm --entrypoint /bin/sh speech-debug:deps-cpu');
      expect(failed.all).toMatch(/deps is loaded: docker run -it --rm --entrypoint \/bin\/sh speech-debug:deps-cpu/);
      tagsToRemove.push('speech-debug:deps-cpu');
      // The stage before the failing one is there to open, with what it installed.
      expect(JSON.parse(docker(['run', '--rm', '--network', 'none', 'speech-debug:deps-cpu', 'cat', '/opt/app/installed.json']))).toMatchObject({ extra: 'cpu' });
      expect(ws.exists('dist/services/speech/images/dev-cpu.json')).toBe(false);
    } finally {
      ws.write(file, original);
    }
  });

  it('keeps the graph when two projects share a name, renaming the deeper one stably', async () => {
    ws.write('services/speech/vendored/pyproject.toml', '[project]\nname = "speech"\nversion = "0.0.1"\n');
    const result = await ws.nx(['show', 'projects', '--json']);
    expect(result.exitCode, result.all).toBe(0);
    expect(JSON.parse(result.stdout).sort()).toEqual(['speech', 'speech-services-speech-vendored', 'vision']);
    expect(result.all).toMatch(/2 projects are named "speech"/);
  });
});
