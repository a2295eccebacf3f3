import { describe, expect, it } from 'vitest';
import type { FileSource } from '../core/file-source';
import { parseDockerfile } from '../docker/parse-dockerfile';
import { sourceProblems } from './context-sources';

/** A workspace of `paths` (files; their folders exist too). */
function filesOf(paths: string[]): FileSource {
  const folders = new Set(paths.flatMap((path) => path.split('/').slice(0, -1).map((_, index, parts) => parts.slice(0, index + 1).join('/'))));
  return {
    read: () => undefined,
    kind: (path) => (paths.includes(path) ? 'file' : folders.has(path) ? 'folder' : undefined),
    list: () => [],
  };
}

const model = parseDockerfile(
  [
    'FROM python:3.12-slim AS base',
    'COPY pyproject.toml uv.lock ./',
    'COPY prod/uv.lock /prod/',
    'COPY ../outside.txt /x',
    'COPY src/ /app/src/',
    'COPY *.md ${EXTRA} /docs/',
    'RUN --mount=type=bind,source=notes.txt,target=/n true',
    'FROM base AS prod',
    'COPY --from=wheel-prod /wheelhouse /wheels',
    'COPY --from=base /app /app',
    'COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/',
    'ADD https://example.com/a.tar.gz git@github.com:org/repo.git /vendor/',
    '',
  ].join('\n'),
  'svc/Dockerfile',
);
const files = filesOf(['svc/pyproject.toml', 'svc/uv.lock', 'svc/src/main.py', 'svc/notes.txt']);

describe('sourceProblems', () => {
  it('names, with their lines, sources missing from the context, climbing out of it, and --from names no stage has', () => {
    expect(sourceProblems(model, model.stages, { files, dir: 'svc' })).toEqual([
      { line: 3, fails: true, message: 'svc/Dockerfile:3: COPY prod/uv.lock: svc/prod/uv.lock does not exist (the build context is svc)' },
      {
        line: 4,
        fails: false,
        message: 'svc/Dockerfile:4: COPY ../outside.txt: a source cannot leave the build context; BuildKit reads outside.txt at its root',
      },
      {
        line: 9,
        fails: false,
        message: 'svc/Dockerfile:9: COPY --from=wheel-prod: no stage of svc/Dockerfile has that name, so BuildKit pulls the image docker.io/library/wheel-prod (if a stage was meant, it is missing)',
      },
    ]);
  });

  it('counts a source that .dockerignore excludes as missing', () => {
    const problems = sourceProblems(model, model.stages.slice(0, 1), {
      files: filesOf(['svc/pyproject.toml', 'svc/uv.lock', 'svc/prod/uv.lock', 'svc/outside.txt', 'svc/src/main.py', 'svc/notes.txt']),
      dir: 'svc',
      dockerignore: 'uv.lock\n',
    });
    expect(problems.filter((problem) => problem.fails).map((problem) => problem.message)).toEqual([
      "svc/Dockerfile:2: COPY uv.lock: the build context's .dockerignore excludes svc/uv.lock, so BuildKit will not find it",
    ]);
  });

  it('counts `..` itself as climbing out of the context, and reads an absolute source from the context root', () => {
    const climbing = parseDockerfile(['FROM python:3.12-slim', 'COPY .. /x', 'COPY ./.. /y', 'COPY /pyproject.toml /z', 'COPY /../uv.lock /w', ''].join('\n'), 'svc/Dockerfile');
    expect(sourceProblems(climbing, climbing.stages, { files, dir: 'svc' })).toEqual([
      { line: 2, fails: false, message: 'svc/Dockerfile:2: COPY ..: a source cannot leave the build context; BuildKit reads the whole context at its root' },
      { line: 3, fails: false, message: 'svc/Dockerfile:3: COPY ./..: a source cannot leave the build context; BuildKit reads the whole context at its root' },
    ]);
  });

  it('reads a --from by Docker\'s name grammar: an index names a stage, one name component pulls from Docker Hub', () => {
    const froms = parseDockerfile(
      ['FROM python:3.12-slim', 'RUN true', 'FROM python:3.12-slim', 'COPY --from=0 /a /a', 'COPY --from=wheel--prod /b /b', 'COPY --from=my__ctx /c /c', 'COPY --from=Wheels /d /d', 'COPY --from=a___b /e /e', ''].join('\n'),
      'svc/Dockerfile',
    );
    expect(sourceProblems(froms, froms.stages, { files, dir: 'svc' }).map((problem) => problem.line)).toEqual([5, 6]);
  });
});
