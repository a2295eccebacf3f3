import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit } from '../__fixtures__/edit';
import { stageNamesSchema, targetNamesSchema } from '../config/plugin-options';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { isPluginError } from '../core/errors';
import { resolveBackends, type BackendSources } from '../model/backends';
import { imageStages } from '../model/images';
import type { ProjectDockerfile, ProjectModel } from '../model/project';
import { parsePyproject } from '../python/pyproject';
import { inferTargets } from './targets';

const recipe = readFileSync(join(__dirname, '..', 'docker', '__fixtures__', 'recipe.Dockerfile'), 'utf8');

const PYPROJECT = [
  '[project]',
  'name = "ml-service"',
  '[project.optional-dependencies]',
  'cu124 = ["torch==2.5.1"]',
  'cu128 = ["torch==2.7.0"]',
  '',
].join('\n');

const FILE = 'services/ml/docker/Dockerfile-cu124-uv';
const lines = (...text: string[]) => `${text.join('\n')}\n`;
const backendsOf = (more: Partial<BackendSources> = {}) =>
  resolveBackends({
    pyprojectFile: 'services/ml/pyproject.toml',
    extras: ['cu124', 'cu128'],
    groups: [],
    routes: { extras: {}, groups: {} },
    ...more,
  });

/** A Dockerfile of the project as readProjectModel finds it: its images read with the stage names given. */
function dockerfileOf(
  file: string,
  text: string,
  more: Partial<Omit<ProjectDockerfile, 'model'>> & { stages?: ProjectModel['stages'] } = {},
): ProjectDockerfile {
  const { stages = stageNamesSchema.parse({}), ...rest } = more;
  const model = parseDockerfile(text, file);
  return { file, model, label: '', backends: ['cu124', 'cu128'], ...imageStages(model, stages), ...rest };
}

function project(overrides: Partial<ProjectModel> = {}, dockerfileText = recipe): ProjectModel {
  const stages = overrides.stages ?? stageNamesSchema.parse({});
  return {
    root: 'services/ml',
    name: 'ml-service',
    pythonName: 'ml-service',
    pyprojectFile: 'services/ml/pyproject.toml',
    pyproject: parsePyproject(PYPROJECT, 'services/ml/pyproject.toml'),
    lockFile: 'services/ml/uv.lock',
    prodLockFile: 'services/ml/prod/uv.lock',
    contextDir: 'services/ml',
    dockerfiles: [dockerfileOf(FILE, dockerfileText, { stages })],
    backends: backendsOf(),
    locks: {},
    stages,
    targetNames: targetNamesSchema.parse({}),
    wheelPackage: 'flash-attn',
    wheelBuildRequirements: ['setuptools'],
    placements: {},
    release: {},
    warnings: [],
    skippedDockerfiles: [],
    ...overrides,
  };
}

const targetsOf = (overrides: Partial<ProjectModel> = {}, dockerfileText = recipe) =>
  inferTargets(project(overrides, dockerfileText)).targets;

