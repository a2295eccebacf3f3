import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutated, valueOrPluginError } from '../__fixtures__/fuzz';
import { isPluginError } from '../core/errors';
import type { DockerfileModel } from './dockerfile-model';
import { parseDockerfile } from './parse-dockerfile';
import { argsSeenBy, baseImagesOf, fromTemplate, parentStage, stageChain } from './stage-graph';

const FILE = 'services/llm/Dockerfile';
const NUM_RUNS = 400;

/** What `run` returns, or undefined for a `dockerfile` PluginError naming the file: anything else is a bug. */
function expectValueOrDockerfileError<T>(run: () => T): T | undefined {
  const result = valueOrPluginError('dockerfile', FILE, run);
  return isPluginError(result) ? undefined : result;
}

const word = fc.constantFrom(
  'a', 'src/', '/app/', 'uv.lock', '"my file"', '"unterminated', "'x'", '["a b", "/c"]', '[', ']', '\\', '`',
  '<<EOF', '<<-EOF', '<<"EOF"', "<<'EOF'", '<<', '<<-', 'EOF', '$X', '${X}', '${X:-y}', '${', '${X%y}', '$',
  '99999999999999999999999', '\0', '\uFFFD', 'é', '#', '&&', 'echo', '=',
);
const image = fc.constantFrom(
  'alpine', 'python:3.12', 'nvidia/cuda:${CUDA}-devel', '${BASE}', '$BASE', 'scratch', 'base', 'build', 'Build', '0',
  'img:${V:-1}', '${', '${A:-${B}}', '${A%x}', 'a$', 'base-${BACKEND}', 'ghcr.io/astral-sh/uv:0.5.4',
);
const stageName = fc.constantFrom('base', 'build', 'Build', 'dev', 'prod', 'wheels', 'x.y', '2nd', 'base-cu124', '');
const argName = fc.constantFrom('BASE', 'CUDA', 'V', 'A', 'B', 'BACKEND', 'X', '1X', '');
const flag = fc.constantFrom(
  '--from=base', '--from=0', '--from=7', '--from=Build', '--from=ghcr.io/x:1', '--from=', '--from=${X}',
  '--mount=type=bind,source=a,target=/a', '--mount=type=cache,from=build,target=/c', '--mount=from=base',
  '--mount=', '--mount=type=BIND,src=x', '--platform=$BUILDPLATFORM', '--platform=${P', '--platform=${P:-linux}',
  '--chown=1:1', '--link', '--', '--exclude=*.pyc',
);
const words = (max: number) => fc.array(fc.oneof(word, flag), { maxLength: max });
const line = fc.oneof(
  fc
    .tuple(fc.option(flag, { nil: undefined }), image, fc.option(fc.tuple(fc.constantFrom('AS', 'as'), stageName), { nil: undefined }))
    .map(([platform, from, alias]) => ['FROM', platform, from, ...(alias ?? [])].filter((part) => part !== undefined).join(' ')),
  fc
    .array(fc.tuple(argName, fc.option(fc.oneof(image, word), { nil: undefined })), { maxLength: 3 })
    .map((declarations) => `ARG ${declarations.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join(' ')}`),
  fc.tuple(fc.constantFrom('COPY', 'ADD', 'RUN', 'copy', 'ONBUILD RUN', 'ONBUILD COPY'), words(5)).map(([keyword, rest]) => [keyword, ...rest].join(' ')),
  fc.tuple(fc.constantFrom('ENV', 'WORKDIR', 'CMD', 'ENTRYPOINT', 'USER', 'HEALTHCHECK', 'COPPY', 'ONBUILD'), words(3)).map(([keyword, rest]) => [keyword, ...rest].join(' ')),
  fc.constantFrom('', '# comment', 'EOF', '\tEOF', 'echo hi', '  && true \\', 'COPY x \\'),
);
const directives = fc.subarray(['# syntax=docker/dockerfile:1', '# escape=`', '# escape=\\', '# check=skip=all']);
const nearDockerfile = fc
  .tuple(directives, fc.array(line, { maxLength: 14 }), fc.boolean())
  .map(([head, body, finalNewline]) => [...head, ...body].join('\n') + (finalNewline ? '\n' : ''));

const buildArgs = fc.dictionary(argName, fc.oneof(image, word), { maxKeys: 3 });

