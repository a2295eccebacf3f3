// The scripted series of edits, applied in this order to each variant of the workspace (workspace.mjs), each
// with the builds that must run after it. "Builds" are the wheel and image tasks (lock-<b>/keys-<b> are cheap
// bookkeeping and are counted apart). `compiles` is the number of new wheel keys the edit creates: the flash-attn
// compiles a perfect cache performs.
//
// What "must rebuild" means here: a build whose result changes. A result changes when a file its stages copy
// changes, a package it installs changes, its stage text or an ARG it sees changes, or the wheel it installs
// changes. Two exceptions, both stated by the plugin or the issue: a copied uv.lock whose backend slice is
// unchanged (README: the slice stands for the lock; the copied lock may be byte-wise older), and MAX_JOBS (the
// issue: MAX_JOBS must rebuild nothing: it changes how fast flash-attn compiles, not what comes out).
import {
  addPackage,
  addToList,
  bumpBackendTorch,
  registryPackage,
  reserializeWithoutUploadTimes,
} from './uv-lock-edit.mjs';
import { addService } from './workspace.mjs';

const WHEEL = (backend) => `wheel-flash-attn-${backend}`;

/** `builds('ml-service', 'image-dev')` → both backends' image-dev tasks of ml-service. */
export function builds(project, ...targets) {
  const names = targets.length ? targets : ['wheel-flash-attn', 'image-dev', 'image-prod'];
  return names.flatMap((target) =>
    /-cu\d+$/.test(target) ? [`${project}:${target}`] : ['cu124', 'cu128'].map((backend) => `${project}:${target}-${backend}`),
  );
}

const PROD_LOCKS = (ws) => ws.services().map((service) => `services/${service}/prod/uv.lock`);

