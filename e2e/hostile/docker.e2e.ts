import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nxBin } from '../../tools/example-workspace.mjs';
import { freePort } from '../../tools/free-port.mjs';
import { REGISTRY_HOST, buildsThatRan, docker, dockerSucceeds, provisionDocker, registrySnapshot, treeSnapshot } from '../support/docker';
import { startRemoteCache, type RemoteCache } from '../support/nx-cache';
import { createWorkspace, disposeLater, disposeWorkspaces, nxEnv, type NxResult, type Workspace } from '../support/workspace';
import {
  MAKE_WHEEL_PY,
  SIMPLE_DOCKERFILE,
  addProject,
  failedTasks,
  taskSections,
  canary,
  expectNowhere,
  filesHolding,
  leftoverTempFolders,
  plain,
  pluginTempEntries,
  waitFor,
  wheelDockerfile,
} from './support';

/**
 * Hostile input that reaches Docker: credentials and secrets that must leak nowhere, engines and registries that
 * are not there or refuse, interrupted and concurrent wheel compiles, corrupt wheel stores, symlinks out of the
 * workspace. Small standalone projects (python:3.12-slim, a stand-in wheel that "compiles" with a sleep) keep every
 * build to seconds. Every nx run shares one real Nx remote cache, which is grepped for every secret.
 */
const ID = Date.now().toString(36);
const NAMESPACE = `hostile-${ID}`;
const REGISTRY = `${REGISTRY_HOST}/${NAMESPACE}`;
const WHEEL = 'flash_attn-2.7.4-py3-none-any.whl';
const STORE = '.nx/workspace-data/nx-uv-cuda/wheels';

let cache: RemoteCache | undefined;
let refusing: Server | undefined;
const projects = new Set<string>();

afterAll(() => {
  cache?.stop();
  refusing?.close();
  const tags = docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter((tag) => projects.has(tag.split(':')[0]));
  for (const tag of tags) dockerSucceeds(['image', 'rm', '--force', tag]);
  disposeWorkspaces();
});

