import { describe, expect, it } from 'vitest';
import { describeEngine, dockerCommand, engineEnv, isLocalEngine } from './engine-endpoint';

describe('engine endpoints', () => {
  it('point docker at a context or a host, unsetting the other so that the caller cannot win', () => {
    expect(engineEnv({ context: 'gpu-box' })).toEqual({ DOCKER_CONTEXT: 'gpu-box', DOCKER_HOST: undefined });
    expect(engineEnv({ host: 'tcp://127.0.0.1:2376' })).toEqual({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_CONTEXT: undefined });
    expect(engineEnv(undefined)).toBeUndefined();
  });

  it('say which engine in messages and in commands to type', () => {
    expect(describeEngine({ context: 'gpu-box' })).toBe('docker context "gpu-box"');
    expect(describeEngine({ host: 'tcp://h:2376' })).toBe('the engine at tcp://h:2376');
    expect(describeEngine(undefined)).toBe('the default engine');
    expect(dockerCommand({ context: 'gpu-box' })).toBe('docker --context gpu-box');
    expect(dockerCommand({ host: 'tcp://h:2376' })).toBe('DOCKER_HOST=tcp://h:2376 docker');
    expect(dockerCommand(undefined)).toBe('docker');
  });

  it('count only a unix socket (or nothing) as an engine on this host', () => {
    expect(isLocalEngine(undefined, {})).toBe(true);
    expect(isLocalEngine(undefined, { DOCKER_HOST: 'unix:///var/run/docker.sock' })).toBe(true);
    expect(isLocalEngine(undefined, { DOCKER_HOST: 'tcp://gpu-box:2376' })).toBe(false);
    expect(isLocalEngine({ host: 'ssh://gpu-box' }, {})).toBe(false);
    expect(isLocalEngine({ context: 'default' }, {})).toBe(false);
  });
});
