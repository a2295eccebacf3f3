import { describe, expect, it } from 'vitest';
import { wheelExecutorSchema, type WheelExecutorOptions } from './schema';
import { planWheel, wheelBuildArgs } from './wheel-plan';

function wheelOptions(options: Partial<WheelExecutorOptions> = {}) {
  return wheelExecutorSchema.parse({
    dockerfile: 'services/ml/docker/Dockerfile',
    context: 'services/ml',
    target: 'wheel-prod',
    backend: 'cu124',
    outputPath: 'dist/services/ml/wheels/cu124',
    ...options,
  });
}

function plan(options: Partial<WheelExecutorOptions> = {}, environmentBuildArgs: string[] = []) {
  return planWheel({ options: wheelOptions(options), environmentBuildArgs, workspaceRoot: '/ws', exportDir: '/tmp/export-1', env: {}, stderrIsTty: false });
}

describe('wheelBuildArgs', () => {
  it('passes the build args unchanged when no knob is set', () => {
    expect(wheelBuildArgs(wheelOptions({ buildArgs: { CUDA_VERSION: '12.4.1', MAX_JOBS: '2' } }))).toEqual({
      CUDA_VERSION: '12.4.1',
      MAX_JOBS: '2',
    });
  });

  it('turns the knobs into build args that override the target build args', () => {
    const buildArgs = wheelBuildArgs(
      wheelOptions({
        buildArgs: { CUDA_VERSION: '12.4.1', MAX_JOBS: '2', NVCC_THREADS: '1', FLASH_ATTN_CUDA_ARCHS: '80' },
        maxJobs: 8,
        nvccThreads: 4,
        cudaArchs: '80;90',
      }),
    );
    expect(buildArgs).toEqual({ CUDA_VERSION: '12.4.1', MAX_JOBS: '8', NVCC_THREADS: '4', FLASH_ATTN_CUDA_ARCHS: '80;90' });
  });

  it('adds only the knobs that are set', () => {
    expect(wheelBuildArgs(wheelOptions({ nvccThreads: 2 }))).toEqual({ NVCC_THREADS: '2' });
  });
});

describe('planWheel', () => {
  it('exports the wheel stage into the export folder', () => {
    const { build, argv } = plan({ maxJobs: 4 });
    expect(build.target).toBe('wheel-prod');
    expect(build.output).toEqual({ type: 'local', dest: '/tmp/export-1' });
    expect(argv).toEqual([
      'buildx',
      'build',
      '--file',
      '/ws/services/ml/docker/Dockerfile',
      '--target',
      'wheel-prod',
      '--progress',
      'plain',
      '--build-arg',
      'MAX_JOBS=4',
      '--provenance=false',
      '--output',
      'type=local,dest=/tmp/export-1',
      '/ws/services/ml',
    ]);
  });

  it('exports the scratch stage instead when one is named', () => {
    const { build, argv } = plan({ exportStage: 'wheels' });
    expect(build.target).toBe('wheels');
    expect(argv.slice(4, 6)).toEqual(['--target', 'wheels']);
  });

  it('passes the cache, secrets, platform and builder options through, and never tags, pushes or loads', () => {
    const { argv } = plan({
      builder: 'gpu',
      platforms: ['linux/amd64'],
      cacheFrom: ['type=local,src=/cache'],
      cacheTo: ['type=local,dest=/cache'],
      secrets: ['id=hf,env=HF_TOKEN'],
      progress: 'quiet',
      noCache: true,
    });
    expect(argv).toEqual([
      'buildx',
      'build',
      '--file',
      '/ws/services/ml/docker/Dockerfile',
      '--target',
      'wheel-prod',
      '--builder',
      'gpu',
      '--progress',
      'quiet',
      '--platform',
      'linux/amd64',
      '--cache-from',
      'type=local,src=/cache',
      '--cache-to',
      'type=local,dest=/cache',
      '--secret',
      'id=hf,env=HF_TOKEN',
      '--no-cache',
      '--provenance=false',
      '--output',
      'type=local,dest=/tmp/export-1',
      '/ws/services/ml',
    ]);
  });

  it('passes credential-looking build args by name only, so buildx reads them from its environment', () => {
    const { argv } = plan({ buildArgs: { CUDA_VERSION: '12.4.1' } }, ['HF_TOKEN']);
    const index = argv.indexOf('HF_TOKEN');
    expect(argv[index - 1]).toBe('--build-arg');
    expect(argv).toContain('CUDA_VERSION=12.4.1');
    expect(argv.some((arg) => arg.startsWith('HF_TOKEN='))).toBe(false);
  });

  it('prints plain progress whatever was asked when the output holds values to mask', () => {
    const masked = planWheel({ options: wheelOptions({ progress: 'rawjson' }), environmentBuildArgs: ['HF_TOKEN'], masksOutput: true, workspaceRoot: '/ws', exportDir: '/x', env: {}, stderrIsTty: true });
    expect(masked.build.progress).toBe('plain');
  });

  it('draws tty progress at a terminal outside CI', () => {
    const atTerminal = planWheel({ options: wheelOptions(), environmentBuildArgs: [], workspaceRoot: '/ws', exportDir: '/x', env: {}, stderrIsTty: true });
    expect(atTerminal.build.progress).toBe('tty');
  });
});
