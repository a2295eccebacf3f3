import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PluginError } from '../core/errors';
import type { DockerfileModel, Stage } from './dockerfile-model';
import { parseDockerfile } from './parse-dockerfile';
import { argsSeenBy, baseImagesOf, fromTemplate, globalArgValues, resolveStageRef, stageChain, stagesFromCanName } from './stage-graph';
import { thrownPluginError } from '../__fixtures__/thrown';

const FILE = 'services/llm/Dockerfile';
const recipeText = readFileSync(join(__dirname, '__fixtures__', 'recipe.Dockerfile'), 'utf8');
const recipe = parseDockerfile(recipeText, FILE);

const names = (stages: Stage[]) => stages.map((stage) => stage.name);
const stage = (model: DockerfileModel, ref: string) => resolveStageRef(model, ref)!;
const lines = (...text: string[]) => text.join('\n') + '\n';
const parse = (text: string) => parseDockerfile(text, FILE);

const errorOf = (run: () => unknown): PluginError => thrownPluginError('dockerfile', run);

describe('parseDockerfile on the recipe', () => {
  it('reads the syntax directive, escape character and global ARGs', () => {
    expect(recipe.syntax).toBe('docker/dockerfile:1');
    expect(recipe.escapeChar).toBe('\\');
    expect(recipe.globalArgs).toEqual([
      { name: 'CUDA_VERSION', defaultValue: '12.4.1', line: 2 },
      { name: 'CUDA_VARIANT', defaultValue: 'cudnn', line: 3 },
      { name: 'UBUNTU_VERSION', defaultValue: '22.04', line: 4 },
    ]);
  });

  it('finds exactly the seven stages, with what each reads', () => {
    expect(recipe.stages.map(({ index, name, baseImage, stageRefs }) => ({ index, name, baseImage, stageRefs }))).toEqual([
      {
        index: 0,
        name: 'base',
        baseImage: 'nvidia/cuda:${CUDA_VERSION}-${CUDA_VARIANT}-devel-ubuntu${UBUNTU_VERSION}',
        stageRefs: ['ghcr.io/astral-sh/uv:0.5.4'],
      },
      { index: 1, name: 'deps-dev', baseImage: 'base', stageRefs: ['base'] },
      { index: 2, name: 'deps-prod', baseImage: 'base', stageRefs: ['base'] },
      { index: 3, name: 'wheel-prod', baseImage: 'deps-prod', stageRefs: ['deps-prod'] },
      { index: 4, name: 'wheels', baseImage: 'scratch', stageRefs: ['wheel-prod'] },
      { index: 5, name: 'dev', baseImage: 'deps-dev', stageRefs: ['deps-dev', 'wheels'] },
      { index: 6, name: 'prod', baseImage: 'deps-prod', stageRefs: ['deps-prod', 'wheels'] },
    ]);
  });

  it('lists build-context sources, and sources read from elsewhere with their origin', () => {
    expect(stage(recipe, 'base').sources).toEqual([
      { instruction: 'COPY', paths: ['/uv', '/uvx'], from: 'ghcr.io/astral-sh/uv:0.5.4', line: 13 },
    ]);
    expect(stage(recipe, 'deps-dev').sources).toEqual([
      { instruction: 'COPY', paths: ['uv.lock', 'pyproject.toml'], line: 18 },
      { instruction: 'RUN', paths: ['libs/shared'], line: 19 },
      { instruction: 'COPY', paths: ['src/'], line: 20 },
    ]);
    expect(stage(recipe, 'prod').sources).toEqual([
      { instruction: 'COPY', paths: ['/'], from: 'wheels', line: 41 },
      { instruction: 'COPY', paths: ['src/'], line: 43 },
    ]);
  });

  it('records stage ARGs and line ranges, and keeps the exact stage text', () => {
    expect(stage(recipe, 'wheel-prod').args).toEqual([{ name: 'FLASH_ATTN_VERSION', defaultValue: '2.7.4', line: 29 }]);
    const wheels = stage(recipe, 'wheels');
    expect([wheels.startLine, wheels.endLine]).toEqual([33, 34]);
    expect(wheels.text).toBe('FROM scratch AS wheels\nCOPY --from=wheel-prod /wheelhouse/ /');
    const base = stage(recipe, 'base');
    expect(base.text).toBe(recipeText.split('\n').slice(base.startLine - 1, base.endLine).join('\n'));
    expect(base.text.endsWith('WORKDIR /app')).toBe(true);
  });
});

