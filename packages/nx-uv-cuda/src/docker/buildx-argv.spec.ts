import { describe, expect, it } from 'vitest';
import { buildxBuildArgv, defaultProgress, registryCache, type BuildxBuild } from './buildx-argv';

const minimal: BuildxBuild = {
  dockerfile: '/ws/svc/Dockerfile',
  context: '/ws/svc',
  target: 'prod',
  buildArgs: {},
  output: { type: 'none' },
};

describe('buildxBuildArgv', () => {
  it('starts with file and target, turns provenance off and ends with the context', () => {
    expect(buildxBuildArgv(minimal)).toEqual([
      'buildx',
      'build',
      '--file',
      '/ws/svc/Dockerfile',
      '--target',
      'prod',
      '--provenance=false',
      '/ws/svc',
    ]);
  });

  it('emits every option, maps in key order, and keeps the context last', () => {
    const argv = buildxBuildArgv({
      ...minimal,
      builder: 'gpu-builder',
      progress: 'plain',
      buildArgs: { UBUNTU_VERSION: '22.04', CUDA_VERSION: '12.4.1', CMAKE_VERSION: '3.26.1' },
      buildContexts: { wheels: '/ws/dist/wheels/cu124', base: 'docker-image://nvidia/cuda:12.4.1' },
      tags: ['reg/svc:prod-cu124', 'reg/svc:latest'],
      labels: { 'org.opencontainers.image.title': 'svc', 'io.nx-uv-cuda.backend': 'cu124' },
      platforms: ['linux/amd64', 'linux/arm64'],
      cacheFrom: ['type=registry,ref=reg/svc:buildcache'],
      cacheTo: ['type=registry,ref=reg/svc:buildcache,mode=max'],
      secrets: ['id=hf,env=HF_TOKEN', 'id=npmrc,src=/home/me/.npmrc'],
      noCache: true,
      pull: true,
      provenance: true,
      output: { type: 'push' },
      metadataFile: '/tmp/meta.json',
    });
    expect(argv).toEqual([
      'buildx',
      'build',
      '--file',
      '/ws/svc/Dockerfile',
      '--target',
      'prod',
      '--builder',
      'gpu-builder',
      '--progress',
      'plain',
      '--build-arg',
      'CMAKE_VERSION=3.26.1',
      '--build-arg',
      'CUDA_VERSION=12.4.1',
      '--build-arg',
      'UBUNTU_VERSION=22.04',
      '--build-context',
      'base=docker-image://nvidia/cuda:12.4.1',
      '--build-context',
      'wheels=/ws/dist/wheels/cu124',
      '--tag',
      'reg/svc:prod-cu124',
      '--tag',
      'reg/svc:latest',
      '--label',
      'io.nx-uv-cuda.backend=cu124',
      '--label',
      'org.opencontainers.image.title=svc',
      '--platform',
      'linux/amd64,linux/arm64',
      '--cache-from',
      'type=registry,ref=reg/svc:buildcache',
      '--cache-to',
      'type=registry,ref=reg/svc:buildcache,mode=max',
      '--secret',
      'id=hf,env=HF_TOKEN',
      '--secret',
      'id=npmrc,src=/home/me/.npmrc',
      '--no-cache',
      '--pull',
      '--provenance=true',
      '--push',
      '--metadata-file',
      '/tmp/meta.json',
      '/ws/svc',
    ]);
  });

  it('sorts build args by code unit, independent of insertion order and locale', () => {
    const argv = buildxBuildArgv({ ...minimal, buildArgs: { b: '1', B: '2', a: '3', _A: '4' } });
    expect(argv.filter((_, index) => argv[index - 1] === '--build-arg')).toEqual(['B=2', '_A=4', 'a=3', 'b=1']);
  });

  it('keeps values with spaces and quotes as single argv elements, never joined into a shell string', () => {
    const argv = buildxBuildArgv({
      ...minimal,
      buildArgs: { PIP_EXTRA: `--index-url "https://x" ; rm -rf /` },
      labels: { description: "it's a test" },
    });
    expect(argv).toContain(`PIP_EXTRA=--index-url "https://x" ; rm -rf /`);
    expect(argv).toContain("description=it's a test");
    expect(argv).toHaveLength(12);
  });

  it('leaves out empty platform lists and false flags', () => {
    const argv = buildxBuildArgv({ ...minimal, platforms: [], noCache: false, pull: false, provenance: false });
    expect(argv).toEqual(buildxBuildArgv(minimal));
  });

  it.each([
    [{ type: 'push' } as const, ['--push']],
    [{ type: 'load' } as const, ['--load']],
    [{ type: 'local', dest: '/tmp/export dir' } as const, ['--output', 'type=local,dest=/tmp/export dir']],
    [{ type: 'none' } as const, []],
  ])('writes output %o as %o before the context', (output, expected) => {
    const argv = buildxBuildArgv({ ...minimal, output });
    expect(argv.slice(7)).toEqual([...expected, '/ws/svc']);
  });
});

describe('defaultProgress', () => {
  it('draws tty progress only at a terminal outside CI', () => {
    expect(defaultProgress({}, true)).toBe('tty');
    expect(defaultProgress({}, false)).toBe('plain');
    expect(defaultProgress({ CI: 'true' }, true)).toBe('plain');
    expect(defaultProgress({ CI: '1' }, false)).toBe('plain');
  });
});

describe('registryCache', () => {
  it('reads and writes one registry ref, writing all layers and ignoring cache export errors', () => {
    expect(registryCache('127.0.0.1:5000/ml/svc:buildcache-prod-cu124')).toEqual({
      cacheFrom: ['type=registry,ref=127.0.0.1:5000/ml/svc:buildcache-prod-cu124'],
      cacheTo: ['type=registry,ref=127.0.0.1:5000/ml/svc:buildcache-prod-cu124,mode=max,ignore-error=true'],
    });
  });
});
