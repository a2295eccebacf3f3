import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join, posix } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NX_VERSION, REPO_ROOT, git } from '../tools/example-workspace.mjs';
import { splitCommandLine, tourCommands, tourSection, type TourCommand } from './support/tour/readme-tour';
import { plain } from './support/output';
import { dryRunArgv, failedTasks, installUvStandIn, runArgv, type Ran } from './support/tour/run';
import { disposeLater, disposeWorkspaces, nxEnv } from './support/workspace';

/**
 * Issue 14: the README's five-minute tour, run as written. The commands are not copied here: they are read from
 * README.md between `<!-- tour:start -->` and `<!-- tour:end -->` (every line of its ```sh blocks, comments
 * stripped, `&&` chains split into argv arrays, never a shell string) and executed one by one in a fresh Nx
 * workspace, so a renamed generator, a wrong option or a tarball name that npm pack no longer produces fails here.
 * After each command the test checks what the tour's comments promise.
 *
 * What this machine cannot do, and what the test does instead (each also said where it happens):
 * - `npm ci && npm run build` (in this repository) are not run: `npm ci` would delete the node_modules that the
 *   other e2e files and engineers' runs use, and the e2e target's `dependsOn` has already built the plugin
 *   (`npm run build` here would rebuild packages/nx-uv-cuda/dist under other running tests). The test checks that
 *   both would work: a package-lock.json for `npm ci`, the `build` script and its output for `npm run build`.
 * - `npm pack ... --pack-destination /tmp` runs as written, with the destination moved to this test's temporary
 *   folder (a shared /tmp may hold another run's tarball); the `npm install` line gets the same folder, and its
 *   file name stays README's: it must be the one npm pack produced.
 * - `nx add nx-uv-cuda` is skipped because README marks it "(once published)" (the package is not on the npm
 *   registry); the test fails if that marker goes. Its promises (init registers the plugin, ignores dist/ and
 *   .nx/, prints what it infers) are checked on `nx g nx-uv-cuda:init`, which README says is what `nx add` runs.
 * - `uv lock` runs as written against a stand-in `uv` on PATH (e2e/support/tour/uv-stand-in.mjs): there is no uv
 *   binary here and PyPI and the PyTorch indexes are unreachable. The stand-in writes the ml-monorepo fixture's
 *   lock adapted to the generated project (name, source, requires-python), which is what the plugin reads.
 * - The build commands (`nx run ml-service:image-prod`, `nx affected -t image`) run as written, but no engine here
 *   can build the generated Dockerfile (nvidia/cuda and ghcr.io/astral-sh/uv cannot be pulled, PyPI is
 *   unreachable). They run with DOCKER_HOST at a socket that does not exist, so the result is the same whether or
 *   not a Docker engine runs on the machine: every task before the first docker build (lock slices, build keys)
 *   must succeed, and the run must stop at the executors' engine check with its message. Nx does not pass
 *   `--dryRun` from an aggregate target (`image-prod`, `image`) to the targets it depends on, so the command's own
 *   task graph (`--graph=file.json` appended) names the wheel and image tasks, and those run with `--dryRun`:
 *   their printed `docker buildx build` argv is checked (Dockerfile, stage, backend build args, wheel hand-over).
 */

/** README.md, or the file NX_UV_CUDA_TOUR_README names (to try this test on an edited copy without touching README). */
const README = readFileSync(process.env.NX_UV_CUDA_TOUR_README || join(REPO_ROOT, 'README.md'), 'utf8');
const TOUR_TEXT = tourSection(README).text;
const TOUR = tourCommands(README);
const PLUGIN_DIR = join(REPO_ROOT, 'packages', 'nx-uv-cuda');
const PLUGIN_MANIFEST = JSON.parse(readFileSync(join(PLUGIN_DIR, 'package.json'), 'utf8')) as { name: string; version: string; main: string };
/** The target prefixes `nx show project` must list per backend (README: "lock-, keys-, ..., smoke-<backend>"). */
const PER_BACKEND_PREFIXES = ['lock-', 'keys-', 'wheel-flash-attn-', 'image-dev-', 'image-prod-', 'smoke-'];
const DOCKER_EXECUTORS = new Set(['nx-uv-cuda:wheel', 'nx-uv-cuda:image', 'nx-uv-cuda:smoke', 'nx-uv-cuda:run']);
const DRY_RUN_EXECUTORS = new Set(['nx-uv-cuda:wheel', 'nx-uv-cuda:image']);
const ENGINE_CHECK = /The Docker daemon is not answering|The docker CLI is not on PATH/;
/** README's own table of each backend's CUDA_VERSION ("cu124 → 12.4.1, ..."). */
const CUDA_VERSIONS = Object.fromEntries([...README.matchAll(/\b(cu\d{3}) → (\d+\.\d+\.\d+)/g)].map((match) => [match[1], match[2]]));