describe('inferTargets', () => {
  const inferred = inferTargets(project());
  const targets = inferred.targets;

  it('infers per-backend lock-slice, keys, wheel, image and smoke targets and their aggregates', () => {
    expect(Object.keys(targets).sort()).toEqual(
      [
        'image', 'image-dev', 'image-prod', 'image-dev-cu124', 'image-dev-cu128', 'image-prod-cu124', 'image-prod-cu128',
        'keys-cu124', 'keys-cu128', 'lock', 'lock-check', 'lock-cu124', 'lock-cu128', 'smoke', 'smoke-cu124', 'smoke-cu128',
        'wheel-flash-attn', 'wheel-flash-attn-cu124', 'wheel-flash-attn-cu128',
        'run-dev-cu124', 'run-dev-cu128', 'run-prod-cu124', 'run-prod-cu128',
      ].sort(),
    );
    expect(targets['run-dev-cu124']).toMatchObject({
      executor: 'nx-uv-cuda:run',
      options: { imageMetadata: 'dist/services/ml/images/dev-cu124.json', mode: 'dev' },
      dependsOn: ['image-dev-cu124'],
      cache: false,
    });
    expect(targets['run-dev-cu124']).not.toHaveProperty('continuous');
    expect(targets['run-prod-cu128']).toMatchObject({
      options: { imageMetadata: 'dist/services/ml/images/prod-cu128.json', mode: 'prod' },
      dependsOn: ['image-prod-cu128'],
      continuous: true,
    });
    expect(targets['image'].dependsOn).toEqual(['image-dev', 'image-prod']);
    expect(targets['image-prod'].dependsOn).toEqual(['image-prod-cu124', 'image-prod-cu128']);
    expect(targets['image-prod-cu128'].dependsOn).toEqual(['keys-cu128', 'wheel-flash-attn-cu128']);
    expect(targets['wheel-flash-attn-cu124'].dependsOn).toEqual(['keys-cu124']);
    expect(targets['keys-cu124'].dependsOn).toEqual(['lock-cu124']);
    expect(targets['smoke-cu124'].dependsOn).toEqual(['image-prod-cu124']);
  });

  it('groups the targets by backend, plus the lock targets, and says the project builds images', () => {
    expect(inferred.hasImages).toBe(true);
    expect(inferred.targetGroups).toEqual({
      uv: ['lock', 'lock-check'],
      cu124: ['lock-cu124', 'keys-cu124', 'wheel-flash-attn-cu124', 'image-dev-cu124', 'run-dev-cu124', 'image-prod-cu124', 'run-prod-cu124', 'smoke-cu124'],
      cu128: ['lock-cu128', 'keys-cu128', 'wheel-flash-attn-cu128', 'image-dev-cu128', 'run-dev-cu128', 'image-prod-cu128', 'run-prod-cu128', 'smoke-cu128'],
    });
  });

  it('writes every output under dist/<project root>', () => {
    expect(targets['lock-cu124'].outputs).toEqual([
      '{workspaceRoot}/dist/services/ml/locks/cu124-dev.json',
      '{workspaceRoot}/dist/services/ml/locks/cu124-prod.json',
    ]);
    expect(targets['keys-cu124'].outputs).toEqual([
      '{workspaceRoot}/dist/services/ml/keys/cu124-wheel.json',
      '{workspaceRoot}/dist/services/ml/keys/cu124-dev.json',
      '{workspaceRoot}/dist/services/ml/keys/cu124-prod.json',
      '{workspaceRoot}/dist/services/ml/keys/cu124-build.json',
    ]);
    expect(targets['wheel-flash-attn-cu128'].outputs).toEqual(['{workspaceRoot}/dist/services/ml/wheels/cu128']);
    expect(targets['image-dev-cu124'].outputs).toEqual(['{workspaceRoot}/dist/services/ml/images/dev-cu124.json']);
  });

  it('makes wheel and image targets hash only their key file', () => {
    expect(targets['image-prod-cu124'].inputs).toEqual([{ dependentTasksOutputFiles: '**/keys/cu124-prod.json' }]);
    expect(targets['image-dev-cu128'].inputs).toEqual([{ dependentTasksOutputFiles: '**/keys/cu128-dev.json' }]);
    expect(targets['wheel-flash-attn-cu124'].inputs).toEqual([{ dependentTasksOutputFiles: '**/keys/cu124-wheel.json' }]);
    expect(targets['lock-cu124'].inputs).toEqual(['{workspaceRoot}/services/ml/uv.lock', '{workspaceRoot}/services/ml/prod/uv.lock']);
    const keysInputs = targets['keys-cu124'].inputs!;
    expect(keysInputs[0]).toBe('{projectRoot}/**/*');
    expect(keysInputs).toContain('{workspaceRoot}/services/ml/src/**/*');
    expect(keysInputs).toContain('{workspaceRoot}/services/ml/libs/shared/**/*');
    expect(keysInputs).toContain('!{workspaceRoot}/dist/**/*');
    expect(keysInputs.at(-1)).toEqual({ dependentTasksOutputFiles: '**/locks/cu124-*.json' });
  });

  it('hashes the environment values of credential-looking ARGs into the keys task (the keys hold their digests)', () => {
    const withToken = targetsOf({}, edit(recipe, 'ARG FLASH_ATTN_VERSION=2.7.4', 'ARG FLASH_ATTN_VERSION=2.7.4\nARG HF_TOKEN'));
    expect(withToken['keys-cu124'].inputs!.slice(-2)).toEqual([{ env: 'HF_TOKEN' }, { env: 'NX_UV_CUDA_DIGEST_KEY' }]);
    expect(targets['keys-cu124'].inputs!.some((input) => typeof input === 'object' && 'env' in input)).toBe(false);
  });

  it('keeps build args and stage texts out of every target (Nx hashes all targets into each task)', () => {
    const edited = targetsOf(
      {
        backends: backendsOf({ projectBuildArgs: { MAX_JOBS: '64', FLASH_ATTN_CUDA_ARCHS: '90' } }),
      },
      edit(recipe, 'RUN uv pip install /wheels/*.whl && useradd app', 'RUN uv pip install /wheels/*.whl && useradd -m app'),
    );
    expect(edited).toEqual(targets);
  });

  it('hands the resolved build args to the executors through the keys build-args file', () => {
    expect(targets['image-prod-cu128'].options).toMatchObject({
      buildArgsFile: 'dist/services/ml/keys/cu128-build.json',
    });
    expect(targets['image-prod-cu128'].options.buildArgs).toBeUndefined();
    expect(targets['image-prod-cu128'].options.buildFile).toBeUndefined();
    expect(targets['wheel-flash-attn-cu128'].options).toMatchObject({
      buildArgsFile: 'dist/services/ml/keys/cu128-build.json',
      keyFile: 'dist/services/ml/keys/cu128-wheel.json',
      exportStage: 'wheels',
      target: 'wheel-prod',
    });
  });

  it('gives the keys target every file and setting it reads as flat options', () => {
    expect(targets['keys-cu128'].options).toEqual({
      pyproject: 'services/ml/pyproject.toml',
      backend: 'cu128',
      dockerfile: 'services/ml/docker/Dockerfile-cu124-uv',
      context: 'services/ml',
      lockFile: 'services/ml/uv.lock',
      prodLockFile: 'services/ml/prod/uv.lock',
      wheelBuildStage: 'wheel-prod',
      wheelExportStage: 'wheels',
      wheelPackage: 'flash-attn',
      wheelBuildRequirements: ['setuptools'],
      baseBuildArgs: {
        CUDA_VARIANT: 'cudnn',
        UBUNTU_VERSION: '22.04',
        CMAKE_VERSION: '3.26.1',
        TORCH_BACKEND: 'cu128',
        CUDA_VERSION: '12.8.0',
      },
      devLockSlice: 'dist/services/ml/locks/cu128-dev.json',
      prodLockSlice: 'dist/services/ml/locks/cu128-prod.json',
      wheelKeyFile: 'dist/services/ml/keys/cu128-wheel.json',
      images: [
        { stage: 'dev', kind: 'dev', slice: 'dev', keyFile: 'dist/services/ml/keys/cu128-dev.json' },
        { stage: 'prod', kind: 'prod', slice: 'prod', keyFile: 'dist/services/ml/keys/cu128-prod.json' },
      ],
      buildArgsFile: 'dist/services/ml/keys/cu128-build.json',
    });
    expect(targets['keys-cu128'].options).not.toHaveProperty('pluginOptions');
  });

  it('names the .dockerignore in the keys options and inputs, and leaves out prodLockFile when there is none', () => {
    const model = project();
    const keys = targetsOf({
      prodLockFile: undefined,
      dockerfiles: [{ ...model.dockerfiles[0], dockerignoreFile: 'services/ml/.dockerignore', dockerignoreText: 'tests\n' }],
    })['keys-cu124'];
    expect(keys.options.dockerignore).toBe('services/ml/.dockerignore');
    expect(keys.options).not.toHaveProperty('prodLockFile');
    expect(keys.inputs).toContain('{workspaceRoot}/services/ml/.dockerignore');
    expect(targets['keys-cu124'].options).not.toHaveProperty('dockerignore');
  });

  it('fills in the help example of the targets that have a help command', () => {
    expect(targets['lock'].metadata?.help).toEqual({
      command: 'uv lock --help',
      example: { options: { args: ['lock', '--upgrade-package', 'torch'] } },
    });
    expect(targets['wheel-flash-attn-cu124'].metadata?.help?.example).toEqual({
      options: { maxJobs: 8, nvccThreads: 2, cudaArchs: '90', dryRun: true },
    });
    expect(targets['smoke-cu124'].metadata?.help?.command).toBe('docker run --help');
    expect(targets['image-prod-cu124'].metadata?.help?.example?.options).toMatchObject({ noCache: true, dryRun: true });
  });

  it('hands the wheel to the images as the wheels build context', () => {
    expect(targets['image-dev-cu124'].options).toMatchObject({
      wheelsContext: 'wheels',
      wheelsDir: 'dist/services/ml/wheels/cu124',
    });
  });

  it('never lets Nx replay an image: the executor asks the engine or the registry for it', () => {
    expect(targets['image-prod-cu124'].cache).toBe(false);
    const pushed = targetsOf({ registry: '127.0.0.1:5000/ml' });
    expect(pushed['image-prod-cu124'].cache).toBe(false);
    expect(pushed['image-prod-cu124'].options.registry).toBe('127.0.0.1:5000/ml');
    expect(targets['image-prod-cu124'].options).not.toHaveProperty('registry');
    expect(targets['wheel-flash-attn-cu124'].cache).toBe(true);
  });

  it('releases pushed images only: one release target per image, and nx-release-publish for all but dev', () => {
    expect(Object.keys(targets).filter((name) => name.startsWith('release') || name === 'nx-release-publish')).toEqual([]);
    const pushed = targetsOf({ registry: '127.0.0.1:5000/ml', release: { versionScheme: '{projectVersion}', tag: '{version}-{backend}' } });
    expect(pushed['release-prod-cu124']).toMatchObject({
      executor: 'nx-uv-cuda:release',
      cache: false,
      dependsOn: ['image-prod-cu124'],
      options: {
        images: ['dist/services/ml/images/prod-cu124.json'],
        pyproject: 'services/ml/pyproject.toml',
        versionScheme: '{projectVersion}',
        releaseTag: '{version}-{backend}',
      },
    });
    expect(pushed['release-dev-cu128'].dependsOn).toEqual(['image-dev-cu128']);
    expect(pushed['nx-release-publish'].dependsOn).toEqual(['image-prod-cu124', 'image-prod-cu128']);
    expect(pushed['nx-release-publish'].options.images).toEqual([
      'dist/services/ml/images/prod-cu124.json',
      'dist/services/ml/images/prod-cu128.json',
    ]);
    const withDev = targetsOf({ registry: '127.0.0.1:5000/ml', release: { dev: true } });
    expect(withDev['nx-release-publish'].dependsOn).toEqual(['image-dev-cu124', 'image-prod-cu124', 'image-dev-cu128', 'image-prod-cu128']);
    expect(withDev['nx-release-publish'].options).not.toHaveProperty('versionScheme');
  });

  it('places wheel and image builds on the builder and engine resolved for their backend', () => {
    const placed = targetsOf({
      placements: { cu128: { wheel: { builder: 'gpu-box', host: 'tcp://127.0.0.1:2376' }, image: { builder: 'ci' } } },
    });
    expect(placed['wheel-flash-attn-cu128'].options).toMatchObject({ builder: 'gpu-box', engine: { host: 'tcp://127.0.0.1:2376' } });
    expect(placed['image-prod-cu128'].options).toMatchObject({ builder: 'ci' });
    expect(placed['image-prod-cu128'].options).not.toHaveProperty('engine');
    expect(placed['wheel-flash-attn-cu124'].options).not.toHaveProperty('builder');
    expect(placed['wheel-flash-attn-cu124'].options).not.toHaveProperty('engine');
  });

  it('drops the wheel targets when FLASH_ATTN_VERSION is none', () => {
    const backends = backendsOf({ extras: ['cu124'], projectBuildArgs: { FLASH_ATTN_VERSION: 'none' } });
    const withoutWheel = inferTargets(project({ backends, dockerfiles: [dockerfileOf(FILE, recipe, { backends: ['cu124'] })] })).targets;
    expect(Object.keys(withoutWheel).filter((name) => name.startsWith('wheel'))).toEqual([]);
    expect(withoutWheel['image-prod-cu124'].dependsOn).toEqual(['keys-cu124']);
    expect(withoutWheel['image-prod-cu124'].options.wheelsDir).toBeUndefined();
    expect(withoutWheel['keys-cu124'].outputs).not.toContain('{workspaceRoot}/dist/services/ml/keys/cu124-wheel.json');
  });

  it('uses configured target and stage names', () => {
    const renamed = targetsOf(
      {
        targetNames: targetNamesSchema.parse({ imageProd: 'docker-prod', wheel: 'fa-wheel', keys: 'inputs' }),
        stages: stageNamesSchema.parse({ prod: 'runtime' }),
      },
      edit(recipe, 'FROM deps-prod AS prod', 'FROM deps-prod AS runtime'),
    );
    expect(renamed['docker-prod-cu124']).toMatchObject({
      options: { target: 'runtime', kind: 'prod' },
      dependsOn: ['inputs-cu124', 'fa-wheel-cu124'],
    });
    expect(renamed['docker-prod-cu124'].metadata?.description).toMatch(/prod image \(stage runtime\)/);
  });

  it('uses the configured wheel-build and wheel-export stages', () => {
    const renamedStages = [
      ['FROM deps-prod AS wheel-prod', 'FROM deps-prod AS flash-build'],
      ['FROM scratch AS wheels\nCOPY --from=wheel-prod', 'FROM scratch AS flash-out\nCOPY --from=flash-build'],
      ['COPY --from=wheels / /wheels/', 'COPY --from=flash-out / /wheels/'],
      ['COPY --from=wheels / /wheels/', 'COPY --from=flash-out / /wheels/'],
    ].reduce((text, [from, to]) => edit(text, from, to), recipe);
    const renamed = targetsOf({ stages: stageNamesSchema.parse({ wheelBuild: 'flash-build', wheelExport: 'flash-out' }) }, renamedStages);
    expect(renamed['wheel-flash-attn-cu124'].options).toMatchObject({ target: 'flash-build', exportStage: 'flash-out' });
    expect(renamed['image-prod-cu124'].options).toMatchObject({ wheelsContext: 'flash-out' });
    expect(renamed['keys-cu124'].options).toMatchObject({ wheelBuildStage: 'flash-build', wheelExportStage: 'flash-out' });
    // With the default names this Dockerfile has no wheel-build stage, so no wheel target.
    expect(Object.keys(targetsOf({}, renamedStages)).filter((name) => name.startsWith('wheel'))).toEqual([]);
  });

  it('exports the whole wheel-build stage when the Dockerfile has no wheel-export stage', () => {
    const noExport = edit(recipe, 'FROM scratch AS wheels\nCOPY --from=wheel-prod /wheelhouse/ /\n', '');
    const dockerfile = edit(edit(noExport, 'COPY --from=wheels / /wheels/\n', ''), 'COPY --from=wheels / /wheels/\n', '');
    expect(targetsOf({}, dockerfile)['wheel-flash-attn-cu124'].options.exportStage).toBeUndefined();
  });

  it('gives a project without a Dockerfile only its lock targets', () => {
    const lockOnly = inferTargets(project({ dockerfiles: [] }));
    expect(Object.keys(lockOnly.targets)).toEqual(['lock', 'lock-check']);
    expect(lockOnly).toMatchObject({ hasImages: false, targetGroups: { uv: ['lock', 'lock-check'] } });
  });

  it('explains every target in its metadata', () => {
    for (const target of Object.values(targets)) {
      expect(target.metadata?.description).toBeTruthy();
      expect(target.metadata?.technologies).toContain('docker');
    }
  });
});