describe('parseDockerfile RUN commands and stage references', () => {
  it("keeps each RUN's command with its line: flags left out, continuations joined, whitespace collapsed", () => {
    expect(stage(recipe, 'base').runs).toEqual([
      {
        line: 10,
        command: 'apt-get update && apt-get install -y --no-install-recommends python3.11 python3.11-dev git curl && rm -rf /var/lib/apt/lists/*',
      },
    ]);
    expect(stage(recipe, 'deps-dev').runs).toEqual([
      { line: 19, command: 'uv sync --locked --no-install-project --extra ${TORCH_BACKEND}' },
    ]);
    expect(stage(recipe, 'deps-prod').runs).toEqual([
      { line: 25, command: 'uv sync --locked --no-dev --no-install-project --extra ${TORCH_BACKEND}' },
    ]);
    expect(stage(recipe, 'wheels').runs).toEqual([]);
  });

  it('leaves out several flags across continuations, and keeps a RUN without flags whole', () => {
    const model = parse(
      lines(
        'FROM python:3.12 AS app',
        'RUN --mount=type=cache,target=/root/.cache/uv \\',
        '    --mount=type=secret,id=token \\',
        '    uv sync   --frozen \\',
        '      --extra=${BACKEND}',
        'RUN echo   "a  b"',
      ),
    );
    expect(model.stages[0].runs).toEqual([
      { line: 2, command: 'uv sync --frozen --extra=${BACKEND}' },
      { line: 6, command: 'echo "a b"' },
    ]);
  });

  it('tells the stage FROM names (with the ARG defaults) from the stages and images --from names', () => {
    expect(stage(recipe, 'dev')).toMatchObject({ baseRef: 'deps-dev', fromRefs: ['wheels'] });
    expect(stage(recipe, 'wheels').fromRefs).toEqual(['wheel-prod']);
    expect(stage(recipe, 'wheels').baseRef).toBeUndefined();
    expect(stage(recipe, 'base')).toMatchObject({ fromRefs: ['ghcr.io/astral-sh/uv:0.5.4'] });
    expect(stage(recipe, 'base').baseRef).toBeUndefined();
    const model = parse(lines('ARG FLAVOR=slim', 'FROM python:3.12-slim AS slim', 'FROM alpine AS tools', 'FROM ${FLAVOR} AS app', 'COPY --from=tools /t /t'));
    expect(model.stages[2]).toMatchObject({ baseRef: 'slim', fromRefs: ['tools'], stageRefs: ['slim', 'tools'] });
  });
});

describe('fromTemplate and stagesFromCanName', () => {
  const model = parse(
    lines(
      'ARG BACKEND=cuda',
      'FROM nvidia/cuda:12.8.0-runtime-ubuntu22.04 AS base-cuda',
      'FROM python:3.12-slim AS base-cpu',
      'FROM alpine AS builder',
      'FROM Base-${BACKEND} AS app',
      'COPY --from=builder /b /b',
      'FROM python:${BACKEND} AS other',
      'FROM ${BACKEND}-${BACKEND} AS two',
      'FROM base-cuda AS plain',
      'FROM base-$BACKEND AS bare',
    ),
  );
  const app = stage(model, 'app');

  it('names the ARG of a FROM naming its stage through one ARG, and the earlier stages it can name', () => {
    expect(fromTemplate(model, app)).toEqual({
      arg: 'BACKEND',
      candidates: [
        { value: 'cuda', stage: stage(model, 'base-cuda') },
        { value: 'cpu', stage: stage(model, 'base-cpu') },
      ],
    });
    expect(fromTemplate(model, stage(model, 'bare'))?.candidates.map((candidate) => candidate.value)).toEqual(['cuda', 'cpu']);
    expect(stagesFromCanName(model, app).map((candidate) => candidate.name)).toEqual(['base-cuda', 'base-cpu']);
  });

  it('finds none for a FROM without an ARG, with two, or naming no stage', () => {
    expect(fromTemplate(model, stage(model, 'plain'))).toBeUndefined();
    expect(fromTemplate(model, stage(model, 'two'))).toBeUndefined();
    expect(fromTemplate(model, stage(model, 'other'))).toBeUndefined();
    expect(stagesFromCanName(model, stage(model, 'other'))).toEqual([]);
  });

  it('lets stageChain follow the template with the given build args, and its default without', () => {
    const chain = (buildArgs?: Record<string, string>) => names(stageChain(model, 'app', [], buildArgs));
    expect(chain()).toEqual(['base-cuda', 'builder', 'app']);
    expect(chain({})).toEqual(['base-cuda', 'builder', 'app']);
    expect(chain({ BACKEND: 'cpu' })).toEqual(['base-cpu', 'builder', 'app']);
    expect(names(stageChain(model, 'app', ['builder'], { BACKEND: 'cpu' }))).toEqual(['base-cpu', 'app']);
  });
});