describe('hostile input against the real engine, registry and remote cache', () => {
  let ws: Workspace;
  let closedPort: number;
  let refusingPort: number;
  const outputs: string[] = [];

  /** Every nx command of this file: with the remote cache, its output kept for the leak checks. */
  async function nx(args: string[], env: Record<string, string | undefined> = {}): Promise<NxResult & { text: string }> {
    const result = await ws.nx(args, { env: { ...cache!.env('read-write'), ...env } as Record<string, string> });
    const text = plain(result.all);
    outputs.push(text);
    if (process.env.HOSTILE_DEBUG) writeFileSync(process.env.HOSTILE_DEBUG, `\n=====> nx ${args.join(' ')}\n${text}`, { flag: 'a' });
    return { ...result, text };
  }

  const tempBefore = pluginTempEntries();

  function expectClean(): void {
    expect(leftoverTempFolders(ws.root)).toEqual([]);
    expect(pluginTempEntries().filter((name) => !tempBefore.includes(name))).toEqual([]);
  }

  /** The healthy project still infers and builds (its image is in the engine already: cheap). */
  async function expectHealthyStillWorks(): Promise<void> {
    const result = await nx(['run', 'h-ok:image-default']);
    expect(result.exitCode, result.text).toBe(0);
    expect(result.text).toMatch(/already in the default engine|loaded h-ok:app-default/);
  }

  /**
   * Runs a hostile project's target and the healthy project's image in one nx command: the rest of the graph
   * must still work beside it (its image is in the engine already: cheap).
   */
  async function nxBeside(task: string, flags: string[] = [], env: Record<string, string | undefined> = {}) {
    const [project, target] = [task.slice(0, task.lastIndexOf(':')), task.slice(task.lastIndexOf(':') + 1)];
    const targets = target === 'image-default' ? [target] : [target, 'image-default'];
    const result = await nx(['run-many', '-t', ...targets, `--projects=${project},h-ok`, ...flags], env);
    const failed = failedTasks(result.text);
    expect(failed.filter((name) => name.startsWith('h-ok:')), result.text.slice(-3000)).toEqual([]);
    expect(taskSections(result.text)['h-ok:image-default'], result.text.slice(-3000)).toMatch(/already in the default engine|loaded h-ok:app-default/);
    return { ...result, failed };
  }

  function add(name: string, files: Parameters<typeof addProject>[2] = {}): string {
    projects.add(name);
    return addProject(ws, name, files);
  }

  const withProjectJson = (name: string, targets: Record<string, unknown>) =>
    ws.write(`hostile/${name}/project.json`, JSON.stringify({ name, targets }, null, 2));

  const secret = {
    wheel: canary('wheel-secret'),
    registryPassword: canary('registry-pass'),
    builderPassword: canary('builder-pass'),
    cachePassword: canary('cache-pass'),
    gitToken: canary('git-token'),
    hfPyproject: canary('hf-pyproject'),
    hf1: canary('hf-env-one'),
    hf2: canary('hf-env-two'),
  };

  beforeAll(async () => {
    provisionDocker();
    cache = await startRemoteCache();
    closedPort = await freePort();
    refusingPort = await freePort();
    refusing = createServer((_request, response) => {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'hostile test registry refuses everything' }] }));
    });
    await new Promise<void>((resolve) => refusing!.listen(refusingPort, '127.0.0.1', resolve));

    ws = createWorkspace({ fixture: 'ml-monorepo' });
    add('h-ok');
    // Secrets and token-like build args.
    add('w-secret', { extraFiles: { 'make_wheel.py': MAKE_WHEEL_PY }, dockerfile: wheelDockerfile({ wheelPrelude: ['RUN --mount=type=secret,id=canary,required=true test -s /run/secrets/canary'] }) });
    withProjectJson('w-secret', { 'wheel-flash-attn-default': { options: { secrets: ['id=canary,env=HOSTILE_SECRET_CANARY'] } } });
    add('w-hf', { dockerfile: `${SIMPLE_DOCKERFILE}ARG HF_TOKEN\nRUN test -n "$HF_TOKEN" && echo "a token was passed"\n` });
    add('w-hf-pyproject', {
      dockerfile: `${SIMPLE_DOCKERFILE}ARG HF_TOKEN\n`,
      tables: `[tool.nx-uv-cuda]\nbuild-args = { HF_TOKEN = "${secret.hfPyproject}" }\n`,
    });
    // Credentials in every option that takes a URL or host.
    add('cred-registry', { tables: `[tool.nx-uv-cuda]\nregistry = "user:${secret.registryPassword}@${REGISTRY}"\n` });
    add('cred-builder', { tables: `[tool.nx-uv-cuda]\nbuilders = { image = { host = "tcp://user:${secret.builderPassword}@127.0.0.1:${closedPort}" } }\n` });
    add('cred-cache');
    const cacheRef = `type=registry,ref=user:${secret.cachePassword}@${REGISTRY}/cred-cache:buildcache`;
    withProjectJson('cred-cache', { 'image-default': { options: { cacheFrom: [cacheRef], cacheTo: [`${cacheRef},mode=max`] } } });
    add('cred-git');
    // Engines and registries that are not there or refuse.
    add('eng-host');
    add('eng-builder', { tables: `[tool.nx-uv-cuda]\nbuilders = { image = { host = "tcp://127.0.0.1:${closedPort}" } }\n` });
    add('reg-closed', { tables: `[tool.nx-uv-cuda]\nregistry = "127.0.0.1:${closedPort}/hostile"\n` });
    add('reg-refusing', { tables: `[tool.nx-uv-cuda]\nregistry = "127.0.0.1:${refusingPort}/hostile"\n` });
    // Wheel compiles: interrupted, concurrent, corrupt stores.
    add('w-int', { extraFiles: { 'make_wheel.py': MAKE_WHEEL_PY }, dockerfile: wheelDockerfile(), tables: '[tool.nx-uv-cuda]\nbuild-args = { COMPILE_SECONDS = "90" }\n' });
    // A compile length no earlier run used: BuildKit's cache must not make it instant, or nothing would wait.
    const concurrentSeconds = `6.${Date.now() % 1000}`;
    add('w-conc', {
      extraFiles: { 'make_wheel.py': MAKE_WHEEL_PY },
      dockerfile: wheelDockerfile(),
      tables: `[tool.nx-uv-cuda]\nbuild-args = { COMPILE_SECONDS = "${concurrentSeconds}", FLASH_ATTN_VERSION = "2.7.5" }\n`,
    });
    add('w-store', { extraFiles: { 'make_wheel.py': MAKE_WHEEL_PY }, dockerfile: wheelDockerfile(), tables: '[tool.nx-uv-cuda]\nbuild-args = { FLASH_ATTN_VERSION = "2.7.6" }\n' });
    add('w-regstore', {
      extraFiles: { 'make_wheel.py': MAKE_WHEEL_PY }, dockerfile: wheelDockerfile(),
      tables: `[tool.nx-uv-cuda]\nregistry = "${REGISTRY}"\nbuild-args = { FLASH_ATTN_VERSION = "2.7.7" }\n`,
    });
    // A symlink in the context pointing out of the workspace.
    add('sym', { dockerfile: `${SIMPLE_DOCKERFILE}COPY data /data\n` });
    ws.commitAll('hostile docker projects');

    const first = await nx(['run', 'h-ok:image-default']);
    expect(first.exitCode, first.text).toBe(0);
  });

  // ------------------------------------------------------------------------------------------ secrets
  it('[secrets] a required secret mount whose env variable is unset fails before any build, naming the secret and the variable', async () => {
    const result = await nxBeside('w-secret:wheel-flash-attn-default', ['--skip-nx-cache'], { HOSTILE_SECRET_CANARY: undefined });
    expect(result.failed).toContain('w-secret:wheel-flash-attn-default');
    expect(result.text).toMatch(/hostile\/w-secret\/docker\/Dockerfile:6: [^\n]*secret "canary"[^\n]*HOSTILE_SECRET_CANARY[^\n]*not set/);
    expect(buildsThatRan(result.text)).not.toContain('w-secret:wheel-flash-attn-default');
    expect(ws.exists('dist/hostile/w-secret/wheels')).toBe(false);
    expectClean();
  });

  it('[secrets] a --secret canary reaches the wheel build and no output, dist/, local or remote cache', async () => {
    const result = await nxBeside('w-secret:wheel-flash-attn-default', [], { HOSTILE_SECRET_CANARY: secret.wheel });
    expect(result.failed, result.text).toEqual([]);
    expect(readdirSync(join(ws.root, 'dist/hostile/w-secret/wheels/default'))).toEqual([WHEEL]);
    expectNowhere(secret.wheel, ws, outputs, { remote: cache!.entriesHolding(secret.wheel) });
    expect(cache!.entries().length).toBeGreaterThan(0);
    expectClean();
  });

  it('[secrets] a token-like build arg in pyproject.toml is refused: build-args.HF_TOKEN, export it instead', async () => {
    const result = await nxBeside('w-hf-pyproject:image', ['--skip-nx-cache']);
    expect(result.failed).toContain('w-hf-pyproject:image');
    expect(result.text).toMatch(/hostile\/w-hf-pyproject\/pyproject\.toml[^\n]*build-args\.HF_TOKEN[^\n]*(environment|export)/);
    expect(buildsThatRan(result.text)).not.toContain('w-hf-pyproject:image-default');
    expectNowhere(secret.hfPyproject, ws, outputs, { remote: cache!.entriesHolding(secret.hfPyproject) });
    expect(ws.exists('dist/hostile/w-hf-pyproject/images')).toBe(false);
    expectClean();
  });

  it('[secrets] HF_TOKEN from the environment reaches the build; its value is nowhere, yet it changes the keys', async () => {
    const keysText = () =>
      readdirSync(join(ws.root, 'dist/hostile/w-hf/keys'))
        .sort()
        .map((file) => ws.read(`dist/hostile/w-hf/keys/${file}`))
        .join('\n');
    const one = await nxBeside('w-hf:image-default', [], { HF_TOKEN: secret.hf1 });
    expect(one.failed, one.text).toEqual([]);
    expect(one.text).toContain('a token was passed');
    const keysOne = keysText();
    const two = await nx(['run', 'w-hf:keys-default'], { HF_TOKEN: secret.hf2 });
    expect(two.exitCode, two.text).toBe(0);
    const keysTwo = keysText();
    expect(keysTwo).not.toBe(keysOne);
    for (const value of [secret.hf1, secret.hf2]) {
      expect(keysOne + keysTwo).not.toContain(value);
      expectNowhere(value, ws, outputs, { remote: cache!.entriesHolding(value) });
    }
    expectClean();
  });

  it('[secrets] an ARG HF_TOKEN that a RUN reads is a warning that points at --secret', async () => {
    const result = await nx(['show', 'project', 'w-hf', '--json']);
    expect(result.exitCode, result.text).toBe(0);
    expect(result.text).toMatch(/hostile\/w-hf\/docker\/Dockerfile:\d+: [^\n]*HF_TOKEN[^\n]*(--secret|secret mount)/);
    await expectHealthyStillWorks();
  });

  // ------------------------------------------------------------------------------------------ credentials
  async function expectCredentialRefused(project: string, password: string, message: RegExp) {
    const distBefore = treeSnapshot(join(ws.root, 'dist'));
    const registryBefore = await registrySnapshot(NAMESPACE);
    const result = await nxBeside(`${project}:image`, ['--skip-nx-cache']);
    expectNowhere(password, ws, outputs, { remote: cache!.entriesHolding(password) });
    expect(result.failed).toContain(`${project}:image`);
    expect(result.text).toMatch(message);
    const distNow = treeSnapshot(join(ws.root, 'dist'));
    for (const [file, hash] of Object.entries(distBefore)) if (!file.startsWith('hostile/h-ok/images/')) expect(distNow[file], file).toBe(hash);
    expect(await registrySnapshot(NAMESPACE)).toEqual(registryBefore);
    expectClean();
  }

  it('[credentials] registry = "user:pass@host/ns" is refused without repeating the password', async () => {
    await expectCredentialRefused(
      'cred-registry',
      secret.registryPassword,
      /hostile\/cred-registry\/pyproject\.toml: tool\.nx-uv-cuda\.registry: a registry must not hold credentials/,
    );
  });

  it('[credentials] a builders host tcp://user:pass@... is refused without repeating the password', async () => {
    await expectCredentialRefused(
      'cred-builder',
      secret.builderPassword,
      /hostile\/cred-builder\/pyproject\.toml: tool\.nx-uv-cuda\.builders\.image[^\n]*a password in the engine host would reach logs/,
    );
  });

  it('[credentials] cacheFrom/cacheTo refs with userinfo are refused without repeating the password', async () => {
    const result = await nxBeside('cred-cache:image-default', ['--skip-nx-cache']);
    expectNowhere(secret.cachePassword, ws, outputs, { remote: cache!.entriesHolding(secret.cachePassword) });
    expect(result.failed).toContain('cred-cache:image-default');
    expect(result.text).toMatch(/options of cred-cache:image-default: cacheFrom\[0\]: a reference or URL with user:password@ would reach logs/);
    expect(result.text).toMatch(/cacheTo\[0\]: a reference or URL with user:password@ would reach logs/);
    expect(buildsThatRan(result.text)).not.toContain('cred-cache:image-default');
    expect(dockerSucceeds(['image', 'inspect', 'cred-cache:app-default'])).toBe(false);
    expectClean();
  });

  it('[credentials] a git remote https://user:TOKEN@host/repo.git reaches no label, metadata, output or cache', async () => {
    ws.git(['remote', 'add', 'origin', `https://hostile:${secret.gitToken}@git.example.invalid/org/repo.git`]);
    try {
      const result = await nxBeside('cred-git:image-default');
      expect(result.failed, result.text).toEqual([]);
      const labels = JSON.stringify(JSON.parse(docker(['image', 'inspect', 'cred-git:app-default']))[0].Config.Labels);
      expect(labels).toContain('org.opencontainers.image.revision');
      expectNowhere(secret.gitToken, ws, outputs, { remote: cache!.entriesHolding(secret.gitToken), labels: [labels] });
    } finally {
      ws.git(['remote', 'remove', 'origin']);
    }
    expectClean();
  });

  // ------------------------------------------------------------------------------------------ engines and registries
  it('[engine] DOCKER_HOST at a closed port fails before building, naming the engine; dist/ intact', async () => {
    const ok = await nx(['run', 'eng-host:image-default']);
    expect(ok.exitCode, ok.text).toBe(0);
    const distBefore = treeSnapshot(join(ws.root, 'dist'));
    const result = await nx(['run', 'eng-host:image-default', '--skip-nx-cache'], { DOCKER_HOST: `tcp://127.0.0.1:${closedPort}` });
    expect(result.exitCode).not.toBe(0);
    expect(result.text).toMatch(new RegExp(`(tcp://127\\.0\\.0\\.1:${closedPort}|DOCKER_HOST)[^\\n]*`));
    expect(result.text).toMatch(/Docker daemon is not answering|engine[^\n]*not answering|cannot connect/i);
    expect(buildsThatRan(result.text)).not.toContain('eng-host:image-default');
    expect(treeSnapshot(join(ws.root, 'dist'))).toEqual(distBefore);
    expectClean();
    await expectHealthyStillWorks();
  });

  it('[engine] a builders host at a closed port fails before building, naming that engine', async () => {
    const result = await nxBeside('eng-builder:image-default', ['--skip-nx-cache']);
    expect(result.failed).toContain('eng-builder:image-default');
    expect(result.text).toMatch(new RegExp(`the engine at tcp://127\\.0\\.0\\.1:${closedPort}[^\\n]*not answering`, 'i'));
    expect(buildsThatRan(result.text)).not.toContain('eng-builder:image-default');
    expect(ws.exists('dist/hostile/eng-builder/images')).toBe(false);
    expectClean();
  });

  it('[registry] a registry at a closed port: a clear message naming it, nothing written', async () => {
    const result = await nxBeside('reg-closed:image-default', ['--skip-nx-cache']);
    expect(result.failed).toContain('reg-closed:image-default');
    expect(result.text).toMatch(new RegExp(`127\\.0\\.0\\.1:${closedPort}[^\\n]*(not answer|refused|unreachable|cannot reach|connect)`, 'i'));
    expect(ws.exists('dist/hostile/reg-closed/images')).toBe(false);
    expectClean();
  });

  it('[registry] a registry that answers 403: a clear message naming it, nothing written', async () => {
    const result = await nxBeside('reg-refusing:image-default', ['--skip-nx-cache']);
    expect(result.failed).toContain('reg-refusing:image-default');
    expect(result.text).toMatch(new RegExp(`127\\.0\\.0\\.1:${refusingPort}[^\\n]*(403|denied|refus|forbidden|unauthorized)`, 'i'));
    expect(ws.exists('dist/hostile/reg-refusing/images')).toBe(false);
    expectClean();
  });

  // ------------------------------------------------------------------------------------------ interrupted and concurrent
  function cacheEntries(): string[] {
    const dir = join(ws.root, '.nx', 'cache');
    return existsSync(dir) ? readdirSync(dir).filter((name) => /^\d+$/.test(name)).sort() : [];
  }

  function spawnNx(args: string[]) {
    const child = execa(process.execPath, [nxBin(ws.root), ...args], {
      cwd: ws.root,
      reject: false,
      all: true,
      detached: true,
      timeout: 240_000,
      stdin: 'ignore',
      env: { ...nxEnv(ws.root), ...cache!.env('read-write') },
    });
    let output = '';
    child.all!.on('data', (chunk) => (output += String(chunk)));
    return { child, output: () => plain(output) };
  }

  it('[interrupt] SIGINT during a wheel compile writes no wheel, store entry or cache entry and leaves nothing behind', async () => {
    const keys = await nx(['run', 'w-int:keys-default']);
    expect(keys.exitCode, keys.text).toBe(0);
    const entriesBefore = cacheEntries();
    const storeBefore = existsSync(join(ws.root, STORE)) ? readdirSync(join(ws.root, STORE)).sort() : [];
    const { child, output } = spawnNx(['run', 'w-int:wheel-flash-attn-default']);
    await waitFor(() => output().includes('hostile stand-in: compiling'), 120_000, 'the compile to start');
    process.kill(-child.pid!, 'SIGINT');
    const result = await child;
    outputs.push(output());
    expect(result.exitCode).not.toBe(0);
    // The executor prints "interrupted by SIGINT" at once (executors/shared/run-executor.spec.ts), but nx exits on
    // SIGINT without waiting for its task's last lines, so whether they show here is a race: not asserted.
    expect(ws.exists('dist/hostile/w-int/wheels/default')).toBe(false);
    expect(cacheEntries()).toEqual(entriesBefore);
    expect(existsSync(join(ws.root, STORE)) ? readdirSync(join(ws.root, STORE)).sort() : []).toEqual(storeBefore);
    await waitFor(() => leftoverTempFolders(ws.root).length === 0, 20_000, 'temporary folders to go');
    expectClean();
    await expectHealthyStillWorks();
  });

  it('[concurrent] the same wheel target in two nx processes compiles once; the second waits for the wheel key', async () => {
    const keys = await nx(['run', 'w-conc:keys-default']);
    expect(keys.exitCode, keys.text).toBe(0);
    const key = wheelKeyOf('w-conc');
    const a = spawnNx(['run', 'w-conc:wheel-flash-attn-default']);
    const b = spawnNx(['run', 'w-conc:wheel-flash-attn-default']);
    const [ra, rb] = await Promise.all([a.child, b.child]);
    outputs.push(a.output(), b.output());
    expect(ra.exitCode, a.output()).toBe(0);
    expect(rb.exitCode, b.output()).toBe(0);
    const both = `${a.output()}\n${b.output()}`;
    expect(both.match(/compiling w-conc:wheel-flash-attn-default: docker buildx build/g) ?? []).toHaveLength(1);
    expect(both).toMatch(new RegExp(`waiting for[^\\n]*${key.slice(0, 16)}`));
    expect(readdirSync(join(ws.root, 'dist/hostile/w-conc/wheels/default'))).toEqual(['flash_attn-2.7.5-py3-none-any.whl']);
    expectClean();
    await expectHealthyStillWorks();
  });

  // ------------------------------------------------------------------------------------------ corrupt stores
  /** The wheel key of a project: the store folder name (sha256 of its wheel key file). */
  function wheelKeyOf(project: string): string {
    return createHash('sha256').update(readFileSync(join(ws.root, `dist/hostile/${project}/keys/default-wheel.json`))).digest('hex');
  }

  it('[corrupt] a wheel whose bytes changed in the local wheel store is reported, dropped and rebuilt', async () => {
    const built = await nx(['run', 'w-store:wheel-flash-attn-default']);
    expect(built.exitCode, built.text).toBe(0);
    const wheel = join(ws.root, 'dist/hostile/w-store/wheels/default/flash_attn-2.7.6-py3-none-any.whl');
    const original = readFileSync(wheel);
    const key = wheelKeyOf('w-store');
    const stored = join(ws.root, STORE, key, 'flash_attn-2.7.6-py3-none-any.whl');
    expect(existsSync(stored), `the store holds ${key}`).toBe(true);
    writeFileSync(stored, 'not a wheel: overwritten by the hostile test\n');
    rmSync(join(ws.root, 'dist/hostile/w-store'), { recursive: true, force: true });
    const again = await nxBeside('w-store:wheel-flash-attn-default', ['--skip-nx-cache']);
    expect(again.failed, again.text).toEqual([]);
    expect(again.text).toMatch(new RegExp(`(does not match|corrupt)[^\\n]*${key.slice(0, 16)}|${key.slice(0, 16)}[^\\n]*(does not match|corrupt)`));
    expect(again.text).toMatch(/compiling w-store:wheel-flash-attn-default: docker buildx build/);
    expect(readFileSync(wheel)).toEqual(original);
    expect(readFileSync(stored)).toEqual(original);
    const image = await nx(['run', 'w-store:image-prod-default']);
    expect(image.exitCode, image.text).toBe(0);
    const inside = docker(['run', '--rm', '--network', 'none', 'w-store:prod-default', 'python3', '-c',
      'import glob, zipfile; print(zipfile.ZipFile(glob.glob("/wheels/*.whl")[0]).read("flash_attn/__init__.py").decode())']);
    expect(inside).toContain('__version__ = "2.7.6"');
    expectClean();
  });

  it('[corrupt] a wheel whose bytes changed in the registry is reported, not used, and rebuilt', async () => {
    const built = await nx(['run', 'w-regstore:wheel-flash-attn-default']);
    expect(built.exitCode, built.text).toBe(0);
    const key = wheelKeyOf('w-regstore');
    const reference = `${REGISTRY}/nx-uv-cuda-wheels:${key}`;
    const wheelName = 'flash_attn-2.7.7-py3-none-any.whl';
    const original = readFileSync(join(ws.root, 'dist/hostile/w-regstore/wheels/default', wheelName));
    // Take the stored image apart, change the wheel's bytes, push it back under the same tag.
    const work = disposeLater(mkdtempSync(join(tmpdir(), 'hostile-regstore-')));
    writeFileSync(join(work, 'Pull.Dockerfile'), `FROM ${reference}\n`);
    docker(['buildx', 'build', '--file', join(work, 'Pull.Dockerfile'), '--output', `type=local,dest=${join(work, 'files')}`, work]);
    expect(readdirSync(join(work, 'files'))).toContain(wheelName);
    writeFileSync(join(work, 'files', wheelName), 'not a wheel: overwritten in the registry by the hostile test\n');
    writeFileSync(join(work, 'Push.Dockerfile'), 'FROM scratch\nCOPY . /\n');
    docker(['buildx', 'build', '--file', join(work, 'Push.Dockerfile'), '--provenance=false', '--output', `type=image,name=${reference},push=true`, join(work, 'files')]);
    rmSync(join(ws.root, STORE, key), { recursive: true, force: true });
    rmSync(join(ws.root, 'dist/hostile/w-regstore'), { recursive: true, force: true });
    const again = await nxBeside('w-regstore:wheel-flash-attn-default', ['--skip-nx-cache']);
    expect(again.failed, again.text).toEqual([]);
    expect(again.text).toMatch(new RegExp(`(does not match|corrupt)[^\\n]*${key.slice(0, 16)}|${key.slice(0, 16)}[^\\n]*(does not match|corrupt)`));
    expect(readFileSync(join(ws.root, 'dist/hostile/w-regstore/wheels/default', wheelName))).toEqual(original);
    expectClean();
  });

  // ------------------------------------------------------------------------------------------ symlinks
  it('[paths] a symlink in the context pointing outside the workspace is refused, naming it; nothing outside leaks', async () => {
    const outside = disposeLater(join(tmpdir(), `hostile-outside-${ID}`));
    const outsideText = canary('outside-content');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), `${outsideText}\n`);
    symlinkSync(outside, join(ws.root, 'hostile/sym/data'));
    // Docker would send the link, not what it points to, and Nx hashes what it points to: a re-pointed link
    // would change the image but not the task hash. The keys target refuses it before any build.
    const result = await nxBeside('sym:image-default', ['--skip-nx-cache']);
    expect(result.failed).toContain('sym:keys-default');
    expect(result.text).toContain(`hostile/sym/data is a symbolic link to ${outside}, outside the build context`);
    expect(buildsThatRan(result.text)).not.toContain('sym:image-default');
    expect(ws.exists('dist/hostile/sym/keys')).toBe(false);
    expect(filesHolding(outsideText, [join(ws.root, 'dist'), join(ws.root, '.nx', 'cache')])).toEqual([]);
    expectClean();
  });
});