const label = (command: TourCommand) => `README.md:${command.line}: ${command.argv.join(' ')}`;
const isNx = (command: TourCommand, ...words: string[]) => command.argv[0] === 'nx' && words.every((word, i) => command.argv[i + 1] === word);
const inRepository = (command: TourCommand) => /\bin this repository\b/.test(command.comment);

describe('the README tour, as this test reads it', () => {
  it('holds sh commands of npm, nx and uv only, each line split at `&&`', () => {
    expect(TOUR.length).toBeGreaterThan(0);
    expect(TOUR.filter((command) => !['npm', 'nx', 'uv'].includes(command.argv[0])).map(label)).toEqual([]);
    expect(splitCommandLine('a b && c "d e" # x y').commands).toEqual([['a', 'b'], ['c', 'd e']]);
    expect(splitCommandLine('a b && c "d e" # x y').comment).toBe('x y');
    for (const shell of ['a | b', 'a > f', 'a; b', 'a $X', 'a && ', 'a *.whl', 'cd ~/x']) {
      expect(() => splitCommandLine(shell), shell).toThrow(/plain argv only/);
    }
  });

  it('reads a comment-only line as the rest of the comment above it', () => {
    const add = TOUR.find((command) => isNx(command, 'add'));
    expect(add?.comment).toMatch(/^\(once published\) installs the plugin; .* prints what it infers$/);
  });

  it('has a CUDA version for every backend it generates (README: cu124 → 12.4.1, ...)', () => {
    const service = TOUR.find((command) => isNx(command, 'g', 'nx-uv-cuda:service'));
    for (const backend of backendsOf(service?.argv ?? [])) expect(CUDA_VERSIONS, backend).toHaveProperty(backend);
  });
});

function backendsOf(argv: string[]): string[] {
  const index = argv.findIndex((arg) => arg === '--backends' || arg.startsWith('--backends='));
  if (index < 0) return [];
  const value = argv[index].includes('=') ? argv[index].slice('--backends='.length) : argv[index + 1];
  return value.split(',').map((backend) => backend.trim()).filter(Boolean);
}

interface TaskGraph {
  tasks: Record<string, { id: string; target: { project: string; target: string }; outputs: string[] }>;
  dependencies: Record<string, Array<string | { id: string }>>;
}

interface TaskRun {
  graph: TaskGraph;
  executors: Record<string, string>;
  dockerTasks: string[];
  argv: Record<string, string>;
}

