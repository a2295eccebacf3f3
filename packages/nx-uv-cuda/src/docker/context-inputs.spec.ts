import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// The glob engine Nx's task hasher uses for filesets (negations exclude from the whole set).
import { matchGlobPaths } from 'nx/src/native';
import { describe, expect, it } from 'vitest';
import { contextInputs } from './context-inputs';
import { readDockerignore } from './dockerignore';
import { parseDockerfile } from './parse-dockerfile';
import { stageChain } from './stage-graph';

const recipe = parseDockerfile(readFileSync(join(__dirname, '__fixtures__', 'recipe.Dockerfile'), 'utf8'), 'services/llm/Dockerfile');
const CONTEXT = 'services/llm';

const chainOf = (dockerfile: string, target: string) => stageChain(parseDockerfile(dockerfile, 'Dockerfile'), target);
const lines = (...text: string[]) => text.join('\n') + '\n';

/** The workspace files whose changes would change the hash of a task with these inputs. */
function hashedFiles(inputs: string[], files: string[]): string[] {
  const globs = inputs.map((input) => input.replace('{workspaceRoot}/', ''));
  const matches = matchGlobPaths(globs, files);
  return files.filter((_, index) => matches[index]);
}

describe('contextInputs', () => {
  it('turns each context source into a file-or-directory fileset, sorted and deduplicated', () => {
    expect(contextInputs(stageChain(recipe, 'prod'), { contextRoot: CONTEXT })).toEqual({
      inputs: [
        '{workspaceRoot}/services/llm/prod/pyproject.toml',
        '{workspaceRoot}/services/llm/prod/pyproject.toml/**/*',
        '{workspaceRoot}/services/llm/prod/uv.lock',
        '{workspaceRoot}/services/llm/prod/uv.lock/**/*',
        '{workspaceRoot}/services/llm/src',
        '{workspaceRoot}/services/llm/src/**/*',
      ],
      contextPaths: ['services/llm/prod/pyproject.toml', 'services/llm/prod/uv.lock', 'services/llm/src'],
    });
  });

  it('includes RUN bind mounts and reports them as context paths', () => {
    const { contextPaths } = contextInputs(stageChain(recipe, 'deps-dev'), { contextRoot: CONTEXT });
    expect(contextPaths).toEqual(['services/llm/libs/shared', 'services/llm/pyproject.toml', 'services/llm/src', 'services/llm/uv.lock']);
  });

  it('does not hash a README that no stage copies, nor files only other stages copy', () => {
    const files = [
      'services/llm/README.md',
      'services/llm/src/service/app.py',
      'services/llm/uv.lock',
      'services/llm/prod/uv.lock',
      'services/llm/libs/shared/util.py',
    ];
    expect(hashedFiles(contextInputs(stageChain(recipe, 'prod'), { contextRoot: CONTEXT }).inputs, files)).toEqual([
      'services/llm/src/service/app.py',
      'services/llm/prod/uv.lock',
    ]);
    expect(hashedFiles(contextInputs(stageChain(recipe, 'deps-dev'), { contextRoot: CONTEXT }).inputs, files)).toEqual([
      'services/llm/src/service/app.py',
      'services/llm/uv.lock',
      'services/llm/libs/shared/util.py',
    ]);
  });

  it('reads `.` as the whole context, at the workspace root as well', () => {
    const chain = chainOf(lines('FROM python:3.12', 'COPY . /app'), '0');
    expect(contextInputs(chain, { contextRoot: CONTEXT })).toEqual({
      inputs: ['{workspaceRoot}/services/llm/**/*'],
      contextPaths: ['services/llm'],
    });
    for (const contextRoot of ['', '.', './']) {
      expect(contextInputs(chain, { contextRoot })).toEqual({ inputs: ['{workspaceRoot}/**/*'], contextPaths: ['.'] });
    }
  });

  it('normalizes paths: leading ./ and /, .., trailing /; keeps globs; widens paths using variables', () => {
    const chain = chainOf(
      lines(
        'FROM python:3.12',
        'ARG LIB=shared',
        'COPY ./a.txt /b.txt ../c/ *.toml /app/',
        'COPY libs/${LIB}/src /app/lib/',
        'COPY --from=assets /not/context /x',
      ),
      '0',
    );
    expect(contextInputs(chain, { contextRoot: './svc/' }).contextPaths).toEqual([
      'svc/*.toml',
      'svc/a.txt',
      'svc/b.txt',
      'svc/c',
      'svc/libs',
    ]);
  });

  it('escapes braces, which Docker reads literally and Nx as alternatives', () => {
    const chain = chainOf(lines('FROM python:3.12', 'COPY {{name}}/ /app/'), '0');
    const { inputs } = contextInputs(chain, { contextRoot: 'svc' });
    expect(inputs).toEqual(['{workspaceRoot}/svc/\\{\\{name\\}\\}', '{workspaceRoot}/svc/\\{\\{name\\}\\}/**/*']);
    expect(hashedFiles(inputs, ['svc/{{name}}/x.py', 'svc/name/x.py'])).toEqual(['svc/{{name}}/x.py']);
  });
});

