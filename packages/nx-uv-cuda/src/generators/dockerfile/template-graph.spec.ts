import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';
import type { DockerfileModel } from '../../docker/dockerfile-model';
import { parseDockerfile } from '../../docker/parse-dockerfile';
import { baseImagesOf, resolveStageRef, stageChain } from '../../docker/stage-graph';
import { checkCudaBaseImage } from '../../model/base-images';
import {
  FIXTURE_MONOREPO,
  REPO_ROOT,
  argDefault,
  argsByStage,
  dockerfile,
  loadDirectory,
  stageGraph,
  stageText,
  type StageNode,
} from '../__fixtures__/support';
import { TEMPLATE_STAGES } from '../shared/defaults';
import { writeService } from '../service/generator';
import { addDockerfile } from './generator';

/**
 * The stage graph docs/caching.md draws: every variant of the template, and the e2e fixture, must parse into it.
 * prod builds FROM the CUDA runtime image and reads deps-prod (its environment) and wheels: the edge deps-prod → prod
 * is a COPY --from, no longer a FROM.
 */
const DOCUMENTED_GRAPH: StageNode[] = [
  { name: 'base', from: 'image', reads: [] },
  { name: 'deps-dev', from: 'base', reads: [] },
  { name: 'deps-prod', from: 'base', reads: [] },
  { name: 'wheel-dev', from: 'deps-dev', reads: [] },
  { name: 'wheel-prod', from: 'deps-prod', reads: [] },
  { name: 'wheels', from: 'scratch', reads: ['wheel-prod'] },
  { name: 'dev', from: 'deps-dev', reads: ['wheels'] },
  { name: 'prod', from: 'image', reads: ['deps-prod', 'wheels'] },
];

/** The recipe's ARGs, by the stage that declares them (a stage built FROM another inherits its ARGs). */
const RECIPE_ARGS: Record<string, string[]> = {
  '(global)': ['CUDA_RUNTIME_VARIANT', 'CUDA_VARIANT', 'CUDA_VERSION', 'UBUNTU_VERSION'],
  base: ['CMAKE_VERSION', 'LOCK_FILE', 'TORCH_BACKEND'],
  'wheel-dev': ['FLASH_ATTENTION_FORCE_BUILD', 'FLASH_ATTN_CUDA_ARCHS', 'FLASH_ATTN_VERSION', 'MAX_JOBS', 'NVCC_THREADS'],
  'wheel-prod': ['FLASH_ATTENTION_FORCE_BUILD', 'FLASH_ATTN_CUDA_ARCHS', 'FLASH_ATTN_VERSION', 'MAX_JOBS', 'NVCC_THREADS'],
};

function variants(): [string, DockerfileModel][] {
  const out: [string, DockerfileModel][] = [];
  const add = (label: string, setup: (tree: ReturnType<typeof createTreeWithEmptyWorkspace>) => string) => {
    const tree = createTreeWithEmptyWorkspace();
    out.push([label, dockerfile(tree, setup(tree))]);
  };
  add('service', (tree) => (writeService(tree, { name: 'svc' }), 'services/svc/docker/Dockerfile-cu124-uv'));
  add('service without flash-attn', (tree) => (writeService(tree, { name: 'svc', flashAttn: false }), 'services/svc/docker/Dockerfile-cu124-uv'));
  add('service in a uv workspace', (tree) => {
    tree.write('pyproject.toml', '[tool.uv.workspace]\nmembers = ["services/*"]\n');
    writeService(tree, { name: 'svc', backends: ['cu128'] });
    return 'services/svc/docker/Dockerfile-cu124-uv';
  });
  add('dockerfile on the fixture service', (tree) => {
    loadDirectory(tree, FIXTURE_MONOREPO);
    addDockerfile(tree, { project: 'ml-service', overwrite: true });
    return 'services/ml-service/docker/Dockerfile-cu124-uv';
  });
  add('dockerfile on a flat project', (tree) => {
    tree.write('app/pyproject.toml', '[project]\nname = "app"\n');
    addDockerfile(tree, { project: 'app' });
    return 'app/docker/Dockerfile-cu124-uv';
  });
  return out;
}