describe('stageChain', () => {
  it('builds prod from base, deps-prod, wheel-prod and wheels only', () => {
    expect(names(stageChain(recipe, 'prod'))).toEqual(['base', 'deps-prod', 'wheel-prod', 'wheels', 'prod']);
  });

  it('builds dev from deps-dev and, through wheels, from the prod dependencies too', () => {
    expect(names(stageChain(recipe, 'dev'))).toEqual(['base', 'deps-dev', 'deps-prod', 'wheel-prod', 'wheels', 'dev']);
  });

  it('leaves out the sources of stages the target does not need', () => {
    const copied = stageChain(recipe, 'deps-dev').flatMap((s) => s.sources.flatMap((source) => source.paths));
    expect(copied).not.toContain('prod/uv.lock');
    expect(copied).toContain('uv.lock');
  });

  it('matches the target case-insensitively', () => {
    expect(names(stageChain(recipe, 'PROD')).at(-1)).toBe('prod');
  });

  it('names the file and the available stages when the target does not exist', () => {
    const error = errorOf(() => stageChain(recipe, 'release'));
    expect(error.message).toBe(
      `${FILE}: target stage "release" not found; available stages: base, deps-dev, deps-prod, wheel-prod, wheels, dev, prod`,
    );
    expect(error.where).toEqual({ file: FILE, line: undefined });
  });
});

describe('resolveStageRef', () => {
  it('resolves by name case-insensitively, or by index', () => {
    expect(resolveStageRef(recipe, 'Deps-Prod')?.index).toBe(2);
    expect(resolveStageRef(recipe, '4')?.name).toBe('wheels');
    expect(resolveStageRef(recipe, 'ghcr.io/astral-sh/uv:0.5.4')).toBeUndefined();
    expect(resolveStageRef(recipe, '7')).toBeUndefined();
  });
});

