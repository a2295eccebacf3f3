import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizePluginOptions } from '../config/plugin-options';
import { diskFiles } from '../core/file-source';
import { thrownPluginError } from '../__fixtures__/thrown';
import { dockerfileLabels, readProjectModel, type ProjectModel } from './project';

const lines = (...text: string[]) => `${text.join('\n')}\n`;
const made: string[] = [];

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A small workspace on disk; returns the model of svc/pyproject.toml. */
function readSvc(files: Record<string, string>, rawOptions: unknown = {}): ProjectModel {
  const workspace = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-project-'));
  made.push(workspace);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, file)), { recursive: true });
    writeFileSync(join(workspace, file), text);
  }
  const model = readProjectModel(diskFiles(workspace), 'svc/pyproject.toml', normalizePluginOptions(rawOptions));
  if (!model) throw new Error('svc/pyproject.toml is not a project');
  return model;
}

const PYPROJECT = lines('[project]', 'name = "svc"', 'version = "0.1.0"');
const withExtras = (...extras: string[]) =>
  lines('[project]', 'name = "svc"', '[project.optional-dependencies]', ...extras.map((extra) => `${extra} = ["torch"]`));
const LOCK = lines('version = 1', 'requires-python = ">=3.11"');
/** A Dockerfile that installs the project: it copies its pyproject.toml from the context (svc/). */
const INSTALLS = lines('FROM python:3.12-slim AS app', 'COPY pyproject.toml uv.lock ./', 'RUN uv sync --frozen');
const summary = (model: ProjectModel) =>
  model.dockerfiles.map(({ file, label, backends }) => ({ file, label, backends }));

describe('dockerfileLabels', () => {
  it('drops the usual folders and the Dockerfile name, joins the rest with dashes, slugged', () => {
    expect(
      dockerfileLabels([
        'docker/gpu/Dockerfile.optimized',
        'scripts/docker/serve_policy.Dockerfile',
        'Dockerfile',
        'Dockerfile.cpu',
        'docker/Dockerfile-cu124-uv',
        'containers/api/Containerfile',
        '.docker/Dockerfile_rocm',
        'build/docker/Worker.dockerfile',
        'deploy/docker/Dockerfile.prod',
      ]),
    ).toEqual(['gpu-optimized', 'serve-policy', '', 'cpu', 'cu124-uv', 'api', 'rocm', 'worker', 'prod']);
  });

  it('falls back to the slug of the path for equal labels, and only for them', () => {
    expect(dockerfileLabels(['docker/Dockerfile', 'Dockerfile', 'docker/cpu/Dockerfile'])).toEqual([
      'docker-dockerfile',
      'dockerfile',
      'cpu',
    ]);
    expect(dockerfileLabels(['docker/gpu/Dockerfile', 'deploy/gpu/Dockerfile'])).toEqual([
      'docker-gpu-dockerfile',
      'deploy-gpu-dockerfile',
    ]);
  });
});

describe('readProjectModel: which Dockerfiles build images of the project', () => {
  it('skips a Dockerfile that copies nothing of the project, with the reason', () => {
    const model = readSvc({
      'svc/pyproject.toml': PYPROJECT,
      'svc/uv.lock': LOCK,
      'svc/Dockerfile': lines('FROM python:3.12-slim', 'COPY src/ /app/src/'),
    });
    expect(model.dockerfiles).toEqual([]);
    expect(model.skippedDockerfiles).toEqual([
      { file: 'svc/Dockerfile', reason: 'its build copies no pyproject.toml of the project from the context' },
    ]);
  });

  it('counts a Dockerfile that copies the whole context or bind-mounts the pyproject.toml', () => {
    const model = readSvc({
      'svc/pyproject.toml': PYPROJECT,
      'svc/uv.lock': LOCK,
      'svc/Dockerfile': lines('FROM python:3.12-slim AS app', 'COPY . /app'),
      'svc/docker/Dockerfile.mount': lines('FROM python:3.12-slim AS app', 'RUN --mount=type=bind,source=pyproject.toml,target=/p uv sync'),
    });
    expect(summary(model)).toEqual([
      { file: 'svc/Dockerfile', label: '', backends: ['default'] },
      { file: 'svc/docker/Dockerfile.mount', label: 'mount', backends: ['default'] },
    ]);
    expect(model.skippedDockerfiles).toEqual([]);
  });

  it('skips a Dockerfile whose copy of the pyproject.toml the .dockerignore leaves out', () => {
    const model = readSvc({
      'svc/pyproject.toml': PYPROJECT,
      'svc/uv.lock': LOCK,
      'svc/.dockerignore': lines('pyproject.toml'),
      'svc/Dockerfile': lines('FROM python:3.12-slim AS app', 'COPY . /app'),
    });
    expect(model.dockerfiles).toEqual([]);
    expect(model.skippedDockerfiles.map((skipped) => skipped.file)).toEqual(['svc/Dockerfile']);
  });

  it('gives the only Dockerfile no label, and its images', () => {
    const model = readSvc({ 'svc/pyproject.toml': withExtras('cu128'), 'svc/uv.lock': LOCK, 'svc/docker/Dockerfile.gpu': INSTALLS });
    expect(model.dockerfiles).toHaveLength(1);
    expect(model.dockerfiles[0]).toMatchObject({
      file: 'svc/docker/Dockerfile.gpu',
      label: '',
      backends: ['cu128'],
      recipe: false,
      images: [{ stage: 'app', kind: 'image', part: 'app', slice: 'dev' }],
    });
  });
});

