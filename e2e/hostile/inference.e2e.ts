import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerSucceeds, provisionDocker, treeSnapshot } from '../support/docker';
import { createWorkspace, disposeLater, disposeWorkspaces, type Workspace } from '../support/workspace';
import {
  SIMPLE_DOCKERFILE,
  SLIM_BASE,
  addProject,
  failedTasks,
  leftoverTempFolders,
  lockText,
  plain,
  pluginTempEntries,
  taskSections,
} from './support';

/**
 * Hostile input that inference and the cheap targets must survive: dozens of broken projects beside a healthy
 * one in one workspace. One `nx graph` and one `nx run-many` over all of them give every message; each case then
 * checks its own message (file, key or line, what was expected); one test then checks that the healthy projects
 * still infer and ran, and that nothing was lost, left behind or executed.
 */

const ID = Date.now().toString(36);
/** Files an injected command would create: none may ever exist. */
const PWNED = (n: number) => join(tmpdir(), `hostile-pwned-${ID}-${n}`);
const OUTSIDE = join(tmpdir(), `hostile-outside-${ID}`);

type Where = 'graph' | 'run' | 'either';

interface Case {
  category: string;
  title: string;
  /** The project folder under hostile/ (and default project name). */
  id: string;
  setup(ws: Workspace, folder: string): void;
  /** The message expected, and where (inference warning / the target's own output). */
  message?: RegExp;
  where?: Where;
  /** The case must work: its targets succeed, no warning names it. */
  works?: boolean;
  /** Something else to check once everything ran. */
  check?(ctx: Context): void;
  /** The Nx project name, when it is not the folder's. */
  project?: string;
  /** A warning only: its targets still build. */
  warnsOnly?: boolean;
}

interface Context {
  ws: Workspace;
  graphOutput: string;
  runOutput: string;
  graph: Record<string, { data: { root: string; targets: Record<string, { options?: { error?: string } }> } }>;
  sections: Record<string, string>;
}

const replaceIn = (ws: Workspace, path: string, from: string | RegExp, to: string) => {
  const text = ws.read(path);
  const next = text.replace(from, to);
  if (next === text) throw new Error(`test setup: ${String(from)} not found in ${path}`);
  ws.write(path, next);
};

const writeBytes = (ws: Workspace, path: string, bytes: Buffer) => writeFileSync(join(ws.root, path), bytes);

