import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { checkEngine, registryHost, type EngineRequirements } from '../../docker/engine';
import { pinnedReference } from '../../docker/image-ref';
import { describeArgv, redactBuildArgs } from '../../docker/redact';
import { interruptible } from '../../process/interruptible';
import { runCommand } from '../../process/run-command';
import { resolveBuildArgs } from '../shared/build-settings';
import { readBuildxMetadata } from '../shared/buildx-metadata';
import { writeJsonAtomically } from '../shared/files';
import { readGitFacts } from '../shared/git';
import { fail, info } from '../shared/log';
import { requireStage } from '../shared/require-stage';
import { taskInfo } from '../shared/task';
import { validateOptions } from '../shared/validate-options';
import { planImage, type ImagePlan } from './image-plan';
import { imageExecutorSchema, type ImageExecutorOptions, type ImageOptions } from './schema';

/** What `dist/<project>/images/<kind>-<backend>.json` holds. */
export interface ImageMetadata {
  image: string;
  digest?: string;
  tags: string[];
  pushed: boolean;
  project: string;
  kind: string;
  backend: string;
  stage: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  gitSha?: string;
  taskHash?: string;
}

export default async function imageExecutor(rawOptions: ImageExecutorOptions, context: ExecutorContext) {
  const task = taskInfo(context);
  try {
    const validated = validateOptions(imageExecutorSchema, rawOptions, task.id);
    const options = { ...validated, buildArgs: resolveBuildArgs(validated.buildFile, validated.buildArgs, task.absolute) };
    requireStage(task.absolute(options.dockerfile), options.dockerfile, options.target);
    requireWheels(options, task.absolute);
    const git = await readGitFacts(task.workspaceRoot);
    return await interruptible(async (scope) => {
      const metadataDir = scope.temporary(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-image-')));
      const plan = planImage({
        options,
        workspaceRoot: task.workspaceRoot,
        project: task.projectName,
        taskHash: task.hash,
        gitSha: git.sha,
        sourceUrl: git.sourceUrl,
        metadataTemp: join(metadataDir, 'buildx-metadata.json'),
        env: process.env,
        stderrIsTty: Boolean(process.stderr.isTTY),
      });
      await checkEngine(engineRequirements(options, plan));

      if (plan.hashTag && (await reuseLocalImage(plan))) {
        info(`${plan.hashTag} is already in the engine: built from these exact inputs, not rebuilt`);
        writeImageMetadata(task.absolute(options.metadataFile), plan, options, task, git.sha, await localDigest(plan.hashTag));
        return { success: true };
      }

      info(`docker ${describeArgv(plan.argv)}`);
      const build = await runCommand('docker', plan.argv, { cwd: task.workspaceRoot, stdio: 'inherit', signal: scope.signal });
      if (build.interrupted) return fail('build interrupted: nothing was written');
      if (build.exitCode !== 0) return fail(`docker buildx build failed (exit ${build.exitCode}): see docker's output above`);

      const buildx = readBuildxMetadata(plan.build.metadataFile!);
      writeImageMetadata(task.absolute(options.metadataFile), plan, options, task, git.sha, buildx.digest);
      info(`${plan.push ? 'pushed' : 'loaded'} ${plan.tags.join(', ')}${buildx.digest ? ` (${buildx.digest})` : ''}`);
      return { success: true };
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}

function engineRequirements(options: ImageOptions, plan: ImagePlan): EngineRequirements {
  return {
    features: [
      'metadata file (--metadata-file)',
      ...(plan.build.buildContexts ? (['build contexts (--build-context)'] as const) : []),
    ],
    builder: options.builder,
    pushTo: plan.push ? registryHost(plan.tags[0]) : undefined,
  };
}

/** The image target depends on the wheel target; a missing wheel folder means it was not built. */
function requireWheels(options: ImageOptions, absolute: (path: string) => string): void {
  if (!options.wheelsDir) return;
  const dir = absolute(options.wheelsDir);
  if (!existsSync(dir) || !readdirSync(dir).some((name) => name.endsWith('.whl'))) {
    throw new Error(`no wheel files in ${options.wheelsDir}: run the wheel target of this backend first`);
  }
}

async function reuseLocalImage(plan: ImagePlan): Promise<boolean> {
  const inspect = await runCommand('docker', ['image', 'inspect', plan.hashTag!], { stdio: 'pipe', timeoutMs: 30_000 });
  if (inspect.exitCode !== 0) return false;
  for (const tag of plan.tags) {
    const tagged = await runCommand('docker', ['tag', plan.hashTag!, tag], { stdio: 'pipe', timeoutMs: 30_000 });
    if (tagged.exitCode !== 0) return false;
  }
  return true;
}

async function localDigest(reference: string): Promise<string | undefined> {
  const inspect = await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', reference], {
    stdio: 'pipe',
    timeoutMs: 30_000,
  });
  return inspect.exitCode === 0 ? inspect.stdout.trim() : undefined;
}

function writeImageMetadata(
  file: string,
  plan: ImagePlan,
  options: ImageOptions,
  task: { projectName: string; hash?: string },
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
    stage: options.target,
    dockerfile: options.dockerfile,
    buildArgs: redactBuildArgs(options.buildArgs),
    gitSha,
    taskHash: task.hash,
  };
  writeJsonAtomically(file, metadata);
}
