// The scaling workspaces: N services in the seed layout (each its own uv project and build context: pyproject.toml,
// uv.lock, prod/pyproject.toml + prod/uv.lock, src/, stand-ins/, docker/Dockerfile), one backend (cu124). Their
// Dockerfiles, prod locks' torch/flash-attn pins and stand-ins are identical, so every service has the same wheel
// key: a perfect cache compiles flash-attn once for all of them. Only src/app/__init__.py differs per service.
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, git, NX_VERSION } from '../../example-workspace.mjs';
import { Workspace } from './workspace.mjs';
import { renameProject } from './uv-lock-edit.mjs';

const FIXTURE = join(FIXTURES, 'ml-monorepo');

/** The seed-layout Dockerfile of every scaling service (context: the service folder). */
function dockerfile({ cacheNamespace, compileSeconds }) {
  return `# Seed-layout service image (cache-scenarios scaling benchmark). Build context: the service folder.
ARG CUDA_VERSION=12.4.1
ARG CUDA_VARIANT=cudnn
ARG UBUNTU_VERSION=22.04

FROM nvidia/cuda:\${CUDA_VERSION}-\${CUDA_VARIANT}-devel-ubuntu\${UBUNTU_VERSION} AS base
ENV NX_UV_CUDA_BENCH_CACHE=${cacheNamespace}
ARG TORCH_BACKEND=cu124
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    PIP_NO_INPUT=1 \\
    TORCH_BACKEND=\${TORCH_BACKEND} \\
    VIRTUAL_ENV=/opt/venv \\
    PATH=/opt/venv/bin:\${PATH}
RUN python3 -m venv --system-site-packages /opt/venv
WORKDIR /app

FROM base AS deps-dev
COPY uv.lock pyproject.toml ./
COPY stand-ins/torch /opt/stand-ins/torch
RUN TORCH_STANDIN_VERSION="$(python3 /opt/stand-ins/torch/locked_version.py uv.lock "\${TORCH_BACKEND}")" \\
      pip install --no-index --no-build-isolation --no-deps /opt/stand-ins/torch
COPY src src
RUN pip install --no-index --no-build-isolation --no-deps -e .

FROM base AS deps-prod
COPY prod/uv.lock prod/pyproject.toml prod/
COPY stand-ins/torch /opt/stand-ins/torch
RUN TORCH_STANDIN_VERSION="$(python3 /opt/stand-ins/torch/locked_version.py prod/uv.lock "\${TORCH_BACKEND}")" \\
      pip install --no-index --no-build-isolation --no-deps /opt/stand-ins/torch

FROM deps-prod AS wheel-prod
ARG FLASH_ATTN_VERSION=2.7.4
ARG FLASH_ATTN_CUDA_ARCHS=90
ARG MAX_JOBS=4
ARG NVCC_THREADS=2
ARG FLASH_ATTENTION_FORCE_BUILD=TRUE
ARG FLASH_ATTN_STANDIN_COMPILE_SECONDS=${compileSeconds}
COPY stand-ins/flash-attn /opt/stand-ins/flash-attn
RUN export FLASH_ATTN_VERSION FLASH_ATTN_CUDA_ARCHS MAX_JOBS NVCC_THREADS FLASH_ATTENTION_FORCE_BUILD \\
           FLASH_ATTN_STANDIN_COMPILE_SECONDS && \\
    pip wheel --verbose --no-index --no-build-isolation --no-deps -w /wheelhouse /opt/stand-ins/flash-attn

FROM scratch AS wheels
COPY --from=wheel-prod /wheelhouse/ /

FROM deps-dev AS dev
COPY --from=wheels / /wheels/
RUN pip install --no-index --no-deps /wheels/*.whl
CMD ["python", "-m", "app"]

FROM deps-prod AS prod
COPY --from=wheels / /wheels/
RUN pip install --no-index --no-deps /wheels/*.whl && \\
    useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin app
COPY src /app/src
ENV PYTHONPATH=/app/src
USER app
CMD ["python", "-m", "app"]
`;
}

