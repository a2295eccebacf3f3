import { describe, expect, it } from 'vitest';
import type { DockerfileModel } from '../docker/dockerfile-model';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { stageChain } from '../docker/stage-graph';
import { RECIPE_BUILD_ARGS, resolveBackends, type Backend } from './backends';
import { dockerfileRules, explainBuildArgs, unfilledArgs } from './build-args';

const FILE = 'svc/Dockerfile';
const lines = (...text: string[]) => `${text.join('\n')}\n`;
const parse = (...text: string[]) => parseDockerfile(lines(...text), FILE);

function backend(name: string, via: Backend['via'], more: Partial<Backend> = {}): Backend {
  return {
    name,
    via,
    source: 'a test',
    derivedBuildArgs: { ...RECIPE_BUILD_ARGS },
    workspaceBuildArgs: {},
    projectBuildArgs: {},
    ...more,
  };
}
const cu128 = backend('cu128', 'extra', { torchTag: 'cu128' });
const values = (model: DockerfileModel, of: Backend) =>
  Object.fromEntries(dockerfileRules(model, of).map((rule) => [rule.name, rule.value]));

describe('dockerfileRules: the ARG that uv sync --extra or --group reads', () => {
  const model = parse(
    'FROM python:3.12 AS app',
    'ARG EXTRA',
    'ARG GROUP',
    'RUN --mount=type=cache,target=/root/.cache/uv \\',
    '    uv sync --frozen --extra ${EXTRA}',
    'RUN uv sync --group "${GROUP}"',
  );

  it('gets the name of an extra backend, with the rule and the RUN line', () => {
    expect(dockerfileRules(model, cu128)).toEqual([
      { name: 'EXTRA', value: 'cu128', rule: 'the ARG that `uv sync --extra` reads', line: 4 },
    ]);
  });

  it('gets the name of a group backend from `--group`, and never the extra ARG', () => {
    expect(dockerfileRules(model, backend('cuda12', 'group'))).toEqual([
      { name: 'GROUP', value: 'cuda12', rule: 'the ARG that `uv sync --group` reads', line: 6 },
    ]);
  });

  it('reads --extra=$X and --group ${X} too', () => {
    const forms = parse('FROM python:3.12 AS app', 'ARG X', 'ARG Y', 'RUN uv sync --extra=$X', 'RUN uv sync --group ${Y}');
    expect(values(forms, cu128)).toEqual({ X: 'cu128' });
    expect(values(forms, backend('gpu', 'group'))).toEqual({ Y: 'gpu' });
  });

  it("sets nothing for a backend that is no extra or group (via 'none')", () => {
    expect(dockerfileRules(model, backend('cu128', 'none', { torchTag: 'cu128' }))).toEqual([]);
    expect(dockerfileRules(model, backend('default', 'none'))).toEqual([]);
  });
});

describe('dockerfileRules: the ARG in an nvidia/cuda tag', () => {
  const withDefault = (version: string) =>
    parse(`ARG CUDA_VERSION=${version}`, 'FROM nvidia/cuda:${CUDA_VERSION}-cudnn-devel-ubuntu22.04 AS base');

  it("gets the backend's CUDA version from the table, on the FROM line", () => {
    expect(dockerfileRules(withDefault('12.4.1'), cu128)).toEqual([
      { name: 'CUDA_VERSION', value: '12.8.0', rule: 'the CUDA version in the nvidia/cuda tag', line: 2 },
    ]);
  });

  it("keeps the Dockerfile default's patch when major.minor match, and takes the table's when they do not", () => {
    expect(values(withDefault('12.8.1'), cu128)).toEqual({ CUDA_VERSION: '12.8.1' });
    expect(values(withDefault('12.6.1'), cu128)).toEqual({ CUDA_VERSION: '12.8.0' });
    expect(values(withDefault('12.4.1'), backend('cu124', 'extra'))).toEqual({ CUDA_VERSION: '12.4.1' });
  });

  it('writes major.minor only where the Dockerfile default has no patch', () => {
    expect(values(withDefault('12.4'), cu128)).toEqual({ CUDA_VERSION: '12.8' });
  });

  it('reads the tag in a global ARG default, on that ARG line', () => {
    const model = parse('ARG CUDA=12.4.1', 'ARG BASE=nvidia/cuda:${CUDA}-runtime-ubuntu22.04', 'FROM ${BASE} AS app');
    expect(dockerfileRules(model, cu128)).toEqual([
      { name: 'CUDA', value: '12.8.0', rule: 'the CUDA version in the nvidia/cuda tag', line: 2 },
    ]);
  });

  it('uses the torch tag of a generic CUDA backend, and sets nothing for a backend without a CUDA version', () => {
    expect(values(withDefault('12.4.1'), backend('gpu', 'extra', { torchTag: 'cu126' }))).toEqual({ CUDA_VERSION: '12.6.3' });
    expect(values(withDefault('12.4.1'), backend('cpu', 'extra', { torchTag: 'cpu' }))).toEqual({});
    expect(values(withDefault('12.4.1'), backend('default', 'none'))).toEqual({});
  });
});