const fixtureDockerfiles = ['ml-service', 'other-service'].map((service): [string, DockerfileModel] => {
  const file = `services/${service}/docker/Dockerfile-cu124-uv`;
  return [`e2e fixture ${service}`, parseDockerfile(readFileSync(join(FIXTURE_MONOREPO, file), 'utf8'), file)];
});

describe('the template Dockerfile', () => {
  it.each([...variants(), ...fixtureDockerfiles])('%s parses into exactly the documented stage graph', (_, model) => {
    expect(stageGraph(model)).toEqual(DOCUMENTED_GRAPH);
    expect(model.stages.map((stage) => stage.name)).toEqual([...TEMPLATE_STAGES]);
  });

  it.each([...variants(), ...fixtureDockerfiles])('%s declares the recipe ARGs where the recipe does', (_, model) => {
    const declared = argsByStage(model);
    for (const [stage, names] of Object.entries(RECIPE_ARGS)) expect(declared[stage]).toEqual(expect.arrayContaining(names));
    expect(argDefault(model, 'CUDA_VARIANT')).toBe('cudnn');
    expect(argDefault(model, 'CUDA_RUNTIME_VARIANT')).toBe('cudnn-runtime');
    expect(argDefault(model, 'UBUNTU_VERSION')).toBe('22.04');
    expect(argDefault(model, 'CMAKE_VERSION')).toBe('3.26.1');
    expect(argDefault(model, 'LOCK_FILE')).toBe('uv.lock');
  });

  it.each([...variants(), ...fixtureDockerfiles])('%s hands the wheel over through a replaceable wheels stage', (_, model) => {
    const wheels = resolveStageRef(model, 'wheels')!;
    // FROM scratch and one COPY of the wheelhouse: exporting it yields the wheel files and nothing else.
    expect(wheels.baseImage).toBe('scratch');
    expect(wheels.sources).toEqual([expect.objectContaining({ instruction: 'COPY', from: 'wheel-prod', paths: ['/wheelhouse/'] })]);
    // With `--build-context wheels=DIR` in its place, building dev or prod never reaches a wheel stage.
    for (const target of ['dev', 'prod']) expect(reachedWithout(model, target, 'wheels')).not.toContain('wheel-prod');
    // FLASH_ATTN_VERSION=none builds an empty wheelhouse instead of a wheel.
    for (const stage of ['wheel-dev', 'wheel-prod']) expect(stageText(model, stage)).toMatch(/"\$\{?FLASH_ATTN_VERSION\}?" = "none"/);
  });

  it.each([...variants(), ...fixtureDockerfiles])('%s builds prod on the CUDA runtime image and the rest on devel', (_, model) => {
    const devel = 'nvidia/cuda:${CUDA_VERSION}-${CUDA_VARIANT}-devel-ubuntu${UBUNTU_VERSION}';
    expect(resolveStageRef(model, 'base')!.baseImage).toBe(devel);
    expect(resolveStageRef(model, 'prod')!.baseImage).toBe('nvidia/cuda:${CUDA_VERSION}-${CUDA_RUNTIME_VARIANT}-ubuntu${UBUNTU_VERSION}');
    // The wheel is still compiled on devel: its chain never reaches the runtime image.
    const cu128 = { CUDA_VERSION: '12.8.0' };
    expect(baseImagesOf(model, stageChain(model, 'wheel-prod'), cu128)).toEqual(['nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04']);
    expect(baseImagesOf(model, stageChain(model, 'dev', ['wheels']), cu128)).toEqual(['nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04']);
    const prodImages = baseImagesOf(model, stageChain(model, 'prod', ['wheels']), cu128);
    expect(prodImages).toEqual(['nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04', 'nvidia/cuda:12.8.0-cudnn-runtime-ubuntu22.04']);
    for (const image of prodImages) expect(checkCudaBaseImage(image)).toBeUndefined();
  });

  it.each([...variants(), ...fixtureDockerfiles])('%s copies only the environment from deps-prod into prod', (label, model) => {
    const prod = resolveStageRef(model, 'prod')!;
    const fromDepsProd = prod.sources.filter((source) => source.from === 'deps-prod').flatMap((source) => source.paths);
    if (label.startsWith('e2e fixture')) {
      // The fixture's venv links to the base image's /usr/bin/python3, which the runtime stand-in has too.
      expect(fromDepsProd).toEqual(['/opt/venv']);
      return;
    }
    // The template's venv links to the uv-managed Python: exactly the folder `uv python install` wrote (base's
    // UV_PYTHON_INSTALL_DIR) and the environment (UV_PROJECT_ENVIRONMENT), at the same paths.
    const installDir = /UV_PYTHON_INSTALL_DIR=(\S+)/.exec(stageText(model, 'base'))?.[1];
    const environment = /UV_PROJECT_ENVIRONMENT=(\S+)/.exec(stageText(model, 'base'))?.[1];
    expect(installDir).toBe('/opt/uv/python');
    expect(environment).toBe('/opt/venv');
    expect(fromDepsProd).toEqual([installDir, environment]);
    // Nothing else comes from another stage or image: the wheels and uv are RUN mounts, not layers.
    expect(new Set(prod.sources.filter((source) => source.instruction === 'COPY').map((source) => source.from))).toEqual(new Set(['deps-prod']));
    expect(new Set(prod.sources.flatMap((source) => (source.from ? [source.from.replace(/:[^/]*$/, '')] : [])))).toEqual(
      new Set(['deps-prod', 'wheels', 'ghcr.io/astral-sh/uv']),
    );
    // uv is mounted for the install steps, not copied into the image; prod sets the same uv environment as base.
    expect(stageText(model, 'prod')).not.toMatch(/^COPY --from=ghcr\.io/m);
    expect(stageText(model, 'prod')).toMatch(/--mount=type=bind,from=ghcr\.io\/astral-sh\/uv:[\d.]+,source=\/uv,target=\/bin\/uv/);
    for (const name of ['UV_PYTHON_INSTALL_DIR', 'UV_PYTHON_PREFERENCE', 'UV_PROJECT_ENVIRONMENT', 'VIRTUAL_ENV', 'UV_PYTHON']) {
      const value = (stage: string) => new RegExp(`${name}=(\\S+)`).exec(stageText(model, stage))?.[1];
      expect(value('prod'), name).toBe(value('base'));
    }
  });

  it('is what docs/caching.md draws', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'caching.md'), 'utf8');
    const block = /<!-- stage-graph -->\s*```mermaid\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(block, 'docs/caching.md needs a mermaid block after <!-- stage-graph -->').toBeDefined();
    // Mermaid ids cannot hold "-": deps_dev stands for the stage deps-dev.
    const id = (name: string) => name.replace(/_/g, '-');
    const edges = [...block!.matchAll(/^\s*(\w+)\s*-[-.]+>(?:\|[^|]*\|)?\s*(\w+)\s*$/gm)];
    const drawn = new Set(edges.map((m) => `${id(m[1])}>${id(m[2])}`));
    const documented = new Set(
      DOCUMENTED_GRAPH.flatMap(({ name, from, reads }) => [
        ...(from === 'image' || from === 'scratch' ? [] : [`${from}>${name}`]),
        ...reads.map((read) => `${read}>${name}`),
      ]),
    );
    expect(drawn).toEqual(documented);
  });
});

/** Stage names that building `target` runs when `replaced` comes in as a named build context. */
function reachedWithout(model: DockerfileModel, target: string, replaced: string): string[] {
  const seen = new Set<string>();
  const visit = (ref: string) => {
    const stage = resolveStageRef(model, ref);
    if (!stage || stage.name === replaced || seen.has(stage.name!)) return;
    seen.add(stage.name!);
    stage.stageRefs.forEach(visit);
  };
  visit(target);
  return [...seen];
}