const DOCKERIGNORE = `# Per-Dockerfile ignore file; the context is the service folder.
**/*.md
**/__pycache__
**/*.py[cod]
**/*.egg-info
stand-ins/*/build/
`;

/** pyproject.toml of a seed-layout service: ml-service's production manifest made an installable project. */
function servicePyproject(name, prodText) {
  return prodText
    .replace(/^#.*\n/gm, '')
    .replace('name = "ml-service"', `name = "${name}"`)
    .replace('[tool.uv]\npackage = false\n', '[tool.uv]\n')
    .concat(
      '\n[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n',
      '\n[tool.setuptools.packages.find]\nwhere = ["src"]\n',
      '\n[tool.nx-uv-cuda]\nbackends = ["cu124"]\n',
    );
}

/**
 * A committed Nx workspace with `services` seed-layout services (svc-01 ...), the packed plugin and `registry`.
 * `variant` names the BuildKit cache namespace (an ENV line in the base stage).
 */
export function createScalingWorkspace({ installDir, services, cacheNamespace, registry, compileSeconds }) {
  const root = mkdtempSync(join(tmpdir(), `nx-uv-cuda-bench-scale-${services}-`));
  const ws = new Workspace(root, cacheNamespace);
  const prodPyproject = readFileSync(join(FIXTURE, 'services/ml-service/prod/pyproject.toml'), 'utf8');
  const prodLock = readFileSync(join(FIXTURE, 'services/ml-service/prod/uv.lock'), 'utf8');
  for (let index = 1; index <= services; index += 1) {
    const name = `svc-${String(index).padStart(2, '0')}`;
    const dir = `services/${name}`;
    const lock = renameProject(prodLock, 'ml-service', name);
    ws.write(`${dir}/pyproject.toml`, servicePyproject(name, prodPyproject));
    ws.write(`${dir}/uv.lock`, lock.replace('source = { virtual = "." }', 'source = { editable = "." }'));
    ws.write(`${dir}/prod/pyproject.toml`, prodPyproject.replace('name = "ml-service"', `name = "${name}"`));
    ws.write(`${dir}/prod/uv.lock`, lock);
    ws.write(`${dir}/src/app/__init__.py`, `"""${name}: a seed-layout service of the scaling benchmark."""\n\nSERVICE = "${name}"\n`);
    ws.write(`${dir}/src/app/__main__.py`, 'from app import SERVICE\n\nprint(SERVICE)\n');
    ws.write(`${dir}/README.md`, `# ${name}\n`);
    ws.write(`${dir}/docker/Dockerfile`, dockerfile({ cacheNamespace, compileSeconds }));
    ws.write(`${dir}/docker/Dockerfile.dockerignore`, DOCKERIGNORE);
    for (const standIn of ['torch', 'flash-attn']) {
      cpSync(join(FIXTURE, 'stand-ins', standIn), ws.path(`${dir}/stand-ins/${standIn}`), { recursive: true });
    }
  }
  writeFileSync(join(root, 'package.json'), `${JSON.stringify({ name: `bench-scale-${services}`, private: true, devDependencies: { nx: NX_VERSION } }, null, 2)}\n`);
  writeFileSync(
    join(root, 'nx.json'),
    `${JSON.stringify({ plugins: [{ plugin: 'nx-uv-cuda', options: { registry } }], defaultBase: 'main', parallel: 1 }, null, 2)}\n`,
  );
  writeFileSync(join(root, '.gitignore'), 'node_modules\ndist\n.nx\n');
  symlinkSync(join(installDir, 'node_modules'), join(root, 'node_modules'), 'dir');
  git(root, ['init', '-q', '-b', 'main']);
  ws.commit('scaling workspace');
  return ws;
}

/** An edit that changes the one shared wheel key: the same line added to every service's flash-attn sources. */
export function changeSharedWheel(ws) {
  for (const service of ws.services()) {
    ws.append(`services/${service}/stand-ins/flash-attn/csrc/flash_api.c`, '\n/* bench: a new flash-attn source revision */\n');
  }
}
