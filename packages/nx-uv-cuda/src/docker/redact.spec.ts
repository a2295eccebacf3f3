import { describe, expect, it } from 'vitest';
import { REDACTED } from '../core/secret-names';
import { describeArgv, redactBuildArgs } from './redact';

describe('redactBuildArgs', () => {
  it('masks the values of secret-looking names and keeps the others and the key order', () => {
    const redacted = redactBuildArgs({ CUDA_VERSION: '12.4.1', HF_TOKEN: 'hf_abc', PIP_PASSWORD: 'pw' });
    expect(redacted).toEqual({ CUDA_VERSION: '12.4.1', HF_TOKEN: REDACTED, PIP_PASSWORD: REDACTED });
    expect(Object.keys(redacted)).toEqual(['CUDA_VERSION', 'HF_TOKEN', 'PIP_PASSWORD']);
    expect(REDACTED).toBe('***');
  });

  it('does not change its input', () => {
    const buildArgs = { HF_TOKEN: 'hf_abc' };
    redactBuildArgs(buildArgs);
    expect(buildArgs).toEqual({ HF_TOKEN: 'hf_abc' });
  });
});

describe('describeArgv', () => {
  it('leaves plain arguments bare', () => {
    expect(describeArgv(['buildx', 'build', '--file', '/ws/a/Dockerfile', '--build-arg', 'CUDA_VERSION=12.4.1', '--tag', '127.0.0.1:5000/ml/svc:prod-cu124'])).toBe(
      'buildx build --file /ws/a/Dockerfile --build-arg CUDA_VERSION=12.4.1 --tag 127.0.0.1:5000/ml/svc:prod-cu124',
    );
  });

  it('masks the value of a secret build arg, including one holding = or spaces', () => {
    const line = describeArgv(['--build-arg', 'HF_TOKEN=hf_abc=def ghi', '--build-arg', 'MAX_JOBS=4']);
    expect(line).toBe("--build-arg 'HF_TOKEN=***' --build-arg MAX_JOBS=4");
    expect(line).not.toContain('hf_abc');
  });

  it('masks only values that follow --build-arg', () => {
    expect(describeArgv(['--label', 'HF_TOKEN=visible'])).toBe('--label HF_TOKEN=visible');
  });

  it('single-quotes arguments with spaces, quotes or shell characters, escaping single quotes', () => {
    expect(describeArgv(['run', 'python', '-c', 'print("hi")'])).toBe(`run python -c 'print("hi")'`);
    expect(describeArgv(["it's here"])).toBe(`'it'\\''s here'`);
    expect(describeArgv(['a;rm -rf /', '$HOME', ''])).toBe(`'a;rm -rf /' '$HOME' ''`);
  });
});