describe('inferTargets: lock slices and image options', () => {
  it('selects an extra backend with backend, a group backend with backendGroup', () => {
    const extra = targetsOf()['lock-cu124'].options;
    expect(extra).toMatchObject({ backend: 'cu124' });
    expect(extra).not.toHaveProperty('backendGroup');
    const backends = backendsOf({ extras: [], groups: ['cu128'] });
    const group = inferTargets(project({ backends, dockerfiles: [dockerfileOf(FILE, recipe, { backends: ['cu128'] })] })).targets;
    expect(group['lock-cu128'].options).toMatchObject({ backendGroup: 'cu128' });
    expect(group['lock-cu128'].options).not.toHaveProperty('backend');
  });

  it('gives each recipe image its kind', () => {
    expect(targetsOf()['image-dev-cu124'].options).toMatchObject({ target: 'dev', kind: 'dev', metadataFile: 'dist/services/ml/images/dev-cu124.json' });
    expect(targetsOf()['image-prod-cu124'].options).toMatchObject({ target: 'prod', kind: 'prod' });
  });
});

describe('inferTargets: naming', () => {
  const INSTALLS = ['FROM python:3.12-slim AS base', 'COPY pyproject.toml uv.lock ./', 'RUN uv sync --frozen --extra ${BACKEND}', 'ARG BACKEND'];
  const oneProduct = lines(...INSTALLS, 'FROM base AS server', 'CMD ["serve"]');
  const twoProducts = lines(...INSTALLS, 'FROM base AS server', 'FROM base AS worker');
  const cu128 = backendsOf({ extras: ['cu128'] });
  const inferWith = (dockerfiles: ProjectDockerfile[], backends = cu128) => inferTargets(project({ backends, dockerfiles }));
  const imageTargets = (targets: Record<string, unknown>) => Object.keys(targets).filter((name) => name.startsWith('image')).sort();

  it('names the one product of a Dockerfile image-<backend>, with kind, key file and metadata after its stage', () => {
    const { targets } = inferWith([dockerfileOf(FILE, oneProduct, { backends: ['cu128'] })]);
    expect(Object.keys(targets).sort()).toEqual(['image', 'image-cu128', 'keys-cu128', 'lock', 'lock-check', 'lock-cu128', 'run-cu128']);
    expect(targets['run-cu128']).toMatchObject({ options: { mode: 'prod' }, continuous: true, dependsOn: ['image-cu128'] });
    expect(targets['image-cu128'].options).toMatchObject({
      target: 'server',
      kind: 'server',
      metadataFile: 'dist/services/ml/images/server-cu128.json',
    });
    expect(targets['image-cu128'].inputs).toEqual([{ dependentTasksOutputFiles: '**/keys/cu128-image-server.json' }]);
    expect(targets['keys-cu128'].options.images).toEqual([
      { stage: 'server', kind: 'image', slice: 'dev', keyFile: 'dist/services/ml/keys/cu128-image-server.json' },
    ]);
    expect(targets['image'].dependsOn).toEqual(['image-cu128']);
  });

  it('names several products image-<part>-<backend>', () => {
    const { targets } = inferWith([dockerfileOf(FILE, twoProducts, { backends: ['cu128'] })]);
    expect(imageTargets(targets)).toEqual(['image', 'image-server-cu128', 'image-worker-cu128']);
    expect(targets['image'].dependsOn).toEqual(['image-server-cu128', 'image-worker-cu128']);
    expect(targets['image-worker-cu128'].options).toMatchObject({ target: 'worker', kind: 'worker' });
  });

  it('puts the label of each of several Dockerfiles into its build names, one lock slice per backend', () => {
    const main = dockerfileOf('services/ml/Dockerfile', recipe, { backends: ['cu128'] });
    const policy = dockerfileOf('services/ml/scripts/docker/serve_policy.Dockerfile', twoProducts, { label: 'serve-policy', backends: ['cu128'] });
    const gpu = dockerfileOf('services/ml/docker/gpu/Dockerfile', oneProduct, { label: 'gpu', backends: ['cu128'] });
    const { targets, targetGroups } = inferWith([main, policy, gpu]);
    expect(Object.keys(targets).filter((name) => name.startsWith('lock-'))).toEqual(['lock-check', 'lock-cu128']);
    expect(Object.keys(targets).filter((name) => name.startsWith('keys-'))).toEqual(['keys-cu128', 'keys-serve-policy-cu128', 'keys-gpu-cu128']);
    expect(imageTargets(targets)).toEqual([
      'image',
      'image-dev',
      'image-dev-cu128',
      'image-gpu-cu128',
      'image-prod',
      'image-prod-cu128',
      'image-serve-policy-server-cu128',
      'image-serve-policy-worker-cu128',
    ]);
    expect(targets['image'].dependsOn).toEqual([
      'image-dev',
      'image-prod',
      'image-serve-policy-server-cu128',
      'image-serve-policy-worker-cu128',
      'image-gpu-cu128',
    ]);
    expect(targets['smoke'].dependsOn).toEqual(['smoke-cu128']);
    expect(targets['keys-gpu-cu128'].options).toMatchObject({
      dockerfile: 'services/ml/docker/gpu/Dockerfile',
      buildArgsFile: 'dist/services/ml/keys/gpu-cu128-build.json',
    });
    expect(targets['image-serve-policy-worker-cu128'].options).toMatchObject({
      kind: 'serve-policy-worker',
      metadataFile: 'dist/services/ml/images/worker-serve-policy-cu128.json',
    });
    expect(targets['image-serve-policy-worker-cu128'].inputs).toEqual([
      { dependentTasksOutputFiles: '**/keys/serve-policy-cu128-image-worker.json' },
    ]);
    expect(targetGroups['cu128']).toContain('keys-gpu-cu128');
  });

  it('drops the label where it equals the backend name', () => {
    const backends = backendsOf({ extras: ['cu128', 'cpu'] });
    const gpu = dockerfileOf('services/ml/docker/gpu/Dockerfile', oneProduct, { label: 'gpu', backends: ['cu128'] });
    const cpu = dockerfileOf('services/ml/docker/cpu/Dockerfile', oneProduct, { label: 'cpu', backends: ['cpu'] });
    const { targets } = inferWith([gpu, cpu], backends);
    expect(imageTargets(targets)).toEqual(['image', 'image-cpu', 'image-gpu-cu128']);
    expect(Object.keys(targets).filter((name) => name.startsWith('keys-'))).toEqual(['keys-gpu-cu128', 'keys-cpu']);
    expect(targets['image-cpu'].options).toMatchObject({ dockerfile: 'services/ml/docker/cpu/Dockerfile', backend: 'cpu' });
  });

  it('refuses two rules that make one target name, naming both', () => {
    // The main Dockerfile's `gpu` product and the gpu Dockerfile's only product are both image-gpu-cu128.
    const main = dockerfileOf('services/ml/Dockerfile', lines(...INSTALLS, 'FROM base AS gpu', 'FROM base AS cpu'), { backends: ['cu128'] });
    const gpu = dockerfileOf('services/ml/docker/gpu/Dockerfile', oneProduct, { label: 'gpu', backends: ['cu128'] });
    let thrown: unknown;
    try {
      inferWith([main, gpu]);
    } catch (error) {
      thrown = error;
    }
    expect(isPluginError(thrown, 'options') && thrown.where).toEqual({ file: 'services/ml/pyproject.toml' });
    expect((thrown as Error).message).toBe(
      'services/ml/pyproject.toml: two targets would be named "image-gpu-cu128": the gpu image of services/ml/Dockerfile for cu128 ' +
        'and the server image of services/ml/docker/gpu/Dockerfile for cu128; rename one with the targetNames option (nx.json) ' +
        'or set stages / dockerfile in [tool.nx-uv-cuda]',
    );
    expect(() => targetsOf({ targetNames: targetNamesSchema.parse({ wheel: 'image' }) })).toThrow(
      /two targets would be named "image": the aggregate "Build every image" and the aggregate "Compile the flash-attn wheel of every backend"/,
    );
    expect(() => targetsOf({ targetNames: targetNamesSchema.parse({ keys: 'image-dev' }) })).toThrow(
      /two targets would be named "image-dev-cu124": the keys of .* for cu124 and the dev image of .* for cu124/,
    );
  });
});