describe('readProjectModel: one Dockerfile per accelerator', () => {
  const files = (pyproject: string) => ({
    'svc/pyproject.toml': pyproject,
    'svc/uv.lock': LOCK,
    'svc/docker/gpu/Dockerfile': INSTALLS,
    'svc/docker/cpu/Dockerfile': INSTALLS,
  });

  it('makes each accelerator a backend of its own when no extra declares one, each Dockerfile building its own', () => {
    const model = readSvc(files(PYPROJECT));
    expect(model.backends.map(({ name, via }) => [name, via])).toEqual([
      ['cpu', 'none'],
      ['gpu', 'none'],
    ]);
    expect(summary(model)).toEqual([
      { file: 'svc/docker/cpu/Dockerfile', label: 'cpu', backends: ['cpu'] },
      { file: 'svc/docker/gpu/Dockerfile', label: 'gpu', backends: ['gpu'] },
    ]);
  });

  it('builds only the backends of its family with each Dockerfile when extras declare them', () => {
    const model = readSvc(files(withExtras('cu128', 'cpu')));
    expect(model.backends.map((backend) => backend.name)).toEqual(['cu128', 'cpu']);
    expect(summary(model)).toEqual([
      { file: 'svc/docker/cpu/Dockerfile', label: 'cpu', backends: ['cpu'] },
      { file: 'svc/docker/gpu/Dockerfile', label: 'gpu', backends: ['cu128'] },
    ]);
  });

  // Suspected bug: beside a per-accelerator Dockerfile, the project's main Dockerfile (label '', no accelerator in
  // its name) builds no backend at all when no extra declares one: the implicit 'default' is dropped before the
  // main Dockerfile takes "every backend", so its images silently disappear.
  it('keeps building the main Dockerfile beside a per-accelerator one, with the implicit backend', () => {
    const model = readSvc({
      'svc/pyproject.toml': PYPROJECT,
      'svc/uv.lock': LOCK,
      'svc/Dockerfile': INSTALLS,
      'svc/docker/cpu/Dockerfile': INSTALLS,
    });
    expect(model.dockerfiles.find((dockerfile) => dockerfile.file === 'svc/Dockerfile')?.backends).not.toEqual([]);
  });
});

