import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerSucceeds, provisionDocker } from './support/docker';
import { createWorkspace, disposeWorkspaces, type Workspace } from './support/workspace';

/**
 * A slim prod image: prod builds FROM the CUDA runtime base (here the runtime stand-in of tools/docker/provision.sh:
 * python3 and venv, no compiler) and takes only the virtual environment from deps-prod, while dev and the wheel stay
 * on devel. Built by the inferred targets with no registry, so the images are loaded into the local engine.
 */
const DEVEL_BASE = 'nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04';
const RUNTIME_BASE = 'nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04';

interface ImageFacts {
  ref: string;
  /** `docker image inspect --format {{.Size}}`: with the containerd image store, the compressed layers. */
  size: number;
  /** The sum of the layer sizes `docker history` reports: what the image takes unpacked. */
  unpacked: number;
  layers: string[];
  history: number[];
}

function imageFacts(ref: string): ImageFacts {
  const [size, layers] = docker(['image', 'inspect', '--format', '{{.Size}}\t{{json .RootFS.Layers}}', ref]).trim().split('\t');
  const history = docker(['history', '--human=false', '--format', '{{.Size}}', ref])
    .trim()
    .split('\n')
    .map(Number)
    .reverse();
  return { ref, size: Number(size), unpacked: history.reduce((sum, bytes) => sum + bytes, 0), layers: JSON.parse(layers), history };
}

/** `docker run --rm --network none IMAGE sh -c SCRIPT`: its exit status and output. */
function runIn(ref: string, script: string): { status: number | null; output: string } {
  const result = spawnSync('docker', ['run', '--rm', '--network', 'none', ref, 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

describe('a slim prod image on the runtime base', () => {
  let ws: Workspace;
  const made = new Set<string>();
  const tagOf = (kind: string) => {
    const metadata = JSON.parse(ws.read(`dist/services/ml-service/images/${kind}-cu124.json`));
    return { tag: metadata.tags[0] as string, all: [...metadata.tags, `ml-service:${kind}-cu124-nx${String(metadata.taskHash).slice(0, 20)}`] };
  };

  beforeAll(() => {
    provisionDocker();
    ws = createWorkspace({ fixture: 'ml-monorepo' });
  });

  afterAll(() => {
    // The tags this file's builds made (the plain tags and the task-hash tags); whatever else uses the images stays.
    for (const ref of made) spawnSync('docker', ['image', 'rm', ref], { stdio: 'ignore', timeout: 60_000 });
    disposeWorkspaces();
  });

  let dev: ImageFacts;
  let prod: ImageFacts;

  it('builds ml-service:image-dev-cu124 and ml-service:image-prod-cu124 into the local engine', async () => {
    for (const target of ['image-dev-cu124', 'image-prod-cu124']) {
      const result = await ws.nx(['run', `ml-service:${target}`]);
      expect(result.exitCode, result.all).toBe(0);
    }
    for (const kind of ['dev', 'prod']) {
      const { tag, all } = tagOf(kind);
      all.forEach((ref) => made.add(ref));
      expect(tag).toBe(`ml-service:${kind}-cu124`);
      expect(dockerSucceeds(['image', 'inspect', tag])).toBe(true);
    }
    dev = imageFacts(tagOf('dev').tag);
    prod = imageFacts(tagOf('prod').tag);
  });

  it('builds prod on the runtime base and dev on the devel base', () => {
    const runtime = imageFacts(RUNTIME_BASE);
    const devel = imageFacts(DEVEL_BASE);
    expect(runtime.layers).not.toEqual(devel.layers);
    expect(prod.layers.slice(0, runtime.layers.length)).toEqual(runtime.layers);
    expect(dev.layers.slice(0, devel.layers.length)).toEqual(devel.layers);
  });

  it('has no compiler in prod, and one in dev', () => {
    const prodGcc = runIn(prod.ref, 'command -v gcc');
    expect(prodGcc.status, prodGcc.output).not.toBe(0);
    expect(runIn(prod.ref, 'test -e /usr/include/stdio.h').status).not.toBe(0); // no libc6-dev headers either
    const devGcc = runIn(dev.ref, 'command -v gcc');
    expect(devGcc.status, devGcc.output).toBe(0);
    expect(devGcc.output.trim()).toMatch(/\/gcc$/);
  });

  it('still imports torch and flash_attn in prod, from its venv, as the unprivileged user', () => {
    const smoke = runIn(
      prod.ref,
      'python -c \'import sys, torch, flash_attn; print("torch", torch.__version__, "flash_attn", flash_attn.__version__, ' +
        'torch.__file__.startswith(sys.prefix + "/"), flash_attn.__file__.startswith(sys.prefix + "/"))\' && id -un',
    );
    expect(smoke.status, smoke.output).toBe(0);
    expect(smoke.output).toMatch(/^torch 2\.5\.1\+cu124 flash_attn 2\.7\.4\S* True True\napp\n$/);
    // The image's own command: the service's JSON, with the wheel compiled against the prod torch.
    const main = spawnSync('docker', ['run', '--rm', '--network', 'none', prod.ref], { encoding: 'utf8', timeout: 120_000 });
    expect(main.status, main.stderr).toBe(0);
    const info = JSON.parse(main.stdout.trim().split('\n').pop()!);
    expect(info).toMatchObject({ service: 'ml-service', torch: '2.5.1+cu124', flash_attn: '2.7.4', flash_attn_built_with_torch: '2.5.1+cu124' });
  });

  it('records the sizes: prod is its runtime base plus the venv, the wheel and the sources', () => {
    const runtime = imageFacts(RUNTIME_BASE);
    const devel = imageFacts(DEVEL_BASE);
    const added = {
      size: prod.size - runtime.size,
      unpacked: prod.unpacked - runtime.unpacked,
      layers: prod.history.slice(runtime.history.length),
    };
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    console.info(
      [
        'slim prod sizes (docker image inspect {{.Size}} / unpacked by docker history):',
        `  dev  ${dev.ref}: ${mb(dev.size)} / ${mb(dev.unpacked)}`,
        `  prod ${prod.ref}: ${mb(prod.size)} / ${mb(prod.unpacked)}`,
        `  devel stand-in ${DEVEL_BASE}: ${mb(devel.size)} / ${mb(devel.unpacked)}`,
        `  runtime stand-in ${RUNTIME_BASE}: ${mb(runtime.size)} / ${mb(runtime.unpacked)}`,
        `  prod over its base: ${mb(added.size)} / ${mb(added.unpacked)} in ${added.layers.filter((bytes) => bytes > 0).length} layers`,
      ].join('\n'),
    );
    expect(prod.size).toBeLessThan(dev.size);
    expect(prod.unpacked).toBeLessThan(dev.unpacked);
    expect(runtime.unpacked).toBeLessThan(devel.unpacked);
    // What prod adds is the environment (the stand-in torch, the venv's pip and setuptools), the wheel and the
    // sources: far less than the compilers and headers the devel base has over the runtime base.
    expect(added.unpacked).toBeGreaterThan(0);
    expect(added.unpacked).toBeLessThan(devel.unpacked - runtime.unpacked);
    expect(added.unpacked).toBeLessThan(64e6);
  });
});
