import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit } from '../__fixtures__/edit';
import { stageNamesSchema, targetNamesSchema } from '../config/plugin-options';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { resolveBackends } from '../model/backends';
import type { ProjectModel } from '../model/project';
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

function project(overrides: Partial<ProjectModel> = {}, dockerfileText = recipe): ProjectModel {
  const file = 'services/ml/docker/Dockerfile-cu124-uv';
  return {
    root: 'services/ml',
    name: 'ml-service',
    pythonName: 'ml-service',
    pyprojectFile: 'services/ml/pyproject.toml',
    pyproject: parsePyproject(PYPROJECT, 'services/ml/pyproject.toml'),
    lockFile: 'services/ml/uv.lock',
    prodLockFile: 'services/ml/prod/uv.lock',
    contextDir: 'services/ml',
    dockerfile: { file, model: parseDockerfile(dockerfileText, file) },
    backends: resolveBackends({ pyprojectFile: 'services/ml/pyproject.toml', extras: ['cu124', 'cu128'] }),
    stages: stageNamesSchema.parse({}),
    targetNames: targetNamesSchema.parse({}),
    wheelPackage: 'flash-attn',
    wheelBuildRequirements: ['setuptools'],
    deprecations: [],
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
      ].sort(),
    );
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
      cu124: ['lock-cu124', 'keys-cu124', 'wheel-flash-attn-cu124', 'image-dev-cu124', 'image-prod-cu124', 'smoke-cu124'],
      cu128: ['lock-cu128', 'keys-cu128', 'wheel-flash-attn-cu128', 'image-dev-cu128', 'image-prod-cu128', 'smoke-cu128'],
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

  it('keeps build args and stage texts out of every target (Nx hashes all targets into each task)', () => {
    const edited = targetsOf(
      {
        backends: resolveBackends({
          pyprojectFile: 'services/ml/pyproject.toml',
          extras: ['cu124', 'cu128'],
          projectBuildArgs: { MAX_JOBS: '64', FLASH_ATTN_CUDA_ARCHS: '90' },
        }),
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
      devStage: 'dev',
      prodStage: 'prod',
      wheelBuildStage: 'wheel-prod',
      wheelExportStage: 'wheels',
      wheelPackage: 'flash-attn',
      wheelBuildRequirements: ['setuptools'],
      workspaceBuildArgs: {
        CUDA_VARIANT: 'cudnn',
        UBUNTU_VERSION: '22.04',
        CMAKE_VERSION: '3.26.1',
        TORCH_BACKEND: 'cu128',
        CUDA_VERSION: '12.8.0',
      },
      devLockSlice: 'dist/services/ml/locks/cu128-dev.json',
      prodLockSlice: 'dist/services/ml/locks/cu128-prod.json',
      wheelKeyFile: 'dist/services/ml/keys/cu128-wheel.json',
      devKeyFile: 'dist/services/ml/keys/cu128-dev.json',
      prodKeyFile: 'dist/services/ml/keys/cu128-prod.json',
      buildArgsFile: 'dist/services/ml/keys/cu128-build.json',
    });
    expect(targets['keys-cu128'].options).not.toHaveProperty('pluginOptions');
  });

  it('names the .dockerignore in the keys options and inputs, and leaves out prodLockFile when there is none', () => {
    const model = project();
    const keys = targetsOf({
      prodLockFile: undefined,
      dockerfile: { ...model.dockerfile!, dockerignoreFile: 'services/ml/.dockerignore', dockerignoreText: 'tests\n' },
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
      options: { maxJobs: 8, nvccThreads: 2, cudaArchs: '90' },
    });
    expect(targets['smoke-cu124'].metadata?.help?.command).toBe('docker run --help');
    expect(targets['image-prod-cu124'].metadata?.help?.example?.options).toMatchObject({ noCache: true });
  });

  it('hands the wheel to the images as the wheels build context', () => {
    expect(targets['image-dev-cu124'].options).toMatchObject({
      wheelsContext: 'wheels',
      wheelsDir: 'dist/services/ml/wheels/cu124',
    });
  });

  it('lets Nx cache pushed images only: a loaded image must be checked in the engine', () => {
    expect(targets['image-prod-cu124'].cache).toBe(false);
    const pushed = targetsOf({ registry: '127.0.0.1:5000/ml' });
    expect(pushed['image-prod-cu124'].cache).toBe(true);
    expect(pushed['image-prod-cu124'].options.registry).toBe('127.0.0.1:5000/ml');
    expect(targets['image-prod-cu124'].options).not.toHaveProperty('registry');
    expect(targets['wheel-flash-attn-cu124'].cache).toBe(true);
  });

  it('drops the wheel targets when FLASH_ATTN_VERSION is none', () => {
    const backends = resolveBackends({
      pyprojectFile: 'p',
      extras: ['cu124'],
      projectBuildArgs: { FLASH_ATTN_VERSION: 'none' },
    });
    const withoutWheel = targetsOf({ backends });
    expect(Object.keys(withoutWheel).filter((name) => name.startsWith('wheel'))).toEqual([]);
    expect(withoutWheel['image-prod-cu124'].dependsOn).toEqual(['keys-cu124']);
    expect(withoutWheel['image-prod-cu124'].options.wheelsDir).toBeUndefined();
    expect(withoutWheel['keys-cu124'].outputs).not.toContain('{workspaceRoot}/dist/services/ml/keys/cu124-wheel.json');
  });

  it('uses configured target and stage names', () => {
    const renamed = targetsOf({
      targetNames: targetNamesSchema.parse({ imageProd: 'docker-prod', wheel: 'fa-wheel', keys: 'inputs' }),
      stages: stageNamesSchema.parse({ prod: 'runtime' }),
    });
    expect(renamed['docker-prod-cu124']).toMatchObject({ options: { target: 'runtime' }, dependsOn: ['inputs-cu124', 'fa-wheel-cu124'] });
    expect(renamed['docker-prod-cu124'].metadata?.description).toMatch(/has no stage "runtime"/);
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
    const lockOnly = inferTargets(project({ dockerfile: undefined }));
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