describe('inferTargets: the explanation (metadata["nx-uv-cuda"])', () => {
  it('says where each backend came from and its CUDA version', () => {
    expect(inferTargets(project()).explanation.backends).toEqual([
      { name: 'cu124', source: 'extra cu124 of services/ml/pyproject.toml', cudaVersion: '12.4.1' },
      { name: 'cu128', source: 'extra cu128 of services/ml/pyproject.toml', cudaVersion: '12.8.0' },
    ]);
    const cpu = backendsOf({ extras: ['cpu'] });
    expect(inferTargets(project({ backends: cpu, dockerfiles: [] })).explanation.backends).toEqual([
      { name: 'cpu', source: 'extra cpu of services/ml/pyproject.toml' },
    ]);
  });

  it('lists each image with its Dockerfile, stage, backend and explained build args', () => {
    const { explanation } = inferTargets(project());
    expect(explanation.images.map(({ target, dockerfile, stage, backend }) => ({ target, dockerfile, stage, backend }))).toEqual([
      { target: 'image-dev-cu124', dockerfile: FILE, stage: 'dev', backend: 'cu124' },
      { target: 'image-prod-cu124', dockerfile: FILE, stage: 'prod', backend: 'cu124' },
      { target: 'image-dev-cu128', dockerfile: FILE, stage: 'dev', backend: 'cu128' },
      { target: 'image-prod-cu128', dockerfile: FILE, stage: 'prod', backend: 'cu128' },
    ]);
    const prod128 = explanation.images[3];
    expect(prod128).toMatchObject({ stageExists: true, unfilledArgs: [] });
    expect(prod128.buildArgs.map(({ name, value, rule }) => ({ name, value, rule }))).toEqual([
      { name: 'CMAKE_VERSION', value: '3.26.1', rule: "the recipe's default" },
      { name: 'CUDA_VARIANT', value: 'cudnn', rule: "the recipe's default" },
      { name: 'CUDA_VERSION', value: '12.8.0', rule: 'the CUDA version in the nvidia/cuda tag' },
      { name: 'TORCH_BACKEND', value: 'cu128', rule: 'the ARG that `uv sync --extra` reads' },
      { name: 'UBUNTU_VERSION', value: '22.04', rule: "the recipe's default" },
    ]);
    expect(explanation.warnings).toEqual([]);
  });

  it('passes on the skipped Dockerfiles and the project warnings, and warns about each unfilled ARG', () => {
    const gappy = lines('FROM python:3.12-slim AS server', 'ARG APP_DIR', 'COPY ${APP_DIR}/pyproject.toml ./');
    const skipped = [{ file: 'services/ml/Dockerfile.old', reason: 'its build copies no pyproject.toml of the project from the context' }];
    const { explanation } = inferTargets(
      project({
        backends: backendsOf({ extras: ['cu128'] }),
        dockerfiles: [dockerfileOf(FILE, gappy, { backends: ['cu128'] })],
        skippedDockerfiles: skipped,
        warnings: ['services/ml/uv.lock: something to know'],
      }),
    );
    expect(explanation.skippedDockerfiles).toEqual(skipped);
    expect(explanation.images).toEqual([
      expect.objectContaining({ target: 'image-cu128', stage: 'server', unfilledArgs: ['APP_DIR'] }),
    ]);
    expect(explanation.warnings).toEqual([
      'services/ml/uv.lock: something to know',
      `${FILE}:2: ARG APP_DIR has no default and no rule or option sets it for cu128 (image-cu128): set build-args.APP_DIR in [tool.nx-uv-cuda]`,
    ]);
    const filled = inferTargets(
      project({
        backends: backendsOf({ extras: ['cu128'], projectBuildArgs: { APP_DIR: 'svc' } }),
        dockerfiles: [dockerfileOf(FILE, gappy, { backends: ['cu128'] })],
      }),
    );
    expect(filled.explanation.warnings).toEqual([]);
  });
});
