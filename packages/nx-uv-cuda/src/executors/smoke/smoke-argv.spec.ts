import { describe, expect, it } from 'vitest';
import { DEFAULT_SMOKE_COMMAND, smokeExecutorSchema, type SmokeExecutorOptions } from './schema';
import { smokeRunArgv } from './smoke-argv';

const CPU = { args: [] };
const RUNTIME = { args: ['--gpus', 'all'] };
const CDI = { args: ['--device', 'nvidia.com/gpu=all'] };

const smokeOptions = (options: Partial<SmokeExecutorOptions> = {}) =>
  smokeExecutorSchema.parse({ imageMetadata: 'dist/svc/images/prod-cu124.json', ...options });

describe('smokeExecutorSchema', () => {
  it('fills in the defaults', () => {
    expect(smokeOptions()).toEqual({
      imageMetadata: 'dist/svc/images/prod-cu124.json',
      command: DEFAULT_SMOKE_COMMAND,
      gpus: 'auto',
      network: 'none',
      env: {},
      timeoutSeconds: 600,
    });
    expect(DEFAULT_SMOKE_COMMAND.slice(0, 2)).toEqual(['python', '-c']);
    expect(DEFAULT_SMOKE_COMMAND[2]).toContain('import torch, flash_attn');
  });

  it('rejects unknown keys, an empty command and an unknown gpus mode', () => {
    expect(smokeExecutorSchema.safeParse({ imageMetadata: 'm.json', gpu: 'all' }).success).toBe(false);
    expect(smokeExecutorSchema.safeParse({ imageMetadata: 'm.json', command: [] }).success).toBe(false);
    expect(smokeExecutorSchema.safeParse({ imageMetadata: 'm.json', gpus: 'some' }).success).toBe(false);
    expect(smokeExecutorSchema.safeParse({ imageMetadata: 'm.json', timeoutSeconds: 0 }).success).toBe(false);
  });
});

describe('smokeRunArgv', () => {
  it('runs the image with --rm on no network, and the command after the image', () => {
    expect(smokeRunArgv(smokeOptions({ command: ['python', '-V'] }), 'svc:prod-cu124', CPU)).toEqual([
      'run',
      '--rm',
      '--network',
      'none',
      'svc:prod-cu124',
      'python',
      '-V',
    ]);
  });

  it('asks for the GPUs the way the GPU decision says, before the env and the image', () => {
    const argv = smokeRunArgv(smokeOptions({ command: ['true'], network: 'host' }), 'img', RUNTIME);
    expect(argv).toEqual(['run', '--rm', '--network', 'host', '--gpus', 'all', 'img', 'true']);
    const cdi = smokeRunArgv(smokeOptions({ command: ['true'], env: { A: '1' } }), 'img', CDI);
    expect(cdi).toEqual(['run', '--rm', '--network', 'none', '--device', 'nvidia.com/gpu=all', '--env', 'A', 'img', 'true']);
  });

  it('passes environment variables by name only, sorted, never their values', () => {
    const argv = smokeRunArgv(
      smokeOptions({ command: ['env'], env: { HF_TOKEN: 's3cr3t-value', CUDA_VISIBLE_DEVICES: '0' } }),
      'img',
      CPU,
    );
    expect(argv).toEqual(['run', '--rm', '--network', 'none', '--env', 'CUDA_VISIBLE_DEVICES', '--env', 'HF_TOKEN', 'img', 'env']);
    expect(argv.join(' ')).not.toContain('s3cr3t-value');
  });

  it('keeps each command word one argv element', () => {
    const argv = smokeRunArgv(smokeOptions(), 'img', CPU);
    expect(argv.slice(5)).toEqual(DEFAULT_SMOKE_COMMAND);
  });
});