export const EDITS = [
  {
    name: 'no-change',
    title: 'Nothing changed: the same command again',
    apply() {},
    mustRebuild: [],
    compiles: 0,
  },
  {
    name: 'source',
    title: 'Source edit: `services/ml-service/src/ml_service/main.py`',
    apply(ws) {
      ws.edit('services/ml-service/src/ml_service/main.py', (text) =>
        text.replace('SERVICE = "ml-service"', 'SERVICE = "ml-service"\nBENCH_SOURCE_EDIT = 1'),
      );
    },
    // dev copies src/ (deps-dev), prod copies src/; the wheel chain does not.
    mustRebuild: builds('ml-service', 'image-dev', 'image-prod'),
    compiles: 0,
  },
  {
    name: 'readme',
    title: 'README edits: ml-service, other-service, libs/shared',
    apply(ws) {
      for (const file of ['services/ml-service/README.md', 'services/other-service/README.md', 'libs/shared/README.md']) {
        ws.append(file, '\nMore words about this project.\n');
      }
    },
    // The Dockerfiles' .dockerignore excludes **/*.md: no stage sees them.
    mustRebuild: [],
    compiles: 0,
  },
  {
    name: 'tests',
    title: 'Test edit: `services/other-service/tests/test_main.py`',
    apply(ws) {
      ws.append('services/other-service/tests/test_main.py', '\n\ndef test_bench_edit():\n    assert True\n');
    },
    // Only deps-dev copies tests/ (so dev has them); prod and the wheel do not.
    mustRebuild: builds('other-service', 'image-dev'),
    compiles: 0,
  },
  {
    name: 'dev-dependency',
    title: 'Dev-only dependency: `pytest-timeout` in ml-service\'s `dev` group (pyproject.toml + uv.lock)',
    apply(ws) {
      ws.edit('services/ml-service/pyproject.toml', (text) => text.replace('dev = ["pytest>=8"]', 'dev = ["pytest>=8", "pytest-timeout>=2.3"]'));
      let lock = addPackage(ws.read('uv.lock'), registryPackage({ name: 'pytest-timeout', version: '2.4.0', dependencies: ['pytest'] }));
      lock = addToList(lock, { pkg: 'ml-service', table: '[package.dev-dependencies]', key: 'dev', item: '{ name = "pytest-timeout" }' });
      lock = addToList(lock, {
        pkg: 'ml-service',
        table: '[package.metadata.requires-dev]',
        key: 'dev',
        item: '{ name = "pytest-timeout", specifier = ">=2.3" }',
      });
      ws.write('uv.lock', lock);
    },
    // ml-service's dev slice and its copied pyproject.toml change; prod slice and the wheel's inputs do not. Other
    // services' dev images copy uv.lock too, but their slices are unchanged (lock exception).
    mustRebuild: builds('ml-service', 'image-dev'),
    compiles: 0,
  },
  {
    name: 'runtime-dependency',
    title: 'Unrelated runtime dependency: `pyyaml` in other-service (pyproject.toml, prod manifest, both locks)',
    apply(ws) {
      for (const file of ['services/other-service/pyproject.toml', 'services/other-service/prod/pyproject.toml']) {
        ws.edit(file, (text) => text.replace('    "numpy>=1.26",\n', '    "numpy>=1.26",\n    "pyyaml>=6",\n'));
      }
      for (const file of ['uv.lock', 'services/other-service/prod/uv.lock']) {
        let lock = addPackage(ws.read(file), registryPackage({ name: 'pyyaml', version: '6.0.2' }));
        lock = addToList(lock, { pkg: 'other-service', key: 'dependencies', item: '{ name = "pyyaml" }' });
        lock = addToList(lock, {
          pkg: 'other-service',
          table: '[package.metadata]',
          key: 'requires-dist',
          item: '{ name = "pyyaml", specifier = ">=6" }',
        });
        ws.write(file, lock);
      }
    },
    // Both of other-service's slices change; torch and flash-attn do not, so its wheels keep their keys.
    mustRebuild: builds('other-service', 'image-dev', 'image-prod'),
    compiles: 0,
  },
  {
    name: 'torch-cu128',
    title: 'torch for one backend: cu128 torch 2.7.0 → 2.7.1 in uv.lock and every prod lock (`uv lock --upgrade-package torch`)',
    apply(ws) {
      for (const file of ['uv.lock', ...PROD_LOCKS(ws)]) {
        ws.edit(file, (text) => bumpBackendTorch(text, { backend: 'cu128', from: '2.7.0', to: '2.7.1' }));
      }
    },
    // Every cu128 build installs (or compiles against) the new torch; no cu124 build sees it.
    mustRebuild: ['ml-service', 'other-service', 'vision-service'].flatMap((project) =>
      [WHEEL('cu128'), 'image-dev-cu128', 'image-prod-cu128'].map((target) => `${project}:${target}`),
    ),
    compiles: 3,
  },
  {
    name: 'cuda-archs',
    title: '`FLASH_ATTN_CUDA_ARCHS = "90;100"` for ml-service (`[tool.nx-uv-cuda] build-args`)',
    apply(ws) {
      ws.append('services/ml-service/pyproject.toml', '\n[tool.nx-uv-cuda]\nbuild-args = { FLASH_ATTN_CUDA_ARCHS = "90;100" }\n');
    },
    // A different wheel for both backends, and both images install it.
    mustRebuild: builds('ml-service'),
    compiles: 2,
  },
  {
    name: 'max-jobs',
    requires: ['cuda-archs'],
    title: '`MAX_JOBS = "2"` added to the same build-args',
    apply(ws) {
      ws.edit('services/ml-service/pyproject.toml', (text) =>
        text.replace('build-args = { FLASH_ATTN_CUDA_ARCHS = "90;100" }', 'build-args = { FLASH_ATTN_CUDA_ARCHS = "90;100", MAX_JOBS = "2" }'),
      );
    },
    // The issue: MAX_JOBS must rebuild nothing (speed only). (The dev stage copies this pyproject.toml, so a dev
    // image rebuilt now would differ in that file's bytes only.)
    mustRebuild: [],
    compiles: 0,
  },
  {
    name: 'revert-build-args',
    requires: ['cuda-archs', 'max-jobs'],
    title: 'Revert ml-service\'s `[tool.nx-uv-cuda]` table (pyproject.toml as before `cuda-archs`)',
    apply(ws) {
      ws.edit('services/ml-service/pyproject.toml', (text) =>
        text.replace('\n[tool.nx-uv-cuda]\nbuild-args = { FLASH_ATTN_CUDA_ARCHS = "90;100", MAX_JOBS = "2" }\n', ''),
      );
    },
    // Every input is back to the state built after `torch-cu128`: those wheels and images exist (local cache,
    // wheel store, registry digests), nothing needs building.
    mustRebuild: [],
    compiles: 0,
  },
  {
    name: 'prod-stage',
    title: 'Prod stage text: `ENV APP_MODE=production` in ml-service\'s `prod` stage',
    apply(ws) {
      ws.edit('services/ml-service/docker/Dockerfile-cu124-uv', (text) =>
        text.replace('ENV PYTHONPATH=/workspace/services/ml-service/src', 'ENV APP_MODE=production\nENV PYTHONPATH=/workspace/services/ml-service/src'),
      );
    },
    mustRebuild: builds('ml-service', 'image-prod'),
    compiles: 0,
  },
  {
    name: 'base-stage',
    title: 'Base stage text: `ENV PIP_NO_CACHE_DIR=1` in other-service\'s `base` stage',
    apply(ws) {
      ws.edit('services/other-service/docker/Dockerfile-cu124-uv', (text) =>
        text.replace('WORKDIR /workspace\n', 'WORKDIR /workspace\nENV PIP_NO_CACHE_DIR=1\n'),
      );
    },
    // Every stage of other-service derives from base: new wheels (both backends) and new images.
    mustRebuild: builds('other-service'),
    compiles: 2,
  },
  {
    name: 'lock-refresh',
    title: 'Lock refresh that changes nothing: uv.lock and every prod lock re-serialized (no `upload-time` fields)',
    apply(ws) {
      for (const file of ['uv.lock', ...PROD_LOCKS(ws)]) ws.edit(file, reserializeWithoutUploadTimes);
    },
    // Same packages, versions, sources and hashes in every slice (lock exception for the copied lock files).
    mustRebuild: [],
    compiles: 0,
  },
  {
    name: 'shared-library',
    title: 'Shared library edit: `libs/shared/src/shared/__init__.py` (used by ml-service and vision-service)',
    apply(ws) {
      ws.append('libs/shared/src/shared/__init__.py', '\nBENCH_LIBRARY_EDIT = True\n');
    },
    // deps-dev and prod of both users copy libs/shared/src; other-service does not.
    mustRebuild: [...builds('ml-service', 'image-dev', 'image-prod'), ...builds('vision-service', 'image-dev', 'image-prod')],
    compiles: 0,
  },
  {
    name: 'new-service',
    title: 'New service: `audio-service`, a copy of other-service, added to the workspace and its lock',
    apply(ws) {
      addService(ws, { from: 'other-service', to: 'audio-service' });
    },
    // Its own six builds (its wheel chain copies its own prod lock path: new wheel keys). Adding it declares new
    // cross-service conflicts in the root pyproject.toml, which every deps-dev stage copies: every dev image
    // changes by that file. No prod image, no other wheel.
    mustRebuild: [
      ...builds('audio-service'),
      ...builds('ml-service', 'image-dev'),
      ...builds('other-service', 'image-dev'),
      ...builds('vision-service', 'image-dev'),
    ],
    compiles: 2,
  },
  {
    name: 'deleted-dist',
    title: '`dist/` deleted',
    apply(ws) {
      ws.remove('dist');
    },
    // Every output is in the Nx cache (and every image in the registry).
    mustRebuild: [],
    compiles: 0,
  },
  {
    name: 'second-clone',
    title: 'Second clone sharing only the registry: `git clone`, empty Nx cache and workspace data',
    clone: true,
    apply() {},
    // Nothing but the registry is shared, and the Nx cache is not: every task runs in the clone. Every wheel key
    // is in the registry, so none compiles. (After `new-service`: audio-, ml-, other- and vision-service.)
    mustRebuild: (ws) => ws.services().flatMap((project) => builds(project)),
    compiles: 0,
  },
];
