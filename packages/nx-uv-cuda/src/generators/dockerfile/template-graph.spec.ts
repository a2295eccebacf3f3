import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';
import type { DockerfileModel } from '../../docker/dockerfile-model';
import { parseDockerfile } from '../../docker/parse-dockerfile';
import { resolveStageRef } from '../../docker/stage-graph';
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

/** The stage graph docs/caching.md draws: every variant of the template, and the e2e fixture, must parse into it. */
const DOCUMENTED_GRAPH: StageNode[] = [
  { name: 'base', from: 'image', reads: [] },
  { name: 'deps-dev', from: 'base', reads: [] },
  { name: 'deps-prod', from: 'base', reads: [] },
  { name: 'wheel-dev', from: 'deps-dev', reads: [] },
  { name: 'wheel-prod', from: 'deps-prod', reads: [] },
  { name: 'wheels', from: 'scratch', reads: ['wheel-prod'] },
  { name: 'dev', from: 'deps-dev', reads: ['wheels'] },
  { name: 'prod', from: 'deps-prod', reads: ['wheels'] },
];

/** The recipe's ARGs, by the stage that declares them (a stage built FROM another inherits its ARGs). */
const RECIPE_ARGS: Record<string, string[]> = {
  '(global)': ['CUDA_VARIANT', 'CUDA_VERSION', 'UBUNTU_VERSION'],
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