describe('parseDockerfile syntax', () => {
  it('joins backslash continuations and skips comments inside them', () => {
    const model = parse(
      lines('FROM python:3.12 AS app', 'COPY --chown=app:app \\', '  # the lock first', '  uv.lock \\', '  pyproject.toml /app/', 'RUN true'),
    );
    expect(model.stages[0].sources).toEqual([{ instruction: 'COPY', paths: ['uv.lock', 'pyproject.toml'], line: 2 }]);
    expect(model.stages[0].endLine).toBe(6);
  });

  it('honours a backtick escape directive', () => {
    const model = parse(
      lines('# escape=`', 'FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win', 'COPY app.ps1 `', '     C:\\app\\ `', '     C:\\dst\\', 'RUN echo `', '    done'),
    );
    expect(model.escapeChar).toBe('`');
    expect(model.stages[0].sources).toEqual([{ instruction: 'COPY', paths: ['app.ps1', 'C:\\app\\'], line: 3 }]);
    expect([model.stages[0].startLine, model.stages[0].endLine]).toEqual([2, 7]);
  });

  it('does not read heredoc bodies as instructions, and heredoc COPY has no context source', () => {
    const model = parse(
      lines(
        'FROM ubuntu:22.04 AS base',
        'RUN <<EOF',
        'FROM evil AS nope',
        'COPY secrets /',
        'EOF',
        'COPY <<EOF /etc/app.conf',
        'key=value',
        'EOF',
        'COPY <<-"CONF" settings.toml /etc/',
        '  x = 1',
        'CONF',
        'COPY <<EOF /usr/local/bin/run.sh',
        'cat <<USAGE > /dev/stderr',
        'run.sh [args]',
        'USAGE',
        'EOF',
        'FROM base AS final',
      ),
    );
    expect(names(model.stages)).toEqual(['base', 'final']);
    expect(model.stages[0].sources).toEqual([{ instruction: 'COPY', paths: ['settings.toml'], line: 9 }]);
    expect(model.stages[0].endLine).toBe(16);
  });

  it('reads the JSON form, keeping spaces in paths', () => {
    const model = parse(
      lines('FROM alpine', 'COPY ["my file.txt", "src dir/", "/app/"]', 'COPY --chown=1000 [ "a b" ,\\', '  "/x"]', 'ADD ["model card.md", "/m/"]'),
    );
    expect(model.stages[0].sources.map((source) => source.paths)).toEqual([['my file.txt', 'src dir/'], ['a b'], ['model card.md']]);
  });

  it('reads shell-form brackets as a glob, and strips quotes', () => {
    const model = parse(lines('FROM alpine', 'COPY src/[ab].py "conf.toml" /app/'));
    expect(model.stages[0].sources[0].paths).toEqual(['src/[ab].py', 'conf.toml']);
  });

  it('ignores COPY flags', () => {
    const model = parse(
      lines('FROM alpine', 'COPY --chown=app:app --chmod=0644 --link --parents --exclude=*.pyc --exclude=tests ./pkg/ /app/'),
    );
    expect(model.stages[0].sources).toEqual([{ instruction: 'COPY', paths: ['./pkg/'], line: 2 }]);
  });

  it('resolves --from=<index> to that stage', () => {
    const model = parse(lines('FROM golang:1.22', 'RUN go build -o /out/app', 'FROM alpine AS run', 'COPY --from=0 /out/app /usr/bin/'));
    expect(model.stages[1].stageRefs).toEqual(['0']);
    expect(model.stages[1].sources[0].from).toBe('0');
    expect(names(stageChain(model, 'run'))).toEqual([undefined, 'run']);

    const named = parse(lines('FROM golang:1.22 AS Build', 'FROM alpine AS run', 'COPY --from=0 /out /out', 'COPY --from=BUILD /x /x'));
    expect(named.stages[1].stageRefs).toEqual(['build']);
  });

  it('keeps --from=<image> as an external reference, not a stage', () => {
    const model = parse(lines('FROM python:3.12-slim AS app', 'COPY --from=ghcr.io/astral-sh/uv:0.5.4 /uv /bin/'));
    expect(model.stages[0].stageRefs).toEqual(['ghcr.io/astral-sh/uv:0.5.4']);
    expect(model.stages[0].sources).toEqual([
      { instruction: 'COPY', paths: ['/uv'], from: 'ghcr.io/astral-sh/uv:0.5.4', line: 2 },
    ]);
    expect(names(stageChain(model, 'app'))).toEqual(['app']);
  });

  it('keeps a --from name that is no stage as written: a named context the build must provide', () => {
    const model = parse(lines('FROM python:3.12 AS app', 'COPY --from=wheels / /wheels/', 'RUN --mount=type=bind,from=models,target=/m ls'));
    expect(model.stages[0].stageRefs).toEqual(['wheels', 'models']);
    expect(names(stageChain(model, 'app'))).toEqual(['app']);
  });

  it('reads RUN bind mounts from the context, or from the stage they name', () => {
    const model = parse(
      lines(
        'FROM python:3.12 AS tools',
        'FROM python:3.12 AS app',
        'RUN --mount=type=bind,source=libs/shared,target=/x pip install /x',
        'RUN --mount=type=bind,target=/ctx --mount=src=requirements.txt,target=/r.txt ls',
        'RUN --mount=type=bind,from=tools,source=/opt,target=/opt ls',
        'RUN --mount=type=cache,from=tools,target=/root/.cache --mount=type=secret,id=token --mount=type=tmpfs,target=/tmp ls',
      ),
    );
    const app = model.stages[1];
    expect(app.sources).toEqual([
      { instruction: 'RUN', paths: ['libs/shared'], line: 3 },
      { instruction: 'RUN', paths: ['.'], line: 4 },
      { instruction: 'RUN', paths: ['requirements.txt'], line: 4 },
      { instruction: 'RUN', paths: ['/opt'], from: 'tools', line: 5 },
    ]);
    expect(app.stageRefs).toEqual(['tools']);
  });

  it('skips ADD sources that are URLs or git repositories', () => {
    const model = parse(
      lines(
        'FROM alpine',
        'ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/model.tar.gz /m/',
        'ADD git@github.com:org/repo.git /repo',
        'ADD https://github.com/org/repo.git#v1 vendor.tar.gz /v/',
      ),
    );
    expect(model.stages[0].sources).toEqual([{ instruction: 'ADD', paths: ['vendor.tar.gz'], line: 4 }]);
  });

  it('reads ARG lines declaring several names, lowercases stage names and reads --platform', () => {
    const model = parse(lines('ARG A=1 B', 'from --platform=$BUILDPLATFORM golang AS Builder', 'arg B C=x'));
    expect(model.globalArgs).toEqual([
      { name: 'A', defaultValue: '1', line: 1 },
      { name: 'B', line: 1 },
    ]);
    expect(model.stages[0]).toMatchObject({
      name: 'builder',
      platform: '$BUILDPLATFORM',
      args: [
        { name: 'B', line: 3 },
        { name: 'C', defaultValue: 'x', line: 3 },
      ],
    });
  });

  it('counts lines the same in a CRLF file and normalizes the stage text', () => {
    const model = parse('FROM alpine AS a\r\nCOPY x \\\r\n  y /z\r\n\r\nFROM a\r\n');
    expect(model.stages.map(({ startLine, endLine, text }) => ({ startLine, endLine, text }))).toEqual([
      { startLine: 1, endLine: 3, text: 'FROM alpine AS a\nCOPY x \\\n  y /z' },
      { startLine: 5, endLine: 5, text: 'FROM a' },
    ]);
  });
});