describe('dockerfileRules: the ARG of a FROM template', () => {
  const template = parse(
    'ARG BACKEND=cpu',
    'FROM python:3.12-slim AS base-cpu',
    'FROM nvidia/cuda:12.8.0-runtime-ubuntu22.04 AS base-cuda',
    'FROM rocm/pytorch:latest AS base-rocm6.2',
    'FROM base-${BACKEND} AS app',
  );

  it('gets the candidate equal to the backend name or torch tag, with the rule and the FROM line', () => {
    expect(dockerfileRules(template, backend('cpu', 'extra'))).toEqual([
      { name: 'BACKEND', value: 'cpu', rule: 'the ARG that picks the stage FROM builds on (base-${BACKEND})', line: 5 },
    ]);
    expect(values(template, backend('amd', 'extra', { torchTag: 'rocm6.2' }))).toEqual({ BACKEND: 'rocm6.2' });
  });

  it('else the candidate of the same accelerator family', () => {
    expect(values(template, cu128)).toEqual({ BACKEND: 'cuda' });
    expect(values(template, backend('rocm6.3', 'extra'))).toEqual({ BACKEND: 'rocm6.2' });
  });

  it('else the candidate equal to its CUDA major', () => {
    const majors = parse('FROM nvidia/cuda:12.8.0-base AS cuda12', 'FROM nvidia/cuda:13.0.0-base AS cuda13', 'FROM cuda${CUDA_MAJOR} AS app');
    expect(values(majors, cu128)).toEqual({ CUDA_MAJOR: '12' });
    expect(values(majors, backend('cu130', 'extra'))).toEqual({ CUDA_MAJOR: '13' });
    const named = parse('FROM nvidia/cuda:12.8.0-base AS base-cuda12', 'FROM nvidia/cuda:13.0.0-base AS base-cuda13', 'FROM base-${V} AS app');
    expect(values(named, cu128)).toEqual({ V: 'cuda12' });
  });

  it('sets nothing when no candidate serves the backend', () => {
    expect(values(template, backend('xpu', 'extra'))).toEqual({});
  });
});

