import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../core/errors';
import { REDACTED } from '../../core/secret-names';
import { checkEngine, localImageId, registryHost, type EngineRequirements } from '../../docker/engine';
import { describeEngine, engineEnv, type EngineEndpoint } from '../../docker/engine-endpoint';
import { pinnedReference } from '../../docker/image-ref';
import { remoteDigest, tagRemote } from '../../docker/registry-image';
import { describeArgv, redactBuildArgs } from '../../docker/redact';
import { loadDockerfile } from '../../model/dockerfile';
import { secretValues } from '../../model/secret-build-args';
import { builtChain, requireStage } from '../../model/stages';
import type { ImageMetadata } from '../../model/task-files';
import { runCommand } from '../../process/run-command';
import { BUILD_ARGS_FILE_RENAMES, resolveBuildArgs } from '../shared/build-args';
import { requirePublishedBaseImages } from '../shared/base-images';
import { failedBuild } from '../shared/failed-build';
import { readBuildxDigest } from '../shared/buildx-metadata';
import { writeJsonAtomically } from '../shared/files';
import { readGitFacts } from '../shared/git';
import { info } from '../shared/log';
import { runBuild } from '../shared/run-build';
import { runExecutor } from '../shared/run-executor';
import { requireBuildInputs } from '../shared/build-preflight';
import type { TaskInfo } from '../shared/task';
import { planImage, type ImagePlan } from './image-plan';
import { imageExecutorSchema, type ImageOptions } from './schema';

