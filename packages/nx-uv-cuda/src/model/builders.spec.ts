import { describe, expect, it } from 'vitest';
import { normalizePluginOptions } from '../config/plugin-options';
import { projectConfigSchema } from '../config/project-config';
import { placementOptions, resolvePlacements } from './builders';

describe('resolvePlacements', () => {
  const workspace = normalizePluginOptions({
    builders: { wheel: 'ci', image: { builder: 'ci', context: 'ci' }, backends: { cu128: { wheel: { builder: 'gpu-box', host: 'tcp://gpu-box:2376' } } } },
  }).builders;

  it('takes nx.json per kind, and per backend over that', () => {
    expect(resolvePlacements(['cu124', 'cu128'], undefined, workspace)).toEqual({
      cu124: { wheel: { builder: 'ci' }, image: { builder: 'ci', context: 'ci' } },
      cu128: { wheel: { builder: 'gpu-box', host: 'tcp://gpu-box:2376' }, image: { builder: 'ci', context: 'ci' } },
    });
  });

  it("lets the project's [tool.nx-uv-cuda] win over nx.json, the most specific setting whole", () => {
    const project = projectConfigSchema.parse({ builders: { image: 'local', backends: { cu124: { wheel: 'box' } } } }).builders;
    expect(resolvePlacements(['cu124', 'cu128'], project, workspace)).toEqual({
      cu124: { wheel: { builder: 'box' }, image: { builder: 'local' } },
      cu128: { wheel: { builder: 'gpu-box', host: 'tcp://gpu-box:2376' }, image: { builder: 'local' } },
    });
  });

  it('places nothing without builders', () => {
    expect(resolvePlacements(['cu124'], undefined, undefined)).toEqual({ cu124: {} });
  });
});

describe('placementOptions', () => {
  it('gives the executors builder and engine', () => {
    expect(placementOptions({ builder: 'gpu-box', context: 'gpu-box' })).toEqual({ builder: 'gpu-box', engine: { context: 'gpu-box' } });
    expect(placementOptions({ host: 'tcp://127.0.0.1:2376' })).toEqual({ engine: { host: 'tcp://127.0.0.1:2376' } });
    expect(placementOptions(undefined)).toEqual({});
  });
});

describe('the builders option', () => {
  const problem = (builders: unknown) => {
    try {
      normalizePluginOptions({ builders });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('refuses an engine with both a context and a host, naming the key', () => {
    expect(problem({ wheel: { context: 'a', host: 'tcp://b:2376' } })).toMatch(/builders\.wheel.*context or host, not both/);
  });

  it('refuses a host that is not a DOCKER_HOST, and one with a password', () => {
    expect(problem({ image: { host: 'gpu-box:2376' } })).toMatch(/builders\.image\.host.*expected a DOCKER_HOST/);
    expect(problem({ image: { host: 'tcp://user:secret@gpu-box:2376' } })).toMatch(/password in the engine host/);
    expect(problem({ image: { host: 'tcp://user:secret@gpu-box:2376' } })).not.toContain('secret@');
  });

  it('refuses builder names that are not names, and unknown kinds', () => {
    expect(problem({ wheel: 'gpu box; rm -rf /' })).toMatch(/builders\.wheel.*expected a name like gpu-box/);
    expect(problem({ smoke: 'x' })).toMatch(/builders.*smoke/);
  });

  it('accepts ssh hosts with a user', () => {
    expect(problem({ wheel: { host: 'ssh://builder@gpu-box' } })).toBeUndefined();
  });
});