describe('explainBuildArgs', () => {
  const model = parse(
    'ARG CUDA_VERSION=12.4.1',
    'ARG UBUNTU_VERSION=22.04',
    'FROM nvidia/cuda:${CUDA_VERSION}-devel-ubuntu${UBUNTU_VERSION} AS app',
    'ARG CMAKE_VERSION',
    'ARG CUDA_VARIANT',
    'ARG TORCH_BACKEND',
    'ARG EXTRA',
    'ARG FLASH_ATTN_VERSION=2.7.4',
    'RUN uv sync --extra ${EXTRA}',
  );

  it('names the layer each value comes from: recipe, backend, Dockerfile rule, nx.json, [tool.nx-uv-cuda]; sorted, declared ARGs only', () => {
    const [layered] = resolveBackends({
      pyprojectFile: 'svc/pyproject.toml',
      extras: ['cu128'],
      groups: [],
      routes: { extras: {}, groups: {} },
      workspaceBuildArgs: { UBUNTU_VERSION: '24.04', NOT_DECLARED: 'x' },
      projectBuildArgs: { CUDA_VARIANT: 'runtime' },
    });
    const rules = dockerfileRules(model, layered);
    expect(explainBuildArgs(model, layered, rules)).toEqual([
      { name: 'CMAKE_VERSION', value: '3.26.1', rule: "the recipe's default" },
      { name: 'CUDA_VARIANT', value: 'runtime', rule: '[tool.nx-uv-cuda] build-args' },
      { name: 'CUDA_VERSION', value: '12.8.0', rule: 'the CUDA version in the nvidia/cuda tag', line: 3 },
      { name: 'EXTRA', value: 'cu128', rule: 'the ARG that `uv sync --extra` reads', line: 9 },
      { name: 'TORCH_BACKEND', value: 'cu128', rule: 'from the backend (cu128)' },
      { name: 'UBUNTU_VERSION', value: '24.04', rule: 'nx.json plugin options (buildArgs)' },
    ]);
  });

  it('lets nx.json override a Dockerfile rule, and the project override nx.json', () => {
    const over = backend('cu128', 'extra', {
      torchTag: 'cu128',
      workspaceBuildArgs: { EXTRA: 'from-nx', CUDA_VERSION: '12.8.1' },
      projectBuildArgs: { CUDA_VERSION: '12.8.2' },
    });
    const explained = explainBuildArgs(model, over, dockerfileRules(model, over));
    expect(explained.find((setting) => setting.name === 'EXTRA')).toEqual({
      name: 'EXTRA',
      value: 'from-nx',
      rule: 'nx.json plugin options (buildArgs)',
    });
    expect(explained.find((setting) => setting.name === 'CUDA_VERSION')).toEqual({
      name: 'CUDA_VERSION',
      value: '12.8.2',
      rule: '[tool.nx-uv-cuda] build-args',
    });
  });
});

describe('unfilledArgs', () => {
  const gaps = (model: DockerfileModel, target: string, buildArgs: Record<string, string> = {}) =>
    unfilledArgs(model, stageChain(model, target), buildArgs);

  it('reports an ARG without a default used in a FROM, a COPY source, a --from or a uv sync --extra, with its line', () => {
    const model = parse(
      'ARG BASE_TAG',
      'FROM python:${BASE_TAG} AS app',
      'ARG APP_DIR',
      'ARG BUILDER',
      'ARG EXTRA',
      'ARG TOKEN',
      'COPY ${APP_DIR}/pyproject.toml ./',
      'COPY --from=${BUILDER} /bin/tool /bin/',
      'RUN uv sync --extra ${EXTRA}',
      'RUN echo "${TOKEN:-}"',
    );
    expect(gaps(model, 'app')).toEqual([
      { name: 'APP_DIR', line: 3 },
      { name: 'BASE_TAG', line: 1 },
      { name: 'BUILDER', line: 4 },
      { name: 'EXTRA', line: 5 },
    ]);
    expect(gaps(model, 'app', { APP_DIR: 'svc', BASE_TAG: '3.12', EXTRA: 'cu128' })).toEqual([{ name: 'BUILDER', line: 4 }]);
  });

  it('reports nothing a RUN alone reads, or that has a default (a stage ARG inherits the global default)', () => {
    const model = parse(
      'ARG PY=3.12',
      'FROM python:${PY} AS app',
      'ARG PY',
      'ARG REQS=requirements.txt',
      'ARG SECRET',
      'COPY requirements-${PY}.txt ${REQS} ./',
      'RUN echo ${SECRET}',
    );
    expect(gaps(model, 'app')).toEqual([]);
  });

  it('reports no automatic BuildKit platform ARG, and nothing of a stage outside the chain', () => {
    const model = parse(
      'FROM --platform=${BUILDPLATFORM} golang:1.22 AS tools',
      'ARG TARGETARCH',
      'ARG TARGETPLATFORM',
      'COPY bin/${TARGETARCH}/tool /bin/',
      'FROM alpine AS other',
      'ARG MISSING',
      'COPY ${MISSING} /x',
    );
    expect(gaps(model, 'tools')).toEqual([]);
    expect(gaps(model, 'other')).toEqual([{ name: 'MISSING', line: 6 }]);
  });
});
