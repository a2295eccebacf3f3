import { describe, expect, it } from 'vitest';
import { parseCdiSpecDirs, parseRuntimes, registryHost } from './engine';

describe('registryHost', () => {
  it.each([
    ['127.0.0.1:5000/ml/svc:prod-cu124', '127.0.0.1:5000'],
    ['127.0.0.1:5000/ml', '127.0.0.1:5000'],
    ['registry.example.com/team/svc:prod', 'registry.example.com'],
    ['localhost/svc:dev', 'localhost'],
    ['localhost:5000/svc', 'localhost:5000'],
    ['[::1]:5000/svc', '[::1]:5000'],
  ])('%s is pushed to %s', (reference, host) => {
    expect(registryHost(reference)).toBe(host);
  });

  it.each(['acme/svc:prod-cu124', 'nvidia/cuda', 'library/ubuntu', 'ml-service:prod-cu124', 'ubuntu:22.04'])('%s is pushed to Docker Hub', (reference) => {
    expect(registryHost(reference)).toBe('registry-1.docker.io');
  });
});

describe('parseCdiSpecDirs', () => {
  it.each([
    ['["/etc/cdi","/var/run/cdi"]\n', ['/etc/cdi', '/var/run/cdi']],
    ['[]', []],
    ['null', []],
    ['', []],
    ['<no value>', undefined],
    ['{"x":1}', undefined],
  ])('%j → %j', (stdout, expected) => {
    expect(parseCdiSpecDirs(stdout)).toEqual(expected);
  });
});

describe('parseRuntimes', () => {
  it('takes the runtime names, and none from what is not JSON', () => {
    expect(parseRuntimes('{"nvidia":{"path":"nvidia-container-runtime"},"runc":{"path":"runc"}}')).toEqual(['nvidia', 'runc']);
    expect(parseRuntimes('null')).toEqual([]);
    expect(parseRuntimes('oops')).toEqual([]);
  });
});