describe('parseDockerfile errors name the file and the line', () => {
  it.each([
    ['an empty file', '', `${FILE}:1: no FROM instruction`],
    ['only ARGs', lines('ARG A=1'), `${FILE}:1: no FROM instruction`],
    ['an instruction before FROM', lines('ARG A=1', 'RUN true', 'FROM alpine'), `${FILE}:2: RUN before the first FROM`],
    ['a FROM without an image', lines('FROM alpine', 'FROM --platform=linux/amd64'), `${FILE}:2: FROM needs a base image`],
    ['a FROM with stray words', lines('FROM alpine latest'), `${FILE}:1: FROM expects "<image> [AS <name>]"`],
    ['an invalid stage name', lines('FROM alpine AS 2nd'), `${FILE}:1: invalid stage name "2nd"`],
    [
      'duplicate stage names, in any case',
      lines('FROM alpine AS build', 'RUN true', 'FROM alpine AS Build'),
      `${FILE}:3: duplicate stage name "build" (first defined on line 1)`,
    ],
    ['a COPY without a destination', lines('FROM alpine', 'COPY app.py'), `${FILE}:2: COPY needs at least one source and a destination`],
    ['an ARG without a name', lines('FROM alpine', 'ARG'), `${FILE}:2: ARG needs a name`],
    ['an unknown instruction', lines('FROM alpine', 'COPPY a b'), `${FILE}:2: unknown instruction "COPPY"`],
    ['--from naming a stage index that does not exist', lines('FROM alpine', 'COPY --from=3 /a /b'), `${FILE}:2: --from=3: there is no stage 3`],
    [
      'stages that read each other',
      lines('FROM alpine AS a', 'COPY --from=b /x /x', 'FROM alpine AS b', 'COPY --from=a /y /y'),
      `${FILE}:4: circular dependency between stages: a -> b -> a`,
    ],
    ['a FROM that cannot be expanded', lines('ARG V=1', 'FROM img:${V%.*}'), `${FILE}:2: cannot expand the FROM image`],
    ['a FROM --platform that cannot be expanded', lines('FROM --platform=${P a'), `${FILE}:1: cannot expand the FROM --platform value`],
    [
      'a RUN heredoc never closed (dockerfile-ast reads it to the end of the file)',
      lines('FROM alpine AS a', 'RUN <<EOF', 'echo hi', 'FROM a AS b'),
      `${FILE}:2: RUN <<EOF: the heredoc terminator is missing: end the heredoc with a line holding only EOF`,
    ],
    ['a COPY heredoc never closed', lines('FROM alpine', 'COPY <<EOF /x', 'key=value'), `${FILE}:2: COPY <<EOF: the heredoc terminator is missing`],
    ['a heredoc opened on the last line', 'FROM alpine\nRUN <<EOF', `${FILE}:2: RUN <<EOF: the heredoc terminator is missing`],
    ['a <<- heredoc never closed', lines('FROM alpine', 'RUN <<-EOF', '\tx', '\tEOT'), `${FILE}:2: RUN <<-EOF: the heredoc terminator is missing`],
    ['a quoted heredoc never closed', lines('FROM alpine', 'RUN <<"EOF"', 'x', '"EOF"'), `${FILE}:2: RUN <<"EOF": the heredoc terminator is missing`],
    ['a terminator indented with spaces', lines('FROM alpine', 'RUN <<-EOF', '  EOF'), `${FILE}:2: RUN <<-EOF: the heredoc terminator is missing`],
    ['the second of two heredocs never closed', lines('FROM alpine', 'COPY <<A <<B /d/', 'a', 'A', 'b'), `${FILE}:2: COPY <<B: the heredoc terminator is missing`],
    ['an ONBUILD heredoc never closed', lines('FROM alpine', 'ONBUILD RUN <<EOF', 'x'), `${FILE}:2: RUN <<EOF: the heredoc terminator is missing`],
    ['a heredoc without a name', lines('FROM alpine', 'RUN cat <<-', 'FROM alpine'), `${FILE}:2: RUN <<-: a heredoc needs a name, as in <<EOF`],
    [
      'a FROM naming a stage defined further down (BuildKit would pull it as an image)',
      lines('FROM alpine AS app', 'FROM deps AS final', 'FROM alpine AS deps'),
      `${FILE}:2: FROM deps: stage "deps" is defined further down (line 3); a stage can only build FROM an earlier one`,
    ],
  ])('rejects %s', (_, text, message) => {
    const error = errorOf(() => parse(text));
    expect(error.name).toBe('PluginError');
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.where).toEqual({ file: FILE, line: Number(/^[^:]+:(\d+):/.exec(message)![1]) });
  });
});