describe('contextInputs with a .dockerignore', () => {
  const chain = chainOf(lines('FROM python:3.12', 'COPY . /app'), '0');

  it('adds negations for ignored patterns, read the way Docker reads them', () => {
    const dockerignore = lines('# caches', '**/__pycache__', '', '  *.pyc  ', '/docs/', 'src/../notes', '!');
    expect(contextInputs(chain, { contextRoot: CONTEXT, dockerignore }).inputs).toEqual([
      '{workspaceRoot}/services/llm/**/*',
      '!{workspaceRoot}/services/llm/**/__pycache__',
      '!{workspaceRoot}/services/llm/**/__pycache__/**/*',
      '!{workspaceRoot}/services/llm/*.pyc',
      '!{workspaceRoot}/services/llm/*.pyc/**/*',
      '!{workspaceRoot}/services/llm/docs',
      '!{workspaceRoot}/services/llm/docs/**/*',
      '!{workspaceRoot}/services/llm/notes',
      '!{workspaceRoot}/services/llm/notes/**/*',
    ]);
  });

  it('hashes exactly the copied files that Docker does not ignore', () => {
    const dockerignore = lines('**/__pycache__', '*.pyc', 'docs', 'src/**/*.ipynb', '.venv');
    const files = [
      'services/llm/app.pyc',
      'services/llm/src/app.py',
      'services/llm/src/deep/mod.pyc',
      'services/llm/src/__pycache__/app.cpython-312.pyc',
      'services/llm/src/nb/explore.ipynb',
      'services/llm/docs/index.md',
      'services/llm/docsite/index.md',
      'services/llm/.venv/bin/python',
      'services/llm/pyproject.toml',
    ];
    const hashed = hashedFiles(contextInputs(chain, { contextRoot: CONTEXT, dockerignore }).inputs, files);
    const docker = readDockerignore(dockerignore);
    const keptByDocker = files.filter((file) => !docker.ignores(file.slice(CONTEXT.length + 1)));
    expect(hashed).toEqual(keptByDocker);
    expect(hashed).toEqual([
      'services/llm/src/app.py',
      'services/llm/src/deep/mod.pyc',
      'services/llm/docsite/index.md',
      'services/llm/pyproject.toml',
    ]);
  });

  it('drops an exclusion that a later re-include may undo, and keeps the others', () => {
    const dockerignore = lines('*.md', 'docs/drafts', 'build', '!README.md', '!docs/keep.md', '**/__pycache__');
    const { inputs } = contextInputs(chain, { contextRoot: CONTEXT, dockerignore });
    expect(inputs.filter((input) => input.startsWith('!'))).toEqual([
      '!{workspaceRoot}/services/llm/**/__pycache__',
      '!{workspaceRoot}/services/llm/**/__pycache__/**/*',
      '!{workspaceRoot}/services/llm/build',
      '!{workspaceRoot}/services/llm/build/**/*',
      '!{workspaceRoot}/services/llm/docs/drafts',
      '!{workspaceRoot}/services/llm/docs/drafts/**/*',
    ]);
    expect(hashedFiles(inputs, ['services/llm/README.md', 'services/llm/docs/keep.md', 'services/llm/build/x'])).toEqual([
      'services/llm/README.md',
      'services/llm/docs/keep.md',
    ]);
  });
});
