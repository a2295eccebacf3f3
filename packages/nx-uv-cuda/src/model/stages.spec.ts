import { describe, expect, it } from 'vitest';
import { stageNamesSchema } from '../config/plugin-options';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { declaredBuildArgs, hasWheel, hasWheelExport, requireStage } from './stages';

const lines = (...text: string[]) => text.join('\n') + '\n';
const FILE = 'svc/Dockerfile';
const DEFAULT_STAGES = stageNamesSchema.parse({});
const model = parseDockerfile(
  lines(
    'ARG CUDA_VERSION=12.4.1',
    'FROM nvidia/cuda:${CUDA_VERSION}-devel-ubuntu22.04 AS base',
    'FROM base AS wheel-prod',
    'ARG FLASH_ATTN_VERSION=2.7.4',
    'FROM scratch AS wheels',
    'COPY --from=wheel-prod /wheelhouse/ /',
    'FROM base AS prod',
    'ARG TORCH_BACKEND',
  ),
  FILE,
);

describe('requireStage', () => {
  it('finds the stage of a role by name, case-insensitively', () => {
    expect(requireStage(model, 'PROD', 'prod').name).toBe('prod');
  });

  it("names the stages there are and the [tool.nx-uv-cuda] key of the role when it is missing", () => {
    expect(() => requireStage(model, 'dev', 'dev')).toThrow(
      `${FILE} has no stage "dev" (its stages: base, wheel-prod, wheels, prod): ` +
        'add `FROM ... AS dev` or set stages.dev in [tool.nx-uv-cuda]',
    );
    expect(() => requireStage(model, 'flash', 'wheelBuild')).toThrow(/set stages\.wheel-build in \[tool\.nx-uv-cuda\]$/);
    expect(() => requireStage(model, 'out', 'wheelExport')).toThrow(/set stages\.wheel-export in \[tool\.nx-uv-cuda\]$/);
  });
});

describe('declaredBuildArgs', () => {
  it('keeps the build args the Dockerfile declares (global or in a stage), sorted', () => {
    expect(declaredBuildArgs(model, { UBUNTU_VERSION: '24.04', TORCH_BACKEND: 'cu124', CUDA_VERSION: '12.8.0' })).toEqual({
      CUDA_VERSION: '12.8.0',
      TORCH_BACKEND: 'cu124',
    });
    expect(Object.keys(declaredBuildArgs(model, { TORCH_BACKEND: 'a', CUDA_VERSION: 'b' }))).toEqual(['CUDA_VERSION', 'TORCH_BACKEND']);
  });
});

describe('hasWheel and hasWheelExport', () => {
  it('has a wheel when the wheel-build stage exists and FLASH_ATTN_VERSION is not none', () => {
    expect(hasWheel(model, DEFAULT_STAGES.wheelBuild, {})).toBe(true);
    expect(hasWheel(model, DEFAULT_STAGES.wheelBuild, { FLASH_ATTN_VERSION: 'none' })).toBe(false);
    expect(hasWheel(model, 'flash', {})).toBe(false);
  });

  it('reads the FLASH_ATTN_VERSION default of the Dockerfile, which a build arg overrides', () => {
    const off = parseDockerfile(lines('FROM alpine AS wheel-prod', 'ARG FLASH_ATTN_VERSION=none'), FILE);
    expect(hasWheel(off, DEFAULT_STAGES.wheelBuild, {})).toBe(false);
    expect(hasWheel(off, DEFAULT_STAGES.wheelBuild, { FLASH_ATTN_VERSION: '2.8.3' })).toBe(true);
  });

  it('uses the configured wheel-build and wheel-export stage names', () => {
    const renamed = { ...DEFAULT_STAGES, wheelBuild: 'base', wheelExport: 'prod' };
    expect(hasWheel(model, renamed.wheelBuild, {})).toBe(true);
    expect(hasWheelExport(model, DEFAULT_STAGES)).toBe(true);
    expect(hasWheelExport(model, { ...DEFAULT_STAGES, wheelExport: 'only-wheels' })).toBe(false);
    expect(hasWheelExport(model, renamed)).toBe(true);
  });
});