const CASES: Case[] = [
  // ---------------------------------------------------------------- TOML and lock corruption
  {
    category: 'toml',
    title: 'pyproject.toml with a TOML syntax error',
    id: 'toml-syntax',
    setup: (ws, dir) => replaceIn(ws, `${dir}/pyproject.toml`, 'requires-python = ">=3.11"', 'requires-python = ">=3.11'),
    message: /hostile\/toml-syntax\/pyproject\.toml:4:\d+: invalid TOML/,
    where: 'graph',
  },
  {
    category: 'toml',
    title: 'dependencies = "numpy" (a string, not a list)',
    id: 'toml-deps-string',
    setup: (ws, dir) => replaceIn(ws, `${dir}/pyproject.toml`, 'dependencies = ["numpy>=1.26"]', 'dependencies = "numpy"'),
    message: /hostile\/toml-deps-string\/pyproject\.toml: project\.dependencies: expected array/,
    where: 'graph',
  },
  {
    category: 'toml',
    title: '[tool.nx-uv-cuda] backends = 3',
    id: 'toml-backends-number',
    setup: (ws, dir) => ws.append(`${dir}/pyproject.toml`, '\n[tool.nx-uv-cuda]\nbackends = 3\n'),
    message: /hostile\/toml-backends-number\/pyproject\.toml: tool\.nx-uv-cuda\.backends: expected array or record/,
    where: 'graph',
  },
  {
    category: 'toml',
    title: 'an unknown [tool.nx-uv-cuda] key',
    id: 'toml-unknown-key',
    setup: (ws, dir) => ws.append(`${dir}/pyproject.toml`, '\n[tool.nx-uv-cuda]\nbackend-list = ["cu124"]\n'),
    message: /hostile\/toml-unknown-key\/pyproject\.toml: tool\.nx-uv-cuda: Unrecognized key: "backend-list"/,
    where: 'graph',
  },
  {
    category: 'toml',
    title: 'missing [project].name',
    id: 'toml-no-name',
    setup: (ws, dir) => replaceIn(ws, `${dir}/pyproject.toml`, 'name = "toml-no-name"\n', ''),
    message: /hostile\/toml-no-name\/pyproject\.toml: project\.name: expected string/,
    where: 'graph',
  },
  {
    category: 'toml',
    title: 'uv.lock truncated mid-table',
    id: 'lock-truncated',
    setup: (ws, dir) => ws.write(`${dir}/uv.lock`, lockText('lock-truncated').slice(0, 150)),
    message: /hostile\/lock-truncated\/uv\.lock:\d+:\d+: invalid TOML/,
    where: 'run',
  },
  {
    category: 'toml',
    title: 'uv.lock that is not TOML (JSON)',
    id: 'lock-json',
    setup: (ws, dir) => ws.write(`${dir}/uv.lock`, '{"version": 1, "package": []}\n'),
    message: /hostile\/lock-json\/uv\.lock:1:\d+: invalid TOML/,
    where: 'run',
  },
  {
    category: 'toml',
    title: 'uv.lock with a duplicate package',
    id: 'lock-duplicate',
    setup: (ws, dir) =>
      ws.append(`${dir}/uv.lock`, '\n[[package]]\nname = "numpy"\nversion = "2.2.6"\nsource = { registry = "https://pypi.org/simple" }\n'),
    // Either form names the file, where, and what to do: the entry that cannot pick one, or the second listing.
    message: /hostile\/lock-duplicate\/uv\.lock(: package\[0\]\.dependencies\[0\]: 2 packages match numpy|:21: duplicate package: numpy 2\.2\.6[^\n]*listed twice \(lines 16 and 21\))/,
    where: 'run',
  },
  {
    category: 'toml',
    title: 'uv.lock: a registry package without a version',
    id: 'lock-no-version',
    setup: (ws, dir) => replaceIn(ws, `${dir}/uv.lock`, 'name = "numpy"\nversion = "2.2.6"\n', 'name = "numpy"\n'),
    message: /hostile\/lock-no-version\/uv\.lock: package\[1\][^\n]*(version|numpy)[^\n]*(version|expected)/,
    where: 'run',
  },
  {
    category: 'toml',
    title: 'uv.lock: a dependency naming a package absent from the lock',
    id: 'lock-absent-dep',
    setup: (ws, dir) => replaceIn(ws, `${dir}/uv.lock`, '{ name = "numpy" }', '{ name = "scipy" }'),
    message: /hostile\/lock-absent-dep\/uv\.lock: package\[0\]\.dependencies\[0\]: no package scipy in the lock/,
    where: 'run',
  },
  {
    category: 'toml',
    title: 'prod/pyproject.toml without its prod/uv.lock',
    id: 'lock-no-prod-lock',
    setup: (ws, dir) => {
      ws.write(`${dir}/prod/pyproject.toml`, '[project]\nname = "lock-no-prod-lock-prod"\nversion = "0.1.0"\ndependencies = ["numpy>=1.26"]\n');
      ws.write(`${dir}/docker/Dockerfile`, `${SIMPLE_DOCKERFILE}COPY prod/uv.lock prod/pyproject.toml prod/\n`);
    },
    // Before any build: the plugin, not BuildKit's "not found", says which lock is missing.
    message: /hostile\/lock-no-prod-lock\/prod\/uv\.lock[^\n]*(does not exist|missing|not found)/,
    where: 'either',
    check: ({ sections }) => expect(sections['lock-no-prod-lock:image-default'] ?? '').not.toContain('failed to compute cache key'),
  },
  // ---------------------------------------------------------------- encodings and line endings
  {
    category: 'encoding',
    title: 'CRLF pyproject.toml and Dockerfile work',
    id: 'enc-crlf',
    setup: (ws, dir) => {
      for (const file of ['pyproject.toml', 'docker/Dockerfile']) ws.write(`${dir}/${file}`, ws.read(`${dir}/${file}`).replace(/\n/g, '\r\n'));
    },
    works: true,
    check: () => expect(dockerSucceeds(['image', 'inspect', 'enc-crlf:app-default'])).toBe(true),
  },
  {
    category: 'encoding',
    title: 'CRLF uv.lock works',
    id: 'enc-crlf-lock',
    setup: (ws, dir) => ws.write(`${dir}/uv.lock`, ws.read(`${dir}/uv.lock`).replace(/\n/g, '\r\n')),
    works: true,
    check: ({ ws }) => {
      const slice = JSON.parse(ws.read('dist/hostile/enc-crlf-lock/locks/default-prod.json'));
      expect(JSON.stringify(slice)).toContain('numpy');
    },
  },
  {
    category: 'encoding',
    title: 'UTF-8 BOM in pyproject.toml and Dockerfile works',
    id: 'enc-bom',
    setup: (ws, dir) => {
      for (const file of ['pyproject.toml', 'docker/Dockerfile']) ws.write(`${dir}/${file}`, `\uFEFF${ws.read(`${dir}/${file}`)}`);
    },
    works: true,
    check: () => expect(dockerSucceeds(['image', 'inspect', 'enc-bom:app-default'])).toBe(true),
  },
  {
    category: 'encoding',
    title: 'non-UTF-8 bytes (Latin-1) in pyproject.toml',
    id: 'enc-latin1',
    setup: (ws, dir) => {
      const text = ws.read(`${dir}/pyproject.toml`).replace('version = "0.1.0"\n', 'version = "0.1.0"\ndescription = "caf@"\n');
      const bytes = Buffer.from(text, 'latin1');
      bytes[bytes.indexOf('@')] = 0xe9;
      writeBytes(ws, `${dir}/pyproject.toml`, bytes);
    },
    message: /hostile\/enc-latin1\/pyproject\.toml:4(:\d+)?: [^\n]*(UTF-8|utf-8|encoding)/,
    where: 'graph',
  },
  {
    category: 'encoding',
    title: 'a NUL byte in pyproject.toml',
    id: 'enc-nul',
    setup: (ws, dir) => ws.write(`${dir}/pyproject.toml`, ws.read(`${dir}/pyproject.toml`).replace('version = "0.1.0"\n', 'version = "0.1.0"\ndescription = "a\0b"\n')),
    message: /hostile\/enc-nul\/pyproject\.toml:4:\d+: invalid TOML/,
    where: 'graph',
  },
  // ---------------------------------------------------------------- Dockerfile structure
  {
    category: 'dockerfile',
    title: 'no FROM',
    id: 'df-no-from',
    setup: (ws, dir) => ws.write(`${dir}/docker/Dockerfile`, 'WORKDIR /app\nCOPY pyproject.toml uv.lock ./\n'),
    message: /hostile\/df-no-from\/docker\/Dockerfile:1: no FROM instruction/,
    where: 'graph',
  },
  {
    category: 'dockerfile',
    title: 'an unknown instruction',
    id: 'df-unknown',
    setup: (ws, dir) => ws.write(`${dir}/docker/Dockerfile`, `${SIMPLE_DOCKERFILE}FROBNICATE /app\n`),
    message: /hostile\/df-unknown\/docker\/Dockerfile:5: unknown instruction "FROBNICATE"/,
    where: 'graph',
  },
  {
    category: 'dockerfile',
    title: 'FROM naming a stage defined further down',
    id: 'df-forward',
    setup: (ws, dir) =>
      ws.write(`${dir}/docker/Dockerfile`, `FROM later AS app\nCOPY pyproject.toml uv.lock ./\nFROM ${SLIM_BASE} AS later\n`),
    message: /hostile\/df-forward\/docker\/Dockerfile:1: FROM later: stage "later" is defined further down \(line 3\)/,
    where: 'graph',
  },
  {
    category: 'dockerfile',
    title: 'a stage cycle through COPY --from',
    id: 'df-cycle',
    setup: (ws, dir) =>
      ws.write(
        `${dir}/docker/Dockerfile`,
        `FROM ${SLIM_BASE} AS a\nCOPY --from=b /x /x\nFROM ${SLIM_BASE} AS b\nCOPY --from=a /y /y\nCOPY pyproject.toml uv.lock ./\n`,
      ),
    message: /hostile\/df-cycle\/docker\/Dockerfile:\d: circular dependency between stages: (a -> b -> a|b -> a -> b)/,
    where: 'graph',
  },
  {
    category: 'dockerfile',
    title: 'an unterminated heredoc',
    id: 'df-heredoc',
    setup: (ws, dir) => ws.write(`${dir}/docker/Dockerfile`, `${SIMPLE_DOCKERFILE}RUN <<SCRIPT\necho the terminator never comes\n`),
    message: /hostile\/df-heredoc\/docker\/Dockerfile:5: RUN <<SCRIPT: the heredoc terminator is missing/,
    where: 'graph',
  },
  {
    category: 'dockerfile',
    title: 'the wheel stage that the export stage copies from is missing',
    id: 'df-no-wheel-stage',
    setup: (ws, dir) =>
      ws.write(
        `${dir}/docker/Dockerfile`,
        [
          `FROM ${SLIM_BASE} AS base`,
          'COPY pyproject.toml uv.lock ./',
          'FROM scratch AS wheels',
          'COPY --from=wheel-prod /wheelhouse/ /',
          'FROM base AS dev',
          'COPY --from=wheels / /wheels/',
          'FROM base AS prod',
          'COPY --from=wheels / /wheels/',
          '',
        ].join('\n'),
      ),
    // COPY --from=wheel-prod would pull an image of that name: the plugin must say the stage is missing.
    message: /hostile\/df-no-wheel-stage\/docker\/Dockerfile:4: [^\n]*wheel-prod/,
    where: 'either',
  },
  {
    category: 'dockerfile',
    title: 'duplicate stage names',
    id: 'df-duplicate-stage',
    setup: (ws, dir) => ws.write(`${dir}/docker/Dockerfile`, `${SIMPLE_DOCKERFILE}FROM ${SLIM_BASE} AS app\nCOPY pyproject.toml ./\n`),
    message: /hostile\/df-duplicate-stage\/docker\/Dockerfile:5: duplicate stage name "app" \(first defined on line 1\)/,
    where: 'graph',
  },
  {
    category: 'dockerfile',
    title: 'an ARG used in FROM with no value',
    id: 'df-arg-from',
    setup: (ws, dir) => ws.write(`${dir}/docker/Dockerfile`, 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS app\nCOPY pyproject.toml uv.lock ./\n'),
    message: /hostile\/df-arg-from\/docker\/Dockerfile:1: ARG BASE_IMAGE has no default[^\n]*build-args\.BASE_IMAGE/,
    where: 'graph',
    // The run fails (BuildKit: base name should not be blank) and writes no image metadata.
    check: ({ ws, runOutput }) => {
      expect(failedTasks(runOutput)).toContain('df-arg-from:image-default');
      expect(ws.exists('dist/hostile/df-arg-from/images')).toBe(false);
    },
  },
  // ---------------------------------------------------------------- paths
  {
    category: 'paths',
    title: 'COPY ../outside (a source above the build context)',
    id: 'path-copy-parent',
    setup: (ws, dir) => ws.write(`${dir}/docker/Dockerfile`, `${SIMPLE_DOCKERFILE}COPY ../outside.txt /x\n`),
    message: /hostile\/path-copy-parent\/docker\/Dockerfile:5: [^\n]*\.\.\/outside\.txt[^\n]*outside/,
    where: 'either',
  },
  {
    category: 'paths',
    title: 'a dockerfile option naming a path outside the workspace (warning)',
    id: 'path-dockerfile-outside',
    setup: (ws, dir) => {
      mkdirSync(OUTSIDE, { recursive: true });
      writeFileSync(join(OUTSIDE, 'Dockerfile'), SIMPLE_DOCKERFILE);
      ws.append(`${dir}/pyproject.toml`, `\n[tool.nx-uv-cuda]\ndockerfile = "../../../${OUTSIDE.split('/').pop()}/Dockerfile"\n`);
    },
    message: /hostile\/path-dockerfile-outside\/pyproject\.toml: [^\n]*dockerfile[^\n]*(outside the workspace|match no Dockerfile)/,
    where: 'graph',
    // The Dockerfile outside the workspace is never used (Nx could not hash it).
    check: ({ graph }) =>
      expect(Object.keys(graph['path-dockerfile-outside'].data.targets).filter((name) => name.startsWith('image-'))).toEqual([]),
  },
  {
    category: 'paths',
    title: 'a dockerfile glob matching nothing (warning)',
    id: 'path-dockerfile-glob-none',
    setup: (ws, dir) => ws.append(`${dir}/pyproject.toml`, '\n[tool.nx-uv-cuda]\ndockerfile = "containers/*.Dockerfile"\n'),
    message: /hostile\/path-dockerfile-glob-none\/pyproject\.toml: the dockerfile globs \(containers\/\*\.Dockerfile\) match no Dockerfile/,
    where: 'graph',
  },
  {
    category: 'paths',
    title: 'a context outside the workspace is refused',
    id: 'path-context-outside',
    setup: (ws, dir) => ws.append(`${dir}/pyproject.toml`, '\n[tool.nx-uv-cuda]\ncontext = "../../.."\n'),
    message: /hostile\/path-context-outside\/pyproject\.toml: [^\n]*context[^\n]*"\.\.\/\.\.\/\.\." is outside the workspace/,
    where: 'graph',
  },
  // ---------------------------------------------------------------- injection
  {
    category: 'injection',
    title: 'a project name holding $(touch ...)',
    id: 'inj-name-subshell',
    project: `inj$(touch ${PWNED(1)})`,
    setup: (ws, dir) => {
      const name = `inj$(touch ${PWNED(1)})`;
      replaceIn(ws, `${dir}/pyproject.toml`, 'name = "inj-name-subshell"', `name = "${name}"`);
      ws.write(`${dir}/uv.lock`, lockText(name));
    },
    // Refused at inference, or passed literally (Docker then refuses the tag): a message either way.
    message: /(hostile\/inj-name-subshell\/pyproject\.toml: project\.name|tag "[^\n]*" \(from "\{registry\}\/\{project\}:\{kind\}-\{backend\}"\) is not a valid image reference)/,
    where: 'either',
  },
  {
    category: 'injection',
    title: 'a project name holding ; and backticks',
    id: 'inj-name-backtick',
    project: `inj;\`touch ${PWNED(2)}\``,
    setup: (ws, dir) => {
      const name = `inj;\`touch ${PWNED(2)}\``;
      replaceIn(ws, `${dir}/pyproject.toml`, 'name = "inj-name-backtick"', `name = "${name}"`);
      ws.write(`${dir}/uv.lock`, lockText(name));
    },
    message: /(hostile\/inj-name-backtick\/pyproject\.toml: project\.name|tag "[^\n]*" \(from "\{registry\}\/\{project\}:\{kind\}-\{backend\}"\) is not a valid image reference)/,
    where: 'either',
  },
  {
    category: 'injection',
    title: 'a project name holding ../',
    id: 'inj-name-dotdot',
    project: '-/-/-/evil',
    setup: (ws, dir) => {
      replaceIn(ws, `${dir}/pyproject.toml`, 'name = "inj-name-dotdot"', 'name = "../../../evil"');
      ws.write(`${dir}/uv.lock`, lockText('../../../evil'));
    },
    message: /(hostile\/inj-name-dotdot\/pyproject\.toml: project\.name|tag "[^\n]*" \(from "\{registry\}\/\{project\}:\{kind\}-\{backend\}"\) is not a valid image reference)/,
    where: 'either',
    // Whatever it is called, nothing is written above dist/ (the root, not the name, places outputs).
    check: ({ ws }) => expect(existsSync(join(ws.root, '..', '..', 'evil'))).toBe(false),
  },
  {
    category: 'injection',
    title: 'a backend name holding ; and $(...)',
    id: 'inj-backend',
    setup: (ws, dir) => ws.append(`${dir}/pyproject.toml`, `\n[tool.nx-uv-cuda]\nbackends = ["cu124;touch ${PWNED(3)}", "$(touch ${PWNED(4)})"]\n`),
    message: /hostile\/inj-backend\/pyproject\.toml: tool\.nx-uv-cuda\.backends\[0\]: expected a backend name like cu124[^\n]*backends\[1\]: expected a backend name/,
    where: 'graph',
  },
  {
    category: 'injection',
    title: 'a backend name holding a newline',
    id: 'inj-backend-newline',
    setup: (ws, dir) => ws.append(`${dir}/pyproject.toml`, `\n[tool.nx-uv-cuda]\nbackends = ["cu124\\ntouch ${PWNED(5)}"]\n`),
    message: /hostile\/inj-backend-newline\/pyproject\.toml: tool\.nx-uv-cuda\.backends\[0\]: expected a backend name like cu124/,
    where: 'graph',
  },
  {
    category: 'injection',
    title: 'a build-arg name holding ;',
    id: 'inj-arg-name',
    setup: (ws, dir) => ws.append(`${dir}/pyproject.toml`, `\n[tool.nx-uv-cuda]\nbuild-args = { "A;touch ${PWNED(6)}" = "1" }\n`),
    message: /hostile\/inj-arg-name\/pyproject\.toml: tool\.nx-uv-cuda\.build-args\["A;touch [^\n]*"\]: invalid key: expected a build-arg name like CUDA_VERSION/,
    where: 'graph',
  },
  {
    category: 'injection',
    title: 'a build-arg value holding $(...), backticks, ; and a newline is passed literally',
    id: 'inj-arg-value',
    setup: (ws, dir) => {
      ws.append(`${dir}/pyproject.toml`, `\n[tool.nx-uv-cuda]\nbuild-args = { INJECTED = "$(touch ${PWNED(7)}); \`touch ${PWNED(8)}\`\\nline2" }\n`);
      ws.write(`${dir}/docker/Dockerfile`, `${SIMPLE_DOCKERFILE}ARG INJECTED\nRUN printf '%s' "$INJECTED" > /injected\n`);
    },
    works: true,
    check: () => {
      const inside = docker(['run', '--rm', '--network', 'none', 'inj-arg-value:app-default', 'cat', '/injected']);
      expect(inside).toBe(`$(touch ${PWNED(7)}); \`touch ${PWNED(8)}\`\nline2`);
    },
  },
  {
    category: 'injection',
    title: 'a tag template holding $(...) and backticks',
    id: 'inj-tag',
    setup: (ws, dir) =>
      ws.write(
        `${dir}/project.json`,
        JSON.stringify({ name: 'inj-tag', targets: { 'image-default': { options: { tags: [`{project}:$(touch ${PWNED(9)})`, 'x:`touch /tmp/y`'] } } } }),
      ),
    message: /tag "inj-tag:\$\(touch [^"]*\)" \(from "\{project\}:\$\(touch [^"]*\)"\) is not a valid image reference/,
    where: 'run',
    check: ({ runOutput }) => expect(failedTasks(runOutput)).toContain('inj-tag:image-default'),
  },
  {
    category: 'injection',
    title: 'a tag template holding ../ and a newline',
    id: 'inj-tag-dotdot',
    setup: (ws, dir) =>
      ws.write(
        `${dir}/project.json`,
        JSON.stringify({ name: 'inj-tag-dotdot', targets: { 'image-default': { options: { tags: ['../../{project}:x', `a:b\ntouch ${PWNED(10)}`] } } } }),
      ),
    message: /tag "[^"]*" \(from "(\.\.\/\.\.\/\{project\}:x|a:b\\ntouch [^"]*)"\) is not a valid image reference|tag[^\n]*\.\.\/[^\n]*not a valid/,
    where: 'run',
    check: ({ runOutput }) => expect(failedTasks(runOutput)).toContain('inj-tag-dotdot:image-default'),
  },
  // ---------------------------------------------------------------- two projects, one name
  {
    category: 'names',
    title: 'two pyproject.toml with the same [project].name',
    id: 'twin-a',
    project: 'twin',
    setup: (ws) => {
      addProject(ws, 'twin', {}, 'hostile/twin-a');
      addProject(ws, 'twin', {}, 'hostile/twin-b');
    },
    message: /2 projects are named "twin" \(hostile\/twin-a, hostile\/twin-b\): hostile\/twin-a keeps the name, hostile\/twin-b is twin-hostile-twin-b/,
    where: 'graph',
    warnsOnly: true,
    check: ({ graph, runOutput }) => {
      expect(graph.twin.data.root).toBe('hostile/twin-a');
      expect(graph['twin-hostile-twin-b'].data.root).toBe('hostile/twin-b');
      expect(failedTasks(runOutput).filter((task) => task.startsWith('twin'))).toEqual([]);
    },
  },
];