export default runExecutor(
  { schema: imageExecutorSchema, renames: BUILD_ARGS_FILE_RENAMES },
  async ({ options: validated, task, files, scope }) => {
    const { buildArgs, fromEnvironment } = resolveBuildArgs(files, task, validated.buildArgsFile, validated.buildArgs);
    const options = { ...validated, buildArgs };
    // Fails before any docker call when the Dockerfile lacks the stage the target builds.
    const model = loadDockerfile(files, options.dockerfile);
    if (options.target) requireStage(model, options.target, options.kind === 'dev' ? 'dev' : 'prod');
    const wheelContexts = options.wheelsContext && options.wheelsDir ? [options.wheelsContext] : [];
    // The stages built, computed once for both checks: the base images now, the build's inputs when it builds.
    const chain = builtChain(model, options.target, wheelContexts, options.buildArgs);
    requirePublishedBaseImages(model, chain, options.buildArgs);
    if (!options.dryRun) requireWheels(options, task);
    const git = await readGitFacts(task.workspaceRoot);
    const metadataDir = scope.temporary(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-image-')));
    const mask = secretValues(fromEnvironment, options.secrets, process.env);
    const plan = planImage({
      options,
      environmentBuildArgs: fromEnvironment,
      workspaceRoot: task.workspaceRoot,
      project: task.projectName,
      taskHash: task.hash,
      gitSha: git.sha,
      sourceUrl: git.sourceUrl,
      metadataTemp: join(metadataDir, 'buildx-metadata.json'),
      env: process.env,
      masksOutput: mask.length > 0,
      stderrIsTty: Boolean(process.stderr.isTTY),
    });
    if (options.dryRun) {
      process.stdout.write(`${describeArgv(['docker', ...plan.argv])}\n`);
      info('dry run: nothing was built or written');
      return;
    }
    await checkEngine(engineRequirements(options, plan));

    const existing = plan.hashTag && (await existingImage(plan, plan.hashTag, options.engine));
    if (existing) {
      info(`${plan.hashTag} is already in ${plan.push ? 'the registry' : describeEngine(options.engine)}: built from these exact inputs, not rebuilt`);
      writeImageMetadata(task.absolute(options.metadataFile), plan, options, task, git.sha, existing.digest);
      return;
    }

    // Checked only when it builds: an image that exists needs neither its secrets nor its sources.
    requireBuildInputs(files, model, chain, options, task.workspaceRoot);
    info(`building ${task.id}${options.engine ? ` on ${describeEngine(options.engine)}` : ''}: docker ${describeArgv(plan.argv)}`);
    const build = await runBuild(plan.argv, {
      cwd: task.workspaceRoot,
      env: engineEnv(options.engine),
      scope,
      progress: plan.build.progress,
      what: task.id,
      mask,
    });
    if (build.interrupted) throw new PluginError('interrupted', 'build interrupted: nothing was written');
    if (build.exitCode !== 0) {
      await failedBuild({
        build: plan.build,
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
    const digest = readBuildxDigest(plan.build.metadataFile!);
    writeImageMetadata(task.absolute(options.metadataFile), plan, options, task, git.sha, digest);
    info(`${plan.push ? 'pushed' : 'loaded'} ${plan.tags.join(', ')}${digest ? ` (${digest})` : ''}`);
  },
);

function engineRequirements(options: ImageOptions, plan: ImagePlan): EngineRequirements {
  return {
    features: [
      'metadata file (--metadata-file)',
      ...(plan.build.buildContexts ? (['build contexts (--build-context)'] as const) : []),
    ],
    builder: options.builder,
    engine: options.engine,
    pushTo: plan.push ? registryHost(plan.tags[0]) : undefined,
  };
}

/** The image target depends on the wheel target; a missing wheel folder means it was not built. */
function requireWheels(options: ImageOptions, task: TaskInfo): void {
  if (!options.wheelsDir) return;
  const dir = task.absolute(options.wheelsDir);
  if (!existsSync(dir) || !readdirSync(dir).some((name) => name.endsWith('.whl'))) {
    throw new PluginError(
      'missing-input',
      `no wheel files in ${options.wheelsDir}: run ${task.producerOf(options.wheelsDir)} first`,
    );
  }
}

/**
 * The image of exactly these inputs, where the target puts it: in the registry (the task-hash tag, looked up
 * there; a tag that another build has moved since is pointed back at it), or in the engine.
 */
async function existingImage(plan: ImagePlan, hashTag: string, engine: EngineEndpoint | undefined): Promise<{ digest?: string } | undefined> {
  if (plan.push) {
    const digest = await remoteDigest(hashTag, engine);
    if (!digest) return undefined;
    const moved: string[] = [];
    for (const tag of plan.tags) if ((await remoteDigest(tag, engine)) !== digest) moved.push(tag);
    if (moved.length > 0) {
      info(`pointing ${moved.join(', ')} back at ${hashTag}`);
      await tagRemote(hashTag, moved, engine);
    }
    return { digest };
  }
  const digest = await localImageId(hashTag, engine);
  if (!digest) return undefined;
  for (const tag of plan.tags) {
    const tagged = await runCommand('docker', ['tag', hashTag, tag], { stdio: 'pipe', timeoutMs: 30_000, env: engineEnv(engine) });
    if (tagged.exitCode !== 0) return undefined;
  }
  return { digest };
}

function writeImageMetadata(
  file: string,
  plan: ImagePlan,
  options: ImageOptions,
  task: TaskInfo,
  gitSha: string | undefined,
  digest: string | undefined,
): void {
  const [primary] = plan.tags;
  const metadata: ImageMetadata = {
    image: plan.push && digest ? pinnedReference(primary, digest) : primary,
    digest,
    tags: plan.tags,
    pushed: plan.push,
    project: task.projectName,
    kind: options.kind,
    backend: options.backend,
    stage: options.target ?? 'final',
    dockerfile: options.dockerfile,
    buildArgs: redactBuildArgs({
      ...options.buildArgs,
      ...Object.fromEntries((plan.build.environmentBuildArgs ?? []).map((name) => [name, REDACTED])),
    }),
    gitSha,
    taskHash: task.hash,
    ...(options.engine && { engine: options.engine }),
  };
  writeJsonAtomically(file, metadata);
}