/** Every stage-graph query a build makes of a model, for every stage as the target. */
function queryEveryStage(model: DockerfileModel, args: Record<string, string>): void {
  for (const stage of model.stages) {
    const target = stage.name ?? String(stage.index);
    const chain = expectValueOrDockerfileError(() => stageChain(model, target, ['wheels'], args));
    if (!chain) continue;
    expect(chain).toContain(stage);
    expectValueOrDockerfileError(() => stageChain(model, target));
    expectValueOrDockerfileError(() => baseImagesOf(model, chain, args));
    expectValueOrDockerfileError(() => argsSeenBy(model, chain));
    expectValueOrDockerfileError(() => parentStage(model, stage, args));
    expectValueOrDockerfileError(() => fromTemplate(model, stage));
  }
}

describe('parseDockerfile fuzzing', () => {
  it('reads any text, or throws a dockerfile PluginError naming the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' }).map((text) => `FROM a\n${text}`)), (text) => {
        expectValueOrDockerfileError(() => parseDockerfile(text, FILE));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reads near-valid Dockerfiles, mutated, and answers every stage-graph query, or throws a dockerfile PluginError', () => {
    fc.assert(
      fc.property(mutated(nearDockerfile), buildArgs, (text, args) => {
        const model = expectValueOrDockerfileError(() => parseDockerfile(text, FILE));
        if (model) queryEveryStage(model, args);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reads huge nestings and stage chains, or throws a dockerfile PluginError', () => {
    const nested = fc.nat({ max: 5000 }).map((depth) => `ARG A=${'${A:-'.repeat(depth)}x${'}'.repeat(depth)}\nFROM a\n`);
    const chain = fc.integer({ min: 1000, max: 3000 }).map((count) =>
      ['FROM alpine AS s0', ...Array.from({ length: count }, (_, index) => `FROM s${index} AS s${index + 1}`)].join('\n'),
    );
    fc.assert(
      fc.property(fc.oneof(nested, chain), buildArgs, (text, args) => {
        const model = expectValueOrDockerfileError(() => parseDockerfile(text, FILE));
        const last = model?.stages.at(-1);
        if (model && last) expect(stageChain(model, String(last.index), [], args)).toHaveLength(model.stages.length);
      }),
      { numRuns: 10 },
    );
  });

  it('refuses a heredoc whose terminator line never comes, at the line that opens it, and reads it once closed', () => {
    const opener = fc.constantFrom('RUN <<EOF', 'RUN <<-EOF', 'RUN <<"EOF"', "RUN cat <<'EOF'", 'COPY <<EOF /x', 'COPY <<-"EOF" /x', 'ADD <<EOF /x');
    const content = fc.array(fc.oneof(line, fc.constantFrom(' EOF', 'EOF ', '"EOF"', 'EOFX', 'eof')), { maxLength: 6 });
    fc.assert(
      fc.property(opener, content, fc.constantFrom('\n', '\r\n'), (open, body, newline) => {
        fc.pre(!body.some((text) => text.split(/\r\n|\r|\n/).some((part) => part.replace(/^\t+/, '') === 'EOF')));
        const head = ['FROM alpine AS a', open, ...body];
        const refused = (() => {
          try {
            return parseDockerfile(head.join(newline), FILE);
          } catch (thrown) {
            return thrown;
          }
        })();
        expect(isPluginError(refused) && refused.message).toMatch(new RegExp(`^${FILE}:2: \\w+ <<[-"']*EOF["']*: the heredoc terminator is missing`));
        const closed = parseDockerfile([...head, 'EOF', 'FROM a AS b'].join(newline), FILE);
        expect(closed.stages.map((stage) => stage.name)).toEqual(['a', 'b']);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives the same model twice, and the same model for the CRLF form of the file', () => {
    fc.assert(
      fc.property(nearDockerfile, (text) => {
        const model = expectValueOrDockerfileError(() => parseDockerfile(text, FILE));
        if (!model) return;
        expect(parseDockerfile(text, FILE)).toEqual(model);
        expect(parseDockerfile(text.replace(/\n/g, '\r\n'), FILE)).toEqual(model);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives stages consecutive indexes and line ranges that follow each other', () => {
    fc.assert(
      fc.property(nearDockerfile, (text) => {
        const model = expectValueOrDockerfileError(() => parseDockerfile(text, FILE));
        if (!model) return;
        const lineCount = text.split('\n').length;
        model.stages.forEach((stage, index) => {
          expect(stage.index).toBe(index);
          expect(stage.startLine).toBeLessThanOrEqual(stage.endLine);
          expect(stage.endLine).toBeLessThanOrEqual(lineCount);
          if (index > 0) expect(stage.startLine).toBeGreaterThan(model.stages[index - 1].endLine);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
