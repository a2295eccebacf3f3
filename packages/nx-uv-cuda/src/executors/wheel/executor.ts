import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { workspaceDataDirectory } from 'nx/src/devkit-internals';
import { PluginError } from '../../core/errors';
import type { FileSource } from '../../core/file-source';
import type { DockerfileModel } from '../../docker/dockerfile-model';
import { checkEngine, registryHost } from '../../docker/engine';
import { describeEngine, engineEnv } from '../../docker/engine-endpoint';
import { describeArgv } from '../../docker/redact';
import { remoteDigest } from '../../docker/registry-image';
import { digest } from '../../keys/build-keys';
import { loadDockerfile } from '../../model/dockerfile';
import { requireStage } from '../../model/stages';
import type { InterruptScope } from '../../process/interruptible';
import { BUILD_ARGS_FILE_RENAMES, resolveBuildArgs } from '../shared/build-args';
import { requirePublishedBaseImages } from '../shared/base-images';
import { failedBuild } from '../shared/failed-build';
import { replaceFolder } from '../shared/files';
import { info } from '../shared/log';
import { runBuild } from '../shared/run-build';
import { runExecutor } from '../shared/run-executor';
import type { TaskInfo } from '../shared/task';
import { pullWheels, pushWheels } from './registry-wheels';
import { wheelExecutorSchema, type WheelOptions } from './schema';
import { planWheel } from './wheel-plan';
import { LocalWheelStore, registryWheelReference } from './wheel-store';

/**
 * Produces the wheel files of one backend in `outputPath`, compiling only when no store holds its wheel key:
 * first the local wheel store (shared by every project of this workspace on this machine), then the registry
 * (shared by every machine), and only then the wheel stage. Files land in a temporary folder beside the output
 * and replace it only when at least one `.whl` came out.
 */
export default runExecutor(
  { schema: wheelExecutorSchema, renames: BUILD_ARGS_FILE_RENAMES },
  async ({ options: validated, task, files, scope }) => {
    const options = { ...validated, buildArgs: resolveBuildArgs(files, task, validated.buildArgsFile, validated.buildArgs) };
    const model = loadDockerfile(files, options.dockerfile);
    requireStage(model, options.target, 'wheelBuild');
    if (options.exportStage) requireStage(model, options.exportStage, 'wheelExport');
    requirePublishedBaseImages(model, options.target, [], options.buildArgs);
    if (options.dryRun) {
      const { argv } = planWheel({
        options,
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
    mkdirSync(dirname(output), { recursive: true });
    const store = new LocalWheelStore(join(workspaceDataDirectory ?? join(task.workspaceRoot, '.nx', 'workspace-data'), 'nx-uv-cuda', 'wheels'));
    const readyDir = scope.temporary(mkdtempSync(`${output}.ready-`));
    const stored = key ? store.get(key) : [];
    if (stored.length > 0) {
      info(`wheel key ${key!.slice(0, 16)}… is in the local wheel store: not compiled again`);
      return finish(options, stored, readyDir, output, scope);
    }
    if (registryReference && (await remoteDigest(registryReference, options.engine))) {
      info(`wheel key ${key!.slice(0, 16)}… is in the registry (${registryReference}): not compiled again`);
      const pulled = scope.temporary(mkdtempSync(`${output}.pull-`));
      if (!(await pullWheels(registryReference, pulled, scope, options.engine))) {
        throw new PluginError('command', `could not fetch ${registryReference}`);
      }
      const wheels = wheelsIn(pulled);
      if (wheels.length === 0) throw new PluginError('command', `${registryReference} holds no .whl file`);
      store.put(key!, wheels);
      return finish(options, wheels, readyDir, output, scope);
    }

    const wheels = await compile(options, model, task, output, scope);
    if (key) store.put(key, wheels);
    finish(options, wheels, readyDir, output, scope);
    if (registryReference) {
      info(`sharing the wheel through the registry as ${registryReference}`);
      if (!(await pushWheels(registryReference, output, scope, options.engine))) {
        throw new PluginError('command', `could not push ${registryReference}`);
      }
    }
  },
);

/** The wheel key: the digest of the key file the keys target wrote. */
function wheelKey(files: FileSource, keyFile: string, task: TaskInfo): string {
  const text = files.read(keyFile);
  if (text === undefined) throw new PluginError('missing-input', `${keyFile} is missing: run ${task.producerOf(keyFile)} first`);
  return digest(text);
}

async function compile(
  options: WheelOptions,
  model: DockerfileModel,
  task: TaskInfo,
  output: string,
  scope: InterruptScope,
): Promise<string[]> {
  const exportDir = scope.temporary(mkdtempSync(`${output}.export-`));
  const { argv, build: plannedBuild } = planWheel({
    options,
    workspaceRoot: task.workspaceRoot,
    exportDir,
    env: process.env,
    stderrIsTty: Boolean(process.stderr.isTTY),
  });
  info(`compiling ${task.id}${options.engine ? ` on ${describeEngine(options.engine)}` : ''}: docker ${describeArgv(argv)}`);
  const build = await runBuild(argv, {
    cwd: task.workspaceRoot,
    env: engineEnv(options.engine),
    scope,
    progress: plannedBuild.progress,
    what: task.id,
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
    });
  }
  const root = options.exportStage ? exportDir : join(exportDir, options.wheelhouse);
  const wheels = wheelsIn(root);
  if (wheels.length === 0) {
    const where = options.exportStage ? `the whole ${options.exportStage} stage` : `${options.wheelhouse} of ${options.target}`;
    throw new PluginError('command', `no .whl file came out of stage "${options.exportStage ?? options.target}" (looked in ${where})`);
  }
  return wheels;
}

/** Moves copies of `wheels` into place; the output then holds exactly these files. */
function finish(options: WheelOptions, wheels: string[], readyDir: string, output: string, scope: InterruptScope): void {
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
