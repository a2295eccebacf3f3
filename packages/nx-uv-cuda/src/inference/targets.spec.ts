import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimatch } from 'minimatch';
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
    ...overrides,
  };
}

/** Whether Nx would hash `file` for these inputs: matched by a fileset and by no negated one. */
function hashes(inputs: unknown[], file: string): boolean {
  const filesets = inputs.filter((input): input is string => typeof input === 'string');
  const matches = (pattern: string) => minimatch(file, pattern.replace('{workspaceRoot}/', ''), { dot: true });
  const included = filesets.filter((input) => !input.startsWith('!')).some(matches);
  const excluded = filesets.filter((input) => input.startsWith('!')).some((input) => matches(input.slice(1)));
  return included && !excluded;
}

describe('inferTargets', () => {
  const targets = inferTargets(facts());

  it('infers per-backend image, wheel, lock-slice and smoke targets and their aggregates', () => {
    expect(Object.keys(targets).sort()).toEqual(
      [
        'image', 'image-dev', 'image-prod', 'image-dev-cu124', 'image-dev-cu128', 'image-prod-cu124', 'image-prod-cu128',
        'lock', 'lock-check', 'lock-cu124', 'lock-cu128', 'smoke', 'smoke-cu124', 'smoke-cu128',
        'wheel-flash-attn', 'wheel-flash-attn-cu124', 'wheel-flash-attn-cu128',
      ].sort(),
    );
    expect(targets['image'].dependsOn).toEqual(['image-dev', 'image-prod']);
    expect(targets['image-prod'].dependsOn).toEqual(['image-prod-cu124', 'image-prod-cu128']);
    expect(targets['image-prod-cu128'].dependsOn).toEqual(['lock-cu128', 'wheel-flash-attn-cu128']);
    expect(targets['wheel-flash-attn-cu124'].dependsOn).toEqual(['lock-cu124']);
    expect(targets['smoke-cu124'].dependsOn).toEqual(['image-prod-cu124']);
  });

  it('writes every output under dist/<project root>', () => {
    expect(targets['lock-cu124'].outputs).toEqual([
      '{workspaceRoot}/dist/services/ml/locks/cu124-dev.json',
      '{workspaceRoot}/dist/services/ml/locks/cu124-prod.json',
    ]);
    expect(targets['wheel-flash-attn-cu128'].outputs).toEqual(['{workspaceRoot}/dist/services/ml/wheels/cu128']);
    expect(targets['image-dev-cu124'].outputs).toEqual(['{workspaceRoot}/dist/services/ml/images/dev-cu124.json']);
  });

  it('hashes the lock slice of its own backend and kind instead of uv.lock', () => {
    const inputs = targets['image-prod-cu124'].inputs!;
    expect(inputs).toContainEqual({ dependentTasksOutputFiles: '**/locks/cu124-prod.json' });
    expect(inputs).toContainEqual({ dependentTasksOutputFiles: '**/wheels/cu124/*.whl' });
    expect(hashes(inputs, 'services/ml/uv.lock')).toBe(false);
    expect(hashes(inputs, 'services/ml/prod/uv.lock')).toBe(false);
    expect(targets['lock-cu124'].inputs).toEqual(['{workspaceRoot}/services/ml/uv.lock', '{workspaceRoot}/services/ml/prod/uv.lock']);
  });

  it('hashes exactly the files each stage chain copies', () => {
    const prod = targets['image-prod-cu124'].inputs!;
    const dev = targets['image-dev-cu124'].inputs!;
    expect(hashes(prod, 'services/ml/src/service/main.py')).toBe(true);
    expect(hashes(prod, 'services/ml/prod/pyproject.toml')).toBe(true);
    expect(hashes(prod, 'services/ml/docker/Dockerfile-cu124-uv')).toBe(true);
    expect(hashes(dev, 'services/ml/pyproject.toml')).toBe(true);
    expect(hashes(dev, 'services/ml/libs/shared/x.py')).toBe(true); // RUN --mount=type=bind,source=libs/shared
    expect(hashes(prod, 'services/ml/libs/shared/x.py')).toBe(false);
    for (const input of [prod, dev, targets['wheel-flash-attn-cu124'].inputs!]) {
      expect(hashes(input, 'services/ml/README.md')).toBe(false);
      expect(hashes(input, 'services/ml/tests/test_main.py')).toBe(false);
    }
  });

  it('does not hash the deps-prod files into the dev image when the wheel is handed in as a build context', () => {
    expect(hashes(targets['image-dev-cu124'].inputs!, 'services/ml/prod/pyproject.toml')).toBe(false);
    expect(targets['image-dev-cu124'].options).toMatchObject({
      wheelsContext: 'wheels',
      wheelsDir: 'dist/services/ml/wheels/cu124',
    });
  });

  it('passes only the build args the Dockerfile declares', () => {
    expect(targets['image-prod-cu128'].options.buildArgs).toEqual({
      CMAKE_VERSION: '3.26.1',
      CUDA_VARIANT: 'cudnn',
      CUDA_VERSION: '12.8.0',
      TORCH_BACKEND: 'cu128',
      UBUNTU_VERSION: '22.04',
    });
  });

  it('drops the wheel targets when FLASH_ATTN_VERSION is none', () => {
    const backends = resolveBackends({
      pyprojectFile: 'p',
      extras: ['cu124'],
      projectBuildArgs: { FLASH_ATTN_VERSION: 'none' },
    });
    const withoutWheel = inferTargets(facts({ backends }));
    expect(Object.keys(withoutWheel).filter((name) => name.startsWith('wheel'))).toEqual([]);
    expect(withoutWheel['image-prod-cu124'].dependsOn).toEqual(['lock-cu124']);
    expect(withoutWheel['image-prod-cu124'].options.wheelsDir).toBeUndefined();
  });

  it('uses configured target and stage names', () => {
    const renamed = inferTargets(
      facts({
        targetNames: targetNamesSchema.parse({ imageProd: 'docker-prod', wheel: 'fa-wheel', lockSlice: 'slice' }),
        stages: stageNamesSchema.parse({ prod: 'runtime' }),
      }),
    );
    expect(renamed['docker-prod-cu124']).toMatchObject({ options: { target: 'runtime' }, dependsOn: ['slice-cu124', 'fa-wheel-cu124'] });
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
