import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { stageChain } from '../docker/stage-graph';
import { baseImageProblems, checkCudaBaseImage, describeBaseImageProblem } from './base-images';

describe('checkCudaBaseImage', () => {
  it.each([
    'nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04',
    'nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04',
    'nvidia/cuda:13.0.1-runtime-ubuntu24.04',
    'nvidia/cuda:12.6.3-base-ubuntu24.04',
    'docker.io/nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04',
    'nvidia/cuda:12.4.1-devel-rockylinux8',
    'nvidia/cuda:14.1.0-devel-ubuntu26.04',
    'python:3.12-slim',
    'ghcr.io/someone/cuda:anything',
  ])('accepts %s', (image) => {
    expect(checkCudaBaseImage(image)).toBeUndefined();
  });

  it("refuses the recipe's runtime-devel tag, naming the nearest published one", () => {
    expect(checkCudaBaseImage('nvidia/cuda:12.4.1-runtime-devel-ubuntu22.04')).toEqual({
      image: 'nvidia/cuda:12.4.1-runtime-devel-ubuntu22.04',
      reason: 'not of the form X.Y.Z-{base|runtime|devel|cudnn-runtime|cudnn-devel}-ubuntuNN.NN',
      nearest: 'nvidia/cuda:12.4.1-devel-ubuntu22.04',
      invalid: true,
    });
    expect(checkCudaBaseImage('nvidia/cuda:12.8.0-cudnn-base-devel-ubuntu22.04')?.nearest).toBe('nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04');
    expect(checkCudaBaseImage('nvidia/cuda:12.8-runtime-ubuntu22.04')?.nearest).toBe('nvidia/cuda:12.8.1-runtime-ubuntu22.04');
  });

  it('says when a version and Ubuntu were not published together, and what was', () => {
    const problem = checkCudaBaseImage('nvidia/cuda:12.4.1-cudnn-devel-ubuntu24.04')!;
    expect(problem.invalid).toBe(false);
    expect(problem.nearest).toBe('nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04');
    expect(problem.reason).toMatch(/CUDA 12.4 is published as 12.4.0, 12.4.1 on Ubuntu 20.04, 22.04/);
    expect(checkCudaBaseImage('nvidia/cuda:12.8.3-devel-ubuntu22.04')?.nearest).toBe('nvidia/cuda:12.8.1-devel-ubuntu22.04');
  });
});

describe('baseImageProblems', () => {
  const model = parseDockerfile(
    [
      'ARG CUDA_VERSION=12.4.1',
      'ARG CUDA_VARIANT=cudnn',
      'FROM nvidia/cuda:${CUDA_VERSION}-${CUDA_VARIANT}-devel-ubuntu22.04 AS base',
      'FROM base AS prod',
      '',
    ].join('\n'),
    'docker/Dockerfile',
  );

  it('checks the chain with the build args of the backend', () => {
    expect(baseImageProblems(model, stageChain(model, 'prod'), {})).toEqual([]);
    const [problem] = baseImageProblems(model, stageChain(model, 'prod'), { CUDA_VARIANT: 'runtime' });
    expect(describeBaseImageProblem(problem)).toBe(
      'FROM nvidia/cuda:12.4.1-runtime-devel-ubuntu22.04: no such tag can exist, not of the form ' +
        'X.Y.Z-{base|runtime|devel|cudnn-runtime|cudnn-devel}-ubuntuNN.NN; nearest published tag: nvidia/cuda:12.4.1-devel-ubuntu22.04',
    );
  });
});