describe('readProjectModel: warnings', () => {
  it('warns about [tool.uv].conflicts naming an extra or group the project does not declare', () => {
    const model = readSvc({
      'svc/pyproject.toml': lines(
        '[project]',
        'name = "svc"',
        '[project.optional-dependencies]',
        'cu128 = ["torch"]',
        '[dependency-groups]',
        'dev = ["pytest"]',
        '[tool.uv]',
        'conflicts = [[{ extra = "cu124" }, { extra = "cu128" }], [{ group = "Lint" }, { group = "dev" }]]',
      ),
      'svc/uv.lock': LOCK,
    });
    expect(model.warnings).toEqual([
      'svc/pyproject.toml: [tool.uv].conflicts names the extra "cu124", which [project.optional-dependencies] does not declare: ignored',
      'svc/pyproject.toml: [tool.uv].conflicts names the group "lint", which [dependency-groups] does not declare: ignored',
    ]);
  });

  it('considers no Dockerfile without a uv.lock, and says lock targets only', () => {
    const model = readSvc({ 'svc/pyproject.toml': PYPROJECT, 'svc/Dockerfile': INSTALLS });
    expect(model.dockerfiles).toEqual([]);
    expect(model.skippedDockerfiles).toEqual([]);
    expect(model.warnings).toEqual(['svc/uv.lock does not exist: lock targets only until `uv lock` writes it']);
  });

  it('warns when the dockerfile globs set for the project match nothing, and not for the defaults', () => {
    const configured = readSvc({
      'svc/pyproject.toml': lines('[project]', 'name = "svc"', '[tool.nx-uv-cuda]', 'dockerfile = "images/Dockerfile"'),
      'svc/uv.lock': LOCK,
    });
    expect(configured.warnings).toEqual([
      'svc/pyproject.toml: the dockerfile globs (images/Dockerfile) match no Dockerfile of this project',
    ]);
    expect(readSvc({ 'svc/pyproject.toml': PYPROJECT, 'svc/uv.lock': LOCK }).warnings).toEqual([]);
  });

  it('puts renamed options among the warnings', () => {
    const model = readSvc({
      'svc/pyproject.toml': lines('[project]', 'name = "svc"', '[tool.nx-uv-cuda]', 'stages = { wheel = "build" }'),
      'svc/uv.lock': LOCK,
    });
    expect(model.warnings).toEqual([
      'svc/pyproject.toml [tool.nx-uv-cuda]: stages.wheel is deprecated: write stages.wheel-build instead',
    ]);
  });
});

describe('readProjectModel: the implicit backend', () => {
  it('names it after the locked torch, else the Dockerfile CUDA version', () => {
    const lock = lines(LOCK, '[[package]]', 'name = "torch"', 'version = "2.7.0+cu126"', 'source = { registry = "https://download.pytorch.org/whl/cu126" }');
    expect(readSvc({ 'svc/pyproject.toml': PYPROJECT, 'svc/uv.lock': lock }).backends.map((backend) => backend.name)).toEqual(['cu126']);
    const cuda = lines('ARG CUDA_VERSION=12.8.0', 'FROM nvidia/cuda:${CUDA_VERSION}-runtime-ubuntu22.04 AS app', 'COPY pyproject.toml ./');
    const model = readSvc({ 'svc/pyproject.toml': PYPROJECT, 'svc/uv.lock': LOCK, 'svc/Dockerfile': cuda });
    expect(model.backends.map((backend) => backend.name)).toEqual(['cu128']);
    expect(model.dockerfiles[0].backends).toEqual(['cu128']);
  });
});

describe('readProjectModel: the build context', () => {
  it.each([
    ['../..', '[tool.nx-uv-cuda] context = "../.."'],
    ['/etc', '[tool.nx-uv-cuda] context = "/etc"'],
  ])('refuses context = %j, outside the workspace, naming the file and the key', (context, named) => {
    const pyproject = PYPROJECT + lines('[tool.nx-uv-cuda]', `context = "${context}"`);
    const error = thrownPluginError('options', () => readSvc({ 'svc/pyproject.toml': pyproject, 'svc/uv.lock': LOCK, 'svc/Dockerfile': INSTALLS }));
    expect(error.message).toContain(`svc/pyproject.toml: ${named} is outside the workspace`);
    expect(error.where.file).toBe('svc/pyproject.toml');
  });

  it('refuses the nx.json context option when it leaves the workspace, and takes one that stays in it', () => {
    const files = { 'svc/pyproject.toml': PYPROJECT, 'svc/uv.lock': LOCK, 'svc/Dockerfile': INSTALLS };
    const error = thrownPluginError('options', () => readSvc(files, { context: '../../x' }));
    expect(error.message).toContain('nx.json: the context option, for svc/pyproject.toml, = "../../x" is outside the workspace');
    expect(error.where.file).toBe('nx.json');
    expect(readSvc({ ...files, 'uv.lock': LOCK }, { context: '..' }).contextDir).toBe('.');
  });

  it('warns where a credential-looking ARG is in scope of a RUN', () => {
    const model = readSvc({
      'svc/pyproject.toml': PYPROJECT,
      'svc/uv.lock': LOCK,
      'svc/Dockerfile': lines('FROM python:3.12-slim AS app', 'ARG HF_TOKEN', 'COPY pyproject.toml uv.lock ./', 'RUN uv sync --frozen'),
    });
    expect(model.warnings).toEqual([expect.stringMatching(/^svc\/Dockerfile:2: ARG HF_TOKEN is in scope of the RUN at line 4/)]);
  });
});
