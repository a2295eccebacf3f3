import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { workspaceDataDirectory } from 'nx/src/utils/cache-directory';
import { PluginError } from '../../core/errors';
import type { FileSource } from '../../core/file-source';
import type { DockerfileModel } from '../../docker/dockerfile-model';
import { checkEngine, registryHost } from '../../docker/engine';
import { describeEngine, engineEnv, type EngineEndpoint } from '../../docker/engine-endpoint';
import { describeArgv } from '../../docker/redact';
import { remoteDigest } from '../../docker/registry-image';
import { digest } from '../../keys/build-keys';
import { loadDockerfile } from '../../model/dockerfile';
import { secretValues } from '../../model/secret-build-args';
import { builtChain, requireStage } from '../../model/stages';
import { withFileLock, type LockWaits } from '../../process/file-lock';
import type { InterruptScope } from '../../process/interruptible';
import { BUILD_ARGS_FILE_RENAMES, resolveBuildArgs } from '../shared/build-args';
import { requirePublishedBaseImages } from '../shared/base-images';
import { failedBuild } from '../shared/failed-build';
import { replaceFolder } from '../shared/files';
import { info } from '../shared/log';
import { runBuild } from '../shared/run-build';
import { runExecutor } from '../shared/run-executor';
import { requireBuildInputs } from '../shared/build-preflight';
import type { TaskInfo } from '../shared/task';
import { pullWheels, pushWheels } from './registry-wheels';
import { wheelExecutorSchema, type WheelOptions } from './schema';
import { verifiedWheels, wheelProblem } from './wheel-digests';
import { planWheel } from './wheel-plan';
import { LocalWheelStore, registryWheelReference } from './wheel-store';

/**
 * Produces the wheel files of one backend in `outputPath`, compiling only when no store holds its wheel key:
 * first the local wheel store (shared by every project of this workspace on this machine), then the registry
 * (shared by every machine), and only then the wheel stage, one process per wheel key at a time. Files land in a
 * temporary folder beside the output and replace it only when every step, the push included, succeeded.
 */
export default runExecutor(
  { schema: wheelExecutorSchema, renames: BUILD_ARGS_FILE_RENAMES },
  async ({ options: validated, task, files, scope }) => {
    const { buildArgs, fromEnvironment } = resolveBuildArgs(files, task, validated.buildArgsFile, validated.buildArgs);
    const options = { ...validated, buildArgs };
    const model = loadDockerfile(files, options.dockerfile);
    requireStage(model, options.target, 'wheelBuild');
    if (options.exportStage) requireStage(model, options.exportStage, 'wheelExport');
    // The stages the wheel stage is built from; the build's inputs are those of the export stage when there is one.
    const chain = builtChain(model, options.target, [], options.buildArgs);
    requirePublishedBaseImages(model, chain, options.buildArgs);
    if (options.dryRun) {
      const { argv } = planWheel({
        options,
        environmentBuildArgs: fromEnvironment,
        workspaceRoot: task.workspaceRoot,
        exportDir: `${task.absolute(options.outputPath)}.export`,
        env: process.env,
        stderrIsTty: Boolean(process.stderr.isTTY),
      });
      process.stdout.write(`${describeArgv(['docker', ...argv])}\n`);
      info('dry run: nothing was compiled, fetched or written (the wheel stores were not looked up)');
      return;
    }
    const key = options.keyFile ? wheelKey(files, options.keyFile, task) : undefined;
    const registryReference = key && options.registry ? registryWheelReference(options.registry, key) : undefined;
    await checkEngine({
      features: [],
      builder: options.builder,
      engine: options.engine,
      pushTo: registryReference ? registryHost(registryReference) : undefined,
    });

    const output = task.absolute(options.outputPath);
    const build = () => {
      // Checked only when it compiles: a stored wheel needs neither its secrets nor its sources.
      const built = options.exportStage === undefined ? chain : builtChain(model, options.exportStage, [], options.buildArgs);
      requireBuildInputs(files, model, built, options, task.workspaceRoot);
      return compile(options, fromEnvironment, model, task, output, scope);
    };
    if (!key) return finish(options, await build(), output, scope);

    const store = new LocalWheelStore(join(workspaceDataDirectory ?? join(task.workspaceRoot, '.nx', 'workspace-data'), 'nx-uv-cuda', 'wheels'));
    // One process per wheel key looks up, compiles and pushes: another one running the same key waits, then
    // finds it stored (and pushed), and no process drops an entry another one is reading.
    await withFileLock(store.lockPath(key), scope, lockWaits(key), async () => {
      const found = await storedOrCompiled({ key, store, registryReference, engine: options.engine, output, scope, compile: build });
      // Shared before dist/ is written: a task whose push failed leaves no output, and the next run pushes from the store.
      const share =
        registryReference !== undefined &&
        (found.from === 'compiled' || (found.from === 'local' && !(await remoteDigest(registryReference, options.engine))));
      if (share) {
        info(`sharing the wheel through the registry as ${registryReference}`);
        if (!(await pushWheels(registryReference, store.folder(key), scope, options.engine))) {
          throw new PluginError('command', `could not push ${registryReference}: the wheel stays in the local wheel store, nothing was written to ${options.outputPath}`);
        }
      }
      finish(options, found.wheels, output, scope);
    });
  },
);

interface WheelSources {
  key: string;
  store: LocalWheelStore;
  registryReference?: string;
  engine?: EngineEndpoint;
  output: string;
  scope: InterruptScope;
  compile(): Promise<string[]>;
}

