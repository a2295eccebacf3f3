import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stageNamesSchema, targetNamesSchema } from '../config/plugin-options';
import { parseDockerfile } from '../docker/dockerfile-model';
import { resolveBackends } from './backends';
import type { ProjectFacts } from './project-facts';
import { inferTargets } from './targets';

const recipe = readFileSync(join(__dirname, '..', 'docker', '__fixtures__', 'recipe.Dockerfile'), 'utf8');

function facts(overrides: Partial<ProjectFacts> = {}, dockerfileText = recipe): ProjectFacts {
  const file = 'services/ml/docker/Dockerfile-cu124-uv';
  return {
    root: 'services/ml',
    name: 'ml-service',
    pyprojectFile: 'services/ml/pyproject.toml',
    lockFile: 'services/ml/uv.lock',
    prodLockFile: 'services/ml/prod/uv.lock',
    contextDir: 'services/ml',
    dockerfile: { file, model: parseDockerfile(dockerfileText, file) },
    backends: resolveBackends({ pyprojectFile: 'services/ml/pyproject.toml', extras: ['cu124', 'cu128'] }),
    stages: stageNamesSchema.parse({}),
    targetNames: targetNamesSchema.parse({}),
    wheelPackage: 'flash-attn',
    wheelBuildRequirements: ['setuptools'],
    pluginOptions: { registry: '127.0.0.1:5000/ml' },
    ...overrides,
  };
}

describe('inferTargets', () => {
  const targets = inferTargets(facts());

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
    const edited = inferTargets(
      facts(
        {
          backends: resolveBackends({
            pyprojectFile: 'services/ml/pyproject.toml',
            extras: ['cu124', 'cu128'],
            projectBuildArgs: { MAX_JOBS: '64', FLASH_ATTN_CUDA_ARCHS: '90' },
          }),
        },
        recipe.replace('RUN uv pip install /wheels/*.whl && useradd app', 'RUN uv pip install /wheels/*.whl && useradd -m app'),
      ),
    );
    expect(edited).toEqual(targets);
  });

  it('hands the resolved build args to the executors through the keys build file', () => {
    expect(targets['image-prod-cu128'].options).toMatchObject({
      buildFile: 'dist/services/ml/keys/cu128-build.json',
    });
    expect(targets['image-prod-cu128'].options.buildArgs).toBeUndefined();
    expect(targets['wheel-flash-attn-cu128'].options).toMatchObject({
      keyFile: 'dist/services/ml/keys/cu128-wheel.json',
      exportStage: 'wheels',
      target: 'wheel-prod',
    });
    expect(targets['keys-cu128'].options).toMatchObject({
      pyproject: 'services/ml/pyproject.toml',
      backend: 'cu128',
      pluginOptions: JSON.stringify({ registry: '127.0.0.1:5000/ml' }),
    });
  });

  it('hands the wheel to the images as the wheels build context', () => {
    expect(targets['image-dev-cu124'].options).toMatchObject({
      wheelsContext: 'wheels',
      wheelsDir: 'dist/services/ml/wheels/cu124',
    });
  });

  it('lets Nx cache pushed images only: a loaded image must be checked in the engine', () => {
    expect(targets['image-prod-cu124'].cache).toBe(false);
    expect(inferTargets(facts({ registry: '127.0.0.1:5000/ml' }))['image-prod-cu124'].cache).toBe(true);
    expect(targets['wheel-flash-attn-cu124'].cache).toBe(true);
  });

  it('drops the wheel targets when FLASH_ATTN_VERSION is none', () => {
    const backends = resolveBackends({
      pyprojectFile: 'p',
      extras: ['cu124'],
      projectBuildArgs: { FLASH_ATTN_VERSION: 'none' },
    });
    const withoutWheel = inferTargets(facts({ backends }));
    expect(Object.keys(withoutWheel).filter((name) => name.startsWith('wheel'))).toEqual([]);
    expect(withoutWheel['image-prod-cu124'].dependsOn).toEqual(['keys-cu124']);
    expect(withoutWheel['image-prod-cu124'].options.wheelsDir).toBeUndefined();
    expect(withoutWheel['keys-cu124'].outputs).not.toContain('{workspaceRoot}/dist/services/ml/keys/cu124-wheel.json');
  });

  it('uses configured target and stage names', () => {
    const renamed = inferTargets(
      facts({
        targetNames: targetNamesSchema.parse({ imageProd: 'docker-prod', wheel: 'fa-wheel', keys: 'inputs' }),
        stages: stageNamesSchema.parse({ prod: 'runtime' }),
      }),
    );
    expect(renamed['docker-prod-cu124']).toMatchObject({ options: { target: 'runtime' }, dependsOn: ['inputs-cu124', 'fa-wheel-cu124'] });
    expect(renamed['docker-prod-cu124'].metadata?.description).toMatch(/has no stage "runtime"/);
  });

  it('gives a project without a Dockerfile only its lock targets', () => {
    expect(Object.keys(inferTargets(facts({ dockerfile: undefined })))).toEqual(['lock', 'lock-check']);
  });

  it('explains every target in its metadata', () => {
    for (const target of Object.values(targets)) {
      expect(target.metadata?.description).toBeTruthy();
      expect(target.metadata?.technologies).toContain('docker');
    }
  });
});