describe('parseDockerfile heredocs and long chains', () => {
  it('accepts closed heredocs: <<-EOF closed by a tab-indented line, quoted names, two on one line, CRLF, no final newline', () => {
    const closed = [
      lines('FROM alpine', 'RUN <<-EOF', '\techo', '\t\tEOF', 'FROM alpine AS b'),
      lines('FROM alpine', "COPY <<'EOF' /x", '$HOME', 'EOF', 'FROM alpine AS b'),
      lines('FROM alpine', 'COPY <<A <<B /d/', 'a', 'A', 'b', 'B', 'FROM alpine AS b'),
      'FROM alpine\r\nRUN <<EOF\r\necho\r\nEOF\r\nFROM alpine AS b\r\n',
      'FROM alpine AS b\nRUN <<EOF\necho\nEOF',
      lines('FROM alpine AS b', 'RUN cat <<<"here-string"', 'RUN echo "<<EOF"'),
    ];
    for (const text of closed) expect(parse(text).stages.at(-1)?.name).toBe('b');
  });

  it('reads a chain of thousands of stages without overflowing the stack', () => {
    const count = 6000;
    const text = ['FROM alpine AS s0', ...Array.from({ length: count }, (_, index) => `FROM s${index} AS s${index + 1}`)].join('\n');
    const model = parse(text);
    expect(stageChain(model, `s${count}`)).toHaveLength(count + 1);
  });
});