const HEALTHY = ['h-ok', 'ml-service', 'other-service', 'shared'];

describe('hostile input: inference and cheap targets', () => {
  let ws: Workspace;
  let ctx: Context;
  let distBefore: Record<string, string>;
  let tempBefore: string[];

  beforeAll(async () => {
    provisionDocker();
    ws = createWorkspace({ fixture: 'ml-monorepo' });
    disposeLater(OUTSIDE);
    addProject(ws, 'h-ok');
    ws.commitAll('a healthy standalone project');
    // Earlier outputs, which nothing below may lose or change.
    const earlier = await ws.nx(['run-many', '-t', 'keys-default', 'keys-cu124', 'image-default', '-p', 'h-ok', 'ml-service']);
    expect(earlier.exitCode, earlier.all).toBe(0);
    // Image metadata is rewritten by every image run (it records the commit); everything else must stay as it is.
    distBefore = Object.fromEntries(Object.entries(treeSnapshot(join(ws.root, 'dist'))).filter(([file]) => !file.includes('/images/')));
    expect(Object.keys(distBefore)).toEqual(expect.arrayContaining(['services/ml-service/keys/cu124-wheel.json', 'hostile/h-ok/keys/default-build.json']));
    tempBefore = pluginTempEntries();

    for (const testCase of CASES) {
      const dir = `hostile/${testCase.id}`;
      if (testCase.id !== 'twin-a') addProject(ws, testCase.id, {}, dir);
      testCase.setup(ws, dir);
    }
    ws.commitAll('hostile projects');

    const graphFile = join(ws.root, 'graph.json');
    const graphRun = await ws.nx(['graph', `--file=${graphFile}`]);
    expect(graphRun.exitCode, graphRun.all).toBe(0);
    const graph = JSON.parse(ws.read('graph.json')).graph.nodes;
    const projects = [...CASES.map((c) => c.project ?? c.id), 'twin-hostile-twin-b', 'h-ok'].filter((name) => graph[name]);
    const run = await ws.nx(['run-many', '-t', 'image-default', 'keys-default', 'lock-default', 'image', '--parallel=4', `--projects=${projects.join(',')}`]);
    ctx = { ws, graphOutput: plain(graphRun.all), runOutput: plain(run.all), graph, sections: taskSections(run.all) };
    if (process.env.HOSTILE_DEBUG) writeFileSync(`${process.env.HOSTILE_DEBUG}.inference`, `${ctx.graphOutput}\n=====RUN\n${ctx.runOutput}`);
  });

  afterAll(() => {
    // Only the images of this file's projects (their task-hash tags too): the engine is shared.
    const mine = new Set([...CASES.map((c) => c.id), 'h-ok', 'evil', 'twin', 'twin-hostile-twin-b']);
    const tags = docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter((tag) => mine.has(tag.split(':')[0]));
    for (const tag of tags) dockerSucceeds(['image', 'rm', '--force', tag]);
    disposeWorkspaces();
  });

  /** What a case leaves of its own when it fails: no image metadata. */
  function expectNothingOfItsOwn(testCase: Case): void {
    if (!testCase.works && !testCase.warnsOnly && testCase.message) {
      // A case that fails leaves no image metadata of its own.
      expect(ws.exists(`dist/hostile/${testCase.id}/images`)).toBe(false);
    }
  }

  for (const testCase of CASES) {
    it(`[${testCase.category}] ${testCase.title}`, () => {
      const name = testCase.project ?? testCase.id;
      const node = ctx.graph[name];
      if (testCase.works) {
        expect(node, `${name} is in the graph`).toBeDefined();
        const mine = Object.keys(ctx.sections).filter((task) => task.startsWith(`${name}:`));
        expect(mine.length, ctx.runOutput.slice(-3000)).toBeGreaterThan(0);
        expect(failedTasks(ctx.runOutput).filter((task) => task.startsWith(`${name}:`))).toEqual([]);
        expect(ctx.graphOutput).not.toContain(`hostile/${testCase.id}/`);
      }
      if (testCase.message) {
        const graphText = [ctx.graphOutput, ...Object.values(node?.data.targets ?? {}).map((target) => target.options?.error ?? '')].join('\n');
        const runText = Object.entries(ctx.sections)
          .filter(([task]) => task.startsWith(`${name}:`))
          .map(([, text]) => text)
          .join('\n');
        const where = testCase.where ?? 'either';
        const text = where === 'graph' ? graphText : where === 'run' ? runText : `${graphText}\n${runText}`;
        expect(text, `expected ${testCase.message} in the ${where} output:\n${(where === 'run' ? runText : graphText).slice(-4000)}`).toMatch(testCase.message);
      }
      expectNothingOfItsOwn(testCase);
      testCase.check?.(ctx);
    });
  }

  it('the healthy projects still infer and ran; nothing lost, left behind or executed', () => {
    for (const name of HEALTHY) expect(ctx.graph[name], `${name} is still in the graph`).toBeDefined();
    expect(Object.keys(ctx.graph['ml-service'].data.targets)).toEqual(expect.arrayContaining(['image-prod-cu124', 'wheel-flash-attn-cu128', 'keys-cu124']));
    expect(Object.keys(ctx.graph['h-ok'].data.targets)).toEqual(expect.arrayContaining(['keys-default', 'image-default']));
    expect(failedTasks(ctx.runOutput).filter((task) => task.startsWith('h-ok:'))).toEqual([]);
    expect(ctx.sections['h-ok:image-default'], ctx.runOutput.slice(-4000)).toMatch(/already in the default engine|loaded h-ok:app-default/);
    const distNow = treeSnapshot(join(ws.root, 'dist'));
    for (const [file, hash] of Object.entries(distBefore)) expect(distNow[file], `dist/${file} intact`).toBe(hash);
    expect(leftoverTempFolders(ws.root)).toEqual([]);
    expect(pluginTempEntries().filter((name) => !tempBefore.includes(name))).toEqual([]);
    for (let n = 1; n <= 10; n++) expect(existsSync(PWNED(n)), `${PWNED(n)} was created: a command was executed`).toBe(false);
  });

  it('[names] the healthy services still run their lock and keys targets beside every broken project', async () => {
    const result = await ws.nx(['run', 'ml-service:keys-cu128']);
    expect(result.exitCode, result.all).toBe(0);
    expect(JSON.parse(ws.read('dist/services/ml-service/keys/cu128-build.json')).buildArgs).toMatchObject({ TORCH_BACKEND: 'cu128' });
    expect(leftoverTempFolders(ws.root)).toEqual([]);
  });
});