describe('the README tour, run as written in a fresh Nx workspace', () => {
  let tmp: string;
  let ws: string;
  let packDir: string;
  let uvLog: string;
  let binDir: string;
  let noEngine: string;
  let broken: string | undefined;
  const done: string[] = [];
  const state: {
    readmePackDestination?: string;
    tarball?: string;
    service?: { name: string; root: string; backends: string[]; dockerfile: string };
    prodTags?: Record<string, string>;
    keys?: Record<string, string>;
  } = {};

  beforeAll(() => {
    tmp = realpathSync(disposeLater(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-tour-'))));
    ws = join(tmp, 'workspace');
    packDir = join(tmp, 'pack');
    binDir = join(tmp, 'bin');
    uvLog = join(tmp, 'uv-calls.jsonl');
    noEngine = `unix://${join(tmp, 'no-docker-engine.sock')}`;
    mkdirSync(ws, { recursive: true });
    mkdirSync(packDir, { recursive: true });
    installUvStandIn(binDir);
    // "In any Nx workspace": the smallest one, as `npx create-nx-workspace` leaves it (nx.json, nx in
    // devDependencies), in git on main. node_modules comes from the tour's own `npm install`.
    writeFileSync(join(ws, 'package.json'), `${JSON.stringify({ name: 'tour', private: true, devDependencies: { nx: NX_VERSION } }, null, 2)}\n`);
    writeFileSync(join(ws, 'nx.json'), `${JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json', defaultBase: 'main' }, null, 2)}\n`);
    writeFileSync(join(ws, '.gitignore'), 'node_modules\n');
    git(ws, ['init', '-q', '-b', 'main']);
    commitAll('an empty Nx workspace');
  });

  afterAll(() => disposeWorkspaces());

  function commitAll(message: string) {
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-q', '--allow-empty', '-m', message]);
  }

  /**
   * A reader's shell: the inherited environment less what a runner above this test set for its own task (Nx's
   * NX_* task variables, npm's script variables; npm settings such as a registry mirror stay), the stand-in uv first
   * on PATH, and nx as every e2e test runs it (no daemon, no cloud, the cache in the workspace).
   */
  function env(extra: Record<string, string> = {}): Record<string, string> {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && !/^(NX_|npm_lifecycle_|npm_package_)/.test(entry[0]),
      ),
    );
    return {
      ...inherited,
      ...nxEnv(ws),
      PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`,
      // npm settings, not options on its command line, which stays README's: what npm's cache holds is not fetched again.
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      NX_UV_CUDA_TOUR_UV_LOG: uvLog,
      ...extra,
    };
  }

  const run = (argv: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string>; stdoutApart?: boolean } = {}) =>
    runArgv(argv, {
      cwd: options.cwd ?? ws,
      env: options.env ?? env(),
      timeoutMs: options.timeoutMs ?? 180_000,
      nxRoot: ws,
      logDir: join(tmp, 'logs'),
      stdoutApart: options.stdoutApart,
    });

  const succeeded = (ran: Ran) => expect(ran.exitCode, `${ran.argv.join(' ')}\n${plain(ran.output)}`).toBe(0);

  async function projectTargets(project: string): Promise<Record<string, { executor?: string; dependsOn?: unknown[] }>> {
    const shown = await run(['nx', 'show', 'project', project, '--json'], { stdoutApart: true });
    succeeded(shown);
    return JSON.parse(shown.stdout).targets;
  }

  /** Every file under dist/<root>/keys, by name: what the image and wheel tasks hash. */
  function keyFiles(root: string): Record<string, string> {
    const dir = join(ws, 'dist', root, 'keys');
    return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
  }

  const dependsOn = (graph: TaskGraph, id: string) => (graph.dependencies[id] ?? []).map((dep) => (typeof dep === 'string' ? dep : dep.id));

  /**
   * A task-running command (`nx run`, `nx affected`, `nx run-many`) as written: its task graph first
   * (`--graph=file.json`, nothing runs), then the command itself, with no engine when the graph holds docker tasks,
   * then those tasks with `--dryRun`.
   */
  async function runTasks(command: TourCommand): Promise<TaskRun> {
    const graphFile = join(tmp, `graph-${command.line}-${command.link}.json`);
    succeeded(await run([...command.argv, `--graph=${graphFile}`]));
    const graph = (JSON.parse(readFileSync(graphFile, 'utf8')) as { tasks: TaskGraph }).tasks;
    const executors: Record<string, string> = {};
    for (const project of new Set(Object.values(graph.tasks).map((task) => task.target.project))) {
      for (const [target, config] of Object.entries(await projectTargets(project))) executors[`${project}:${target}`] = config.executor ?? '';
    }
    const ids = Object.keys(graph.tasks).sort();
    const dockerTasks = ids.filter((id) => DOCKER_EXECUTORS.has(executors[id]));

    const ran = await run(command.argv, dockerTasks.length > 0 ? { env: env({ DOCKER_HOST: noEngine }) } : {});
    const output = plain(ran.output);
    if (dockerTasks.length === 0) {
      succeeded(ran);
    } else {
      // No engine (DOCKER_HOST points at nothing): everything up to the first docker build runs, then the engine check stops it.
      expect(ran.timedOut, output).toBe(false);
      expect(ran.exitCode, output).not.toBe(0);
      expect(output).toMatch(ENGINE_CHECK);
      const failed = failedTasks(output);
      expect(failed.length, output).toBeGreaterThan(0);
      expect(failed.filter((id) => !dockerTasks.includes(id)), output).toEqual([]);
      // Every task that no docker task comes before ran and wrote its outputs (the lock slices and build keys).
      const afterDocker = (id: string): boolean => dependsOn(graph, id).some((dep) => dockerTasks.includes(dep) || afterDocker(dep));
      for (const id of ids.filter((task) => !dockerTasks.includes(task) && !afterDocker(task))) {
        for (const path of graph.tasks[id].outputs) expect(existsSync(join(ws, path)), `${id} wrote ${path}\n${output}`).toBe(true);
      }
      for (const id of dockerTasks) {
        for (const path of graph.tasks[id].outputs) expect(existsSync(join(ws, path)), `${id} wrote nothing (${path})`).toBe(false);
      }
    }

    const dryRunnable = dockerTasks.filter((id) => DRY_RUN_EXECUTORS.has(executors[id]));
    const argv: Record<string, string> = {};
    if (dryRunnable.length > 0) {
      const projects = [...new Set(dryRunnable.map((id) => graph.tasks[id].target.project))];
      const targets = [...new Set(dryRunnable.map((id) => graph.tasks[id].target.target))];
      const dry = await run(['nx', 'run-many', '-p', projects.join(','), '-t', ...targets, '--dryRun', '--outputStyle=static'], {
        env: env({ DOCKER_HOST: noEngine }),
      });
      succeeded(dry);
      const printed = dryRunArgv(dry.output);
      for (const id of dryRunnable) {
        expect(printed[id], `${id} printed one docker buildx build argv\n${plain(dry.output)}`).toHaveLength(1);
        argv[id] = printed[id][0];
      }
      expect(plain(dry.output)).toMatch(/dry run: nothing was/);
    }
    return { graph, executors, dockerTasks, argv };
  }

  const tasksOf = (tasks: TaskRun, executor: string) => Object.keys(tasks.graph.tasks).filter((id) => tasks.executors[id] === executor).sort();
  const hashTags = (tasks: TaskRun) =>
    Object.fromEntries(
      Object.entries(tasks.argv).flatMap(([id, argv]) => [...argv.matchAll(/--tag (\S+-nx\w+)/g)].map((match) => [id, match[1]])),
    );

  interface Step {
    id: string;
    matches(command: TourCommand): boolean;
    run(command: TourCommand): Promise<void> | void;
  }

  const steps: Step[] = [
    {
      id: 'npm ci',
      matches: (command) => command.argv[0] === 'npm' && command.argv[1] === 'ci',
      // Not run (see the top of this file): it would wipe this repository's node_modules. What it needs is there.
      run: (command) => {
        expect(inRepository(command), 'README runs `npm ci` "in this repository"').toBe(true);
        expect(command.argv).toEqual(['npm', 'ci']);
        expect(existsSync(join(REPO_ROOT, 'package-lock.json')), '`npm ci` needs package-lock.json').toBe(true);
      },
    },
    {
      id: 'npm run build',
      matches: (command) => command.argv[0] === 'npm' && command.argv[1] === 'run',
      // Not run (see the top of this file): the e2e target's dependsOn built the plugin. The script exists and built it.
      run: (command) => {
        expect(inRepository(command), 'README runs `npm run` "in this repository"').toBe(true);
        expect(command.argv).toEqual(['npm', 'run', 'build']);
        const scripts = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
        expect(scripts).toHaveProperty('build');
        expect(existsSync(join(PLUGIN_DIR, PLUGIN_MANIFEST.main)), `${PLUGIN_MANIFEST.main} is built`).toBe(true);
      },
    },
    {
      id: 'npm pack',
      matches: (command) => command.argv[0] === 'npm' && command.argv[1] === 'pack',
      run: async (command) => {
        expect(inRepository(command), 'README runs `npm pack` "in this repository"').toBe(true);
        // As written, with --pack-destination moved to this test's folder.
        const at = command.argv.findIndex((arg) => arg === '--pack-destination' || arg.startsWith('--pack-destination='));
        expect(at, 'the npm pack line names --pack-destination').toBeGreaterThan(0);
        const inline = command.argv[at].includes('=');
        state.readmePackDestination = inline ? command.argv[at].slice('--pack-destination='.length) : command.argv[at + 1];
        const argv = [...command.argv];
        if (inline) argv[at] = `--pack-destination=${packDir}`;
        else argv[at + 1] = packDir;
        succeeded(await run(argv, { cwd: REPO_ROOT }));
        const tarballs = readdirSync(packDir).filter((name) => name.endsWith('.tgz'));
        expect(tarballs).toHaveLength(1);
        state.tarball = tarballs[0];
        expect(state.tarball).toBe(`${PLUGIN_MANIFEST.name}-${PLUGIN_MANIFEST.version}.tgz`);
      },
    },
    {
      id: 'npm install',
      matches: (command) => command.argv[0] === 'npm' && ['install', 'i', 'add'].includes(command.argv[1]),
      run: async (command) => {
        expect(inRepository(command)).toBe(false);
        const at = command.argv.findIndex((arg) => arg.endsWith('.tgz'));
        expect(at, 'the npm install line installs a .tgz').toBeGreaterThan(1);
        const written = command.argv[at];
        expect(state.readmePackDestination, 'npm pack ran before').toBeDefined();
        expect(posix.dirname(written), 'README installs from its npm pack destination').toBe(state.readmePackDestination!.replace(/\/+$/, ''));
        expect(basename(written), `README installs ${basename(written)}, npm pack produced ${state.tarball}`).toBe(state.tarball);
        const argv = [...command.argv];
        argv[at] = join(packDir, basename(written));
        succeeded(await run(argv, { timeoutMs: 360_000 }));
        const installed = JSON.parse(readFileSync(join(ws, 'node_modules', 'nx-uv-cuda', 'package.json'), 'utf8'));
        expect(installed.version).toBe(PLUGIN_MANIFEST.version);
        if (command.argv.includes('--save-dev') || command.argv.includes('-D')) {
          expect(JSON.parse(readFileSync(join(ws, 'package.json'), 'utf8')).devDependencies).toHaveProperty('nx-uv-cuda');
        }
      },
    },
    {
      id: 'nx add (once published)',
      matches: (command) => isNx(command, 'add'),
      // Skipped, by README's marker: the package is not on the npm registry yet. The marker must stay while that holds.
      run: (command) => {
        expect(command.comment, 'README marks `nx add` "(once published)"').toMatch(/\(once published\)/);
        expect(TOUR_TEXT).toMatch(/not on the npm registry yet/);
        expect(command.argv).toEqual(['nx', 'add', PLUGIN_MANIFEST.name]);
      },
    },
    {
      id: 'nx g nx-uv-cuda:init',
      matches: (command) => (isNx(command, 'g') || isNx(command, 'generate')) && command.argv[2] === 'nx-uv-cuda:init',
      run: async (command) => {
        const ran = await run(command.argv);
        succeeded(ran);
        // What README says init does (on the `nx add` line): registers the plugin, ignores dist/ and .nx/, prints what it infers.
        const plugins = (JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf8')).plugins ?? []) as Array<string | { plugin: string }>;
        expect(plugins.map((entry) => (typeof entry === 'string' ? entry : entry.plugin))).toContain('nx-uv-cuda');
        for (const path of ['dist/services/x/images/prod-cu124.json', '.nx/cache/x', '.nx/workspace-data/x']) {
          expect(() => git(ws, ['check-ignore', '-q', path]), `.gitignore ignores ${path}`).not.toThrow();
        }
        expect(ran.output).toContain('nx-uv-cuda: registered the plugin in nx.json');
        expect(ran.output).toContain('nx-uv-cuda: no Python project yet');
        commitAll('nx-uv-cuda: init');
      },
    },
    {
      id: 'nx g nx-uv-cuda:service',
      matches: (command) => (isNx(command, 'g') || isNx(command, 'generate')) && command.argv[2] === 'nx-uv-cuda:service',
      run: async (command) => {
        const ran = await run(command.argv);
        succeeded(ran);
        const created = /nx-uv-cuda: created (\S+) in (\S+) \(Dockerfile: (\S+)\)/.exec(plain(ran.output));
        expect(created, ran.output).not.toBeNull();
        const [, name, root, dockerfile] = created!;
        const backends = backendsOf(command.argv);
        expect(name).toBe(command.argv[3]);
        expect(backends.length).toBeGreaterThan(0);
        state.service = { name, root, backends, dockerfile };
        // "a uv service: one extra + PyTorch index per backend, prod/pyproject.toml, src/, tests/, the template Dockerfile";
        // the tour's next paragraph names that Dockerfile.
        const named = /The generated `([^`]+)`/.exec(TOUR_TEXT)?.[1];
        expect(named, 'the tour names the generated Dockerfile').toBeDefined();
        expect(dockerfile).toBe(posix.join(root, named!));
        for (const path of ['pyproject.toml', 'prod/pyproject.toml', 'src', 'tests', named!]) {
          expect(existsSync(join(ws, root, path)), `${root}/${path}`).toBe(true);
        }
        const pyproject = parseToml(readFileSync(join(ws, root, 'pyproject.toml'), 'utf8')) as any;
        expect(Object.keys(pyproject.project['optional-dependencies'])).toEqual(backends);
        expect(pyproject.tool.uv.index.map((index: { url: string }) => index.url)).toEqual(
          backends.map((backend) => `https://download.pytorch.org/whl/${backend}`),
        );
      },
    },
    {
      id: 'uv lock',
      matches: (command) => command.argv[0] === 'uv' && command.argv[1] === 'lock',
      // As written, against the stand-in uv (see the top of this file and e2e/support/tour/uv-stand-in.mjs).
      run: async (command) => {
        const ran = await run(command.argv);
        succeeded(ran);
        const calls = readFileSync(uvLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { args: string[]; cwd: string });
        expect(calls.at(-1)).toEqual({ args: command.argv.slice(1), cwd: ws });
        const at = command.argv.indexOf('--directory');
        const dir = at > 0 ? command.argv[at + 1] : '.';
        expect(existsSync(join(ws, dir, 'uv.lock')), `${dir}/uv.lock`).toBe(true);
      },
    },
    {
      id: 'nx show project',
      matches: (command) => isNx(command, 'show', 'project'),
      run: async (command) => {
        const service = state.service!;
        expect(command.argv[3]).toBe(service.name);
        const ran = await run(command.argv, { stdoutApart: true });
        succeeded(ran);
        // "lock-, keys-, wheel-flash-attn-, image-dev-, image-prod-, smoke-<backend>": each of them, for each backend.
        const promised = [...command.comment.matchAll(/(?:^|[\s,])([a-z][a-z-]*-)(?=,|<backend>|\s)/g)].map((match) => match[1]);
        expect(promised).toEqual(expect.arrayContaining(PER_BACKEND_PREFIXES));
        const targets = await projectTargets(service.name);
        for (const backend of service.backends) {
          for (const prefix of promised) {
            expect(targets, `${prefix}${backend}`).toHaveProperty(`${prefix}${backend}`);
            expect(ran.stdout, `nx show project lists ${prefix}${backend}`).toContain(`${prefix}${backend}`);
          }
        }
      },
    },
    {
      id: 'nx run <service>:image-prod',
      matches: (command) => isNx(command, 'run') && /:image-prod$/.test(command.argv[2] ?? ''),
      run: async (command) => {
        const { name, root, backends, dockerfile } = state.service!;
        expect(command.argv).toEqual(['nx', 'run', `${name}:image-prod`]);
        const tasks = await runTasks(command);
        // "flash-attn compiled once per backend, then both prod images".
        expect(tasksOf(tasks, 'nx-uv-cuda:wheel')).toEqual(backends.map((backend) => `${name}:wheel-flash-attn-${backend}`).sort());
        expect(tasksOf(tasks, 'nx-uv-cuda:image')).toEqual(backends.map((backend) => `${name}:image-prod-${backend}`).sort());
        for (const backend of backends) {
          const wheel = tasks.argv[`${name}:wheel-flash-attn-${backend}`];
          const image = tasks.argv[`${name}:image-prod-${backend}`];
          expect(dependsOn(tasks.graph, `${name}:image-prod-${backend}`)).toContain(`${name}:wheel-flash-attn-${backend}`);
          for (const argv of [wheel, image]) {
            expect(argv).toContain(`--file ${join(ws, dockerfile)} `);
            expect(argv).toContain(`--build-arg TORCH_BACKEND=${backend} `);
            expect(argv).toContain(`--build-arg CUDA_VERSION=${CUDA_VERSIONS[backend]} `);
            expect(argv).toMatch(new RegExp(` ${join(ws, root).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
          }
          expect(wheel).toContain('--target wheels ');
          expect(wheel).toContain(`--output type=local,dest=${join(ws, 'dist', root, 'wheels', backend)}`);
          expect(image).toContain('--target prod ');
          expect(image).toContain(`--build-context wheels=${join(ws, 'dist', root, 'wheels', backend)} `);
          expect(image).toContain(`--tag ${name}:prod-${backend} `);
        }
        state.prodTags = hashTags(tasks);
        expect(Object.keys(state.prodTags).sort()).toEqual(backends.map((backend) => `${name}:image-prod-${backend}`).sort());
        state.keys = keyFiles(root);
      },
    },
    {
      id: 'nx affected -t image',
      matches: (command) => isNx(command, 'affected'),
      run: async (command) => {
        const { name, root, backends } = state.service!;
        expect(command.argv).toEqual(['nx', 'affected', '-t', 'image']);
        // "after a change": the tour so far, committed; then a change outside every project affects no image ...
        commitAll('the tour: ml-service and its locks');
        writeFileSync(join(ws, 'NOTES.md'), 'not part of any project\n');
        const graphFile = join(tmp, 'graph-unrelated-change.json');
        succeeded(await run([...command.argv, `--graph=${graphFile}`]));
        expect(Object.keys((JSON.parse(readFileSync(graphFile, 'utf8')) as { tasks: TaskGraph }).tasks.tasks)).toEqual([]);
        rmSync(join(ws, 'NOTES.md'));
        // ... and one to the service's tests/, which only its dev images copy.
        const test = join(ws, root, 'tests', readdirSync(join(ws, root, 'tests')).find((file) => file.endsWith('.py'))!);
        writeFileSync(test, `${readFileSync(test, 'utf8')}\n# a change that only the dev images copy\n`);

        const tasks = await runTasks(command);
        expect(tasksOf(tasks, 'nx-uv-cuda:image')).toEqual(
          backends.flatMap((backend) => [`${name}:image-dev-${backend}`, `${name}:image-prod-${backend}`]).sort(),
        );
        for (const backend of backends) {
          expect(tasks.argv[`${name}:image-dev-${backend}`]).toContain('--target dev ');
          expect(tasks.argv[`${name}:image-dev-${backend}`]).toContain(`--tag ${name}:dev-${backend} `);
        }
        // "only the images it can alter": the prod images' and the wheels' keys, and so the prod task hashes that tag
        // their images, are those of before: the image executor finds those images and builds only the dev ones.
        const keys = keyFiles(root);
        for (const backend of backends) {
          expect(keys[`${backend}-dev.json`], `${backend}-dev.json changed`).not.toBe(state.keys![`${backend}-dev.json`]);
          expect(keys[`${backend}-prod.json`], `${backend}-prod.json unchanged`).toBe(state.keys![`${backend}-prod.json`]);
          expect(keys[`${backend}-wheel.json`], `${backend}-wheel.json unchanged`).toBe(state.keys![`${backend}-wheel.json`]);
        }
        const tags = hashTags(tasks);
        for (const [id, tag] of Object.entries(state.prodTags!)) expect(tags[id], id).toBe(tag);
      },
    },
    {
      id: 'nx (as written)',
      // Any other nx command of the tour runs as written and must succeed; one that runs tasks, as runTasks says.
      matches: (command) => command.argv[0] === 'nx',
      run: async (command) => {
        if (['run', 'run-many', 'affected'].includes(command.argv[1])) await runTasks(command);
        else succeeded(await run(command.argv));
      },
    },
  ];

  for (const command of TOUR) {
    it(label(command), async (context) => {
      if (broken) context.skip(`an earlier tour command failed: ${broken}`);
      const step = steps.find((candidate) => candidate.matches(command));
      try {
        expect(step, `${label(command)}: a tour command this test does not know how to run here`).toBeDefined();
        await step!.run(command);
        done.push(step!.id);
      } catch (error) {
        broken = label(command);
        throw error;
      }
    }, 420_000);
  }

  it('ran every step of the tour, each once, in order (README and this test moved together)', () => {
    expect(done).toEqual([
      'npm ci',
      'npm run build',
      'npm pack',
      'npm install',
      'nx g nx-uv-cuda:init',
      'nx add (once published)',
      'nx g nx-uv-cuda:service',
      'uv lock',
      'uv lock',
      'nx show project',
      'nx run <service>:image-prod',
      'nx affected -t image',
    ]);
  });
});
