import { describe, expect, it } from 'vitest';
import type { BuildxBuild } from './buildx-argv';
import { debugCommands } from './debug-commands';
import { parseDockerfile } from './parse-dockerfile';
import { parentStage, resolveStageRef } from './stage-graph';

const build: BuildxBuild = {
  dockerfile: '/ws/svc/Dockerfile',
  context: '/ws/svc',
  target: 'server',
  buildArgs: { BACKEND: 'cuda', UV_EXTRA: 'cu128' },
  tags: ['127.0.0.1:5000/ml/svc:server-cu128'],
  labels: { 'io.nx-uv-cuda.kind': 'server' },
  cacheFrom: ['type=registry,ref=127.0.0.1:5000/ml/svc:buildcache'],
  cacheTo: ['type=registry,ref=127.0.0.1:5000/ml/svc:buildcache,mode=max'],
  output: { type: 'push' },
  metadataFile: '/tmp/meta.json',
};

describe('debugCommands', () => {
  const commands = debugCommands(build, { parent: 'deps', tag: 'svc-debug:deps-cu128' });

  it('repeats the failed build exactly', () => {
    expect(commands.reproduce).toContain('--push');
    expect(commands.reproduce.slice(commands.reproduce.indexOf('--target'), commands.reproduce.indexOf('--target') + 2)).toEqual(['--target', 'server']);
  });

  it('loads the parent stage with the same build args and contexts, pushing and exporting nothing', () => {
    const load = commands.loadParent!;
    expect(load.slice(load.indexOf('--target'), load.indexOf('--target') + 2)).toEqual(['--target', 'deps']);
    expect(load).toEqual(expect.arrayContaining(['--build-arg', 'BACKEND=cuda', '--build-arg', 'UV_EXTRA=cu128', '--load']));
    expect(load).toEqual(expect.arrayContaining(['--tag', 'svc-debug:deps-cu128', '--cache-from']));
    for (const gone of ['--push', '--cache-to', '--metadata-file', '--label']) expect(load).not.toContain(gone);
    expect(commands.shell).toEqual(['run', '-it', '--rm', '--entrypoint', '/bin/sh', 'svc-debug:deps-cu128']);
  });

  it('opens the base image when the failed stage builds FROM an image', () => {
    const fromImage = debugCommands(build, { baseImage: 'python:3.12-slim', tag: 'unused' });
    expect(fromImage.loadParent).toBeUndefined();
    expect(fromImage.shell).toEqual(['run', '-it', '--rm', '--entrypoint', '/bin/sh', 'python:3.12-slim']);
  });
});

describe('parentStage', () => {
  const model = parseDockerfile(
    ['ARG BACKEND=cpu', 'FROM python:3.12 AS base-cpu', 'FROM nvidia/cuda:12.8.0-base-ubuntu24.04 AS base-cuda', 'FROM base-${BACKEND} AS deps', 'FROM deps AS server', ''].join('\n'),
    'Dockerfile',
  );

  it('follows FROM with the build args', () => {
    expect(parentStage(model, resolveStageRef(model, 'server')!)?.name).toBe('deps');
    expect(parentStage(model, resolveStageRef(model, 'deps')!)?.name).toBe('base-cpu');
    expect(parentStage(model, resolveStageRef(model, 'deps')!, { BACKEND: 'cuda' })?.name).toBe('base-cuda');
    expect(parentStage(model, resolveStageRef(model, 'base-cpu')!)).toBeUndefined();
  });
});