/**
 * The wheels of `key`: from the local wheel store, else from the registry, else compiled; each store's entry is
 * checked against its digests, and a bad one is reported and replaced. What is found or compiled goes into the
 * local store; its copies there are returned.
 */
async function storedOrCompiled(sources: WheelSources): Promise<{ wheels: string[]; from: 'local' | 'registry' | 'compiled' }> {
  const { key, store, registryReference, scope } = sources;
  const stored = store.get(key);
  if (stored.dropped) info(`${stored.dropped}: building it again`);
  if (stored.wheels.length > 0) {
    info(`wheel key ${key.slice(0, 16)}… is in the local wheel store: not compiled again`);
    return { wheels: stored.wheels, from: 'local' };
  }
  if (registryReference && (await remoteDigest(registryReference, sources.engine))) {
    const pulled = temporaryBeside(sources.output, 'pull', scope);
    if (!(await pullWheels(registryReference, pulled, scope, sources.engine))) {
      throw new PluginError('command', `could not fetch ${registryReference}`);
    }
    const verified = verifiedWheels(pulled);
    if ('wheels' in verified) {
      info(`wheel key ${key.slice(0, 16)}… is in the registry (${registryReference}): not compiled again`);
      store.put(key, verified.wheels);
      return { wheels: store.get(key).wheels, from: 'registry' };
    }
    info(`${registryReference} is not used: ${verified.problem}; compiling again, and pushing over it`);
  }
  store.put(key, await sources.compile());
  return { wheels: store.get(key).wheels, from: 'compiled' };
}

function lockWaits(key: string): LockWaits {
  return {
    onWait: (owner) =>
      info(`waiting for ${owner ? `process ${owner.pid} on ${owner.host}` : 'another process'}, which is looking up or compiling wheel key ${key.slice(0, 16)}…`),
    onStale: (owner) => info(`taking over the lock of wheel key ${key.slice(0, 16)}…${owner ? ` from process ${owner.pid}, which is gone` : ', left by a crash'}`),
  };
}

/** The wheel key: the digest of the key file the keys target wrote. */
function wheelKey(files: FileSource, keyFile: string, task: TaskInfo): string {
  const text = files.read(keyFile);
  if (text === undefined) throw new PluginError('missing-input', `${keyFile} is missing: run ${task.producerOf(keyFile)} first`);
  return digest(text);
}

async function compile(
  options: WheelOptions,
  environmentBuildArgs: string[],
  model: DockerfileModel,
  task: TaskInfo,
  output: string,
  scope: InterruptScope,
): Promise<string[]> {
  const exportDir = temporaryBeside(output, 'export', scope);
  const mask = secretValues(environmentBuildArgs, options.secrets, process.env);
  const { argv, build: plannedBuild } = planWheel({
    options,
    environmentBuildArgs,
    workspaceRoot: task.workspaceRoot,
    exportDir,
    env: process.env,
    masksOutput: mask.length > 0,
    stderrIsTty: Boolean(process.stderr.isTTY),
  });
  info(`compiling ${task.id}${options.engine ? ` on ${describeEngine(options.engine)}` : ''}: docker ${describeArgv(argv)}`);
  const build = await runBuild(argv, {
    cwd: task.workspaceRoot,
    env: engineEnv(options.engine),
    scope,
    progress: plannedBuild.progress,
    what: task.id,
    mask,
  });
  if (build.interrupted) throw new PluginError('interrupted', 'wheel build interrupted: nothing was written');
  if (build.exitCode !== 0) {
    await failedBuild({
      build: plannedBuild,
      stage: options.target,
      exitCode: build.exitCode,
      model,
      backend: options.backend,
      engine: options.engine,
      loadParent: options.debugOnFailure,
      task,
      scope,
      mask,
    });
  }
  const root = options.exportStage ? exportDir : join(exportDir, options.wheelhouse);
  const wheels = wheelsIn(root);
  if (wheels.length === 0) {
    const where = options.exportStage ? `the whole ${options.exportStage} stage` : `${options.wheelhouse} of ${options.target}`;
    throw new PluginError('command', `no .whl file came out of stage "${options.exportStage ?? options.target}" (looked in ${where})`);
  }
  const broken = wheels.map(wheelProblem).filter((problem) => problem !== undefined);
  if (broken.length > 0) {
    throw new PluginError('command', `stage "${options.exportStage ?? options.target}" gave a broken wheel: ${broken.join('; ')}: nothing was stored`);
  }
  return wheels;
}

/** Moves copies of `wheels` into place; the output then holds exactly these files. */
function finish(options: WheelOptions, wheels: string[], output: string, scope: InterruptScope): void {
  const readyDir = temporaryBeside(output, 'ready', scope);
  for (const wheel of wheels) copyFileSync(wheel, join(readyDir, basename(wheel)));
  replaceFolder(readyDir, output);
  scope.keep(readyDir);
  info(`${options.package} for ${options.backend}: ${wheels.map((wheel) => basename(wheel)).join(', ')} → ${options.outputPath}`);
}

function wheelsIn(root: string): string[] {
  return existsSync(root) ? walk(root).filter((file) => file.endsWith('.whl')).sort() : [];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * A temporary folder beside the output (same filesystem, so it can be renamed into place), removed however the
 * task ends. Made only once the work needs it: a task that fails its checks leaves not even an empty folder.
 */
function temporaryBeside(output: string, kind: 'export' | 'pull' | 'ready', scope: InterruptScope): string {
  mkdirSync(dirname(output), { recursive: true });
  return scope.temporary(mkdtempSync(`${output}.${kind}-`));
}