describe('baseImagesOf', () => {
  it('expands the base image with global defaults, overridden by build args', () => {
    expect(baseImagesOf(recipe, [stage(recipe, 'base')])).toEqual(['nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04']);
    expect(baseImagesOf(recipe, [stage(recipe, 'base')], { CUDA_VERSION: '12.8.0' })).toEqual([
      'nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04',
    ]);
  });

  it('lists only the images of the chain root stages: a FROM <stage> and FROM scratch add none', () => {
    expect(baseImagesOf(recipe, stageChain(recipe, 'prod'), { CUDA_VERSION: '12.8.0' })).toEqual([
      'nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04',
    ]);
    expect(baseImagesOf(recipe, [stage(recipe, 'prod')])).toEqual([]);
    expect(baseImagesOf(recipe, [stage(recipe, 'wheels')])).toEqual([]);
  });

  it('lists each image once, in chain order', () => {
    const model = parse(
      lines('FROM python:3.12 AS a', 'FROM alpine:3.20 AS b', 'FROM python:3.12 AS c', 'COPY --from=a /x /x', 'COPY --from=b /y /y'),
    );
    expect(baseImagesOf(model, stageChain(model, 'c'))).toEqual(['python:3.12', 'alpine:3.20']);
  });

  it('expands global defaults that use earlier globals, and ignores undeclared build args', () => {
    const model = parse(lines('ARG CUDA=12.4.1', 'ARG BASE=nvidia/cuda:${CUDA}-runtime', 'FROM ${BASE} AS run'));
    expect(baseImagesOf(model, model.stages, { CUDA: '12.6.0', UNDECLARED: 'x' })).toEqual(['nvidia/cuda:12.6.0-runtime']);
    expect(globalArgValues(model, { CUDA: '12.6.0', UNDECLARED: 'x' })).toEqual({
      CUDA: '12.6.0',
      BASE: 'nvidia/cuda:12.6.0-runtime',
    });
  });

  it('does not list the image of a --from that is no stage: it is not a base image', () => {
    const model = parse(lines('FROM python:3.12-slim AS app', 'COPY --from=ghcr.io/astral-sh/uv:0.5.4 /uv /bin/'));
    expect(baseImagesOf(model, stageChain(model, 'app'))).toEqual(['python:3.12-slim']);
  });

  describe('a build arg that picks which stage FROM builds on', () => {
    const model = parse(
      lines('ARG FLAVOR=slim', 'FROM python:3.12-slim AS slim', 'FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04 AS cuda', 'FROM ${FLAVOR} AS app'),
    );

    it('builds on the stage the default names', () => {
      expect(model.stages[2].stageRefs).toEqual(['slim']);
      expect(baseImagesOf(model, stageChain(model, 'app'))).toEqual(['python:3.12-slim']);
    });

    it('follows the build arg to the other stage when given all stages', () => {
      expect(baseImagesOf(model, model.stages, { FLAVOR: 'cuda' })).toEqual([
        'python:3.12-slim',
        'nvidia/cuda:12.4.1-runtime-ubuntu22.04',
      ]);
    });

    it('follows the build arg through stageChain when given the build args', () => {
      expect(stageChain(model, 'app', [], { FLAVOR: 'cuda' }).map((stage) => stage.name)).toEqual(['cuda', 'app']);
      expect(baseImagesOf(model, stageChain(model, 'app', [], { FLAVOR: 'cuda' }), { FLAVOR: 'cuda' })).toEqual([
        'nvidia/cuda:12.4.1-runtime-ubuntu22.04',
      ]);
    });
  });
});

describe('argsSeenBy', () => {
  it('lists stage ARGs of the chain and the global ARGs its FROM lines use', () => {
    expect(argsSeenBy(recipe, stageChain(recipe, 'prod'))).toEqual([
      'CMAKE_VERSION',
      'CUDA_VARIANT',
      'CUDA_VERSION',
      'FLASH_ATTN_VERSION',
      'TORCH_BACKEND',
      'UBUNTU_VERSION',
    ]);
    expect(argsSeenBy(recipe, stageChain(recipe, 'deps-dev'))).not.toContain('FLASH_ATTN_VERSION');
  });

  it('sees a global ARG in a stage only where it is redeclared, and inherits stage ARGs through FROM', () => {
    const model = parse(
      lines(
        'ARG PYTHON=3.12',
        'ARG UNUSED=1',
        'ARG TAG=${PYTHON}-slim',
        'FROM python:${TAG} AS base',
        'ARG PYTHON',
        'ARG APP_ENV=prod',
        'FROM base AS app',
        'FROM alpine AS other',
        'ARG OTHER=1',
      ),
    );
    expect(argsSeenBy(model, stageChain(model, 'app'))).toEqual(['APP_ENV', 'PYTHON', 'TAG']);
    expect(argsSeenBy(model, stageChain(model, 'other'))).toEqual(['OTHER']);
  });
});
