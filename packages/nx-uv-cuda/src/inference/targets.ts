import { posix } from 'node:path';
import type { TargetConfiguration } from '@nx/devkit';
import { contextInputs } from '../docker/context-inputs';
import type { Backend } from '../model/backends';
import { IMAGE_KINDS, projectOutputs, type ImageKind } from '../model/outputs';
import type { ProjectDockerfile, ProjectModel } from '../model/project';
import { declaredBuildArgs, hasWheel, hasWheelExport } from '../model/stages';
import { resolveStageRef } from '../docker/stage-graph';

const TECHNOLOGIES = ['docker', 'python', 'uv', 'cuda'];
const PLUGIN = 'nx-uv-cuda';

export interface InferredTargets {
  targets: Record<string, TargetConfiguration>;
  /** `nx show project` groups: one per backend, plus the lock targets. */
  targetGroups: Record<string, string[]>;
  /** Whether the project builds images (then it is an application). */
  hasImages: boolean;
}

/**
 * All targets of one project, keyed by target name. Pure: everything it needs is in the model.
 *
 * Nx hashes the configuration of every target of a project into each of its tasks, so nothing that an
 * ordinary edit changes (build args, stage text, file contents) is written into a target here: the
 * `keys-<backend>` task computes it from the files at run time, and the wheel and image targets hash only its
 * output. Only COPY lines shape a target (the keys target's file inputs).
 */
export function inferTargets(project: ProjectModel): InferredTargets {
  const targets: Record<string, TargetConfiguration> = lockTargets(project);
  const targetGroups: Record<string, string[]> = { uv: Object.keys(targets) };
  // Lock slices, keys, wheels and images exist for what has a Dockerfile; a library is built into its services.
  if (!project.dockerfile) return { targets, targetGroups, hasImages: false };
  const dockerfile = project.dockerfile;
  const perBackend = project.backends.map((backend) => backendTargets(project, dockerfile, backend));
  for (const set of perBackend) {
    Object.assign(targets, set.targets);
    targetGroups[set.backend.name] = Object.keys(set.targets);
  }
  Object.assign(targets, aggregateTargets(project, perBackend));
  return { targets, targetGroups, hasImages: true };
}

function lockTargets(project: ProjectModel): Record<string, TargetConfiguration> {
  const { lock, lockCheck } = project.targetNames;
  const lockDir = posix.dirname(project.lockFile);
  return {
    [lock]: {
      executor: `${PLUGIN}:uv`,
      options: { args: ['lock'], cwd: lockDir },
      cache: false,
      metadata: metadata(`Update ${project.lockFile} with \`uv lock\``, 'uv lock --help', {
        options: { args: ['lock', '--upgrade-package', 'torch'] },
      }),
    },
    [lockCheck]: {
      executor: `${PLUGIN}:uv`,
      options: { args: ['lock', '--check'], cwd: lockDir },
      cache: true,
      inputs: [`{workspaceRoot}/${project.lockFile}`, `{workspaceRoot}/${posix.join(lockDir, '**', 'pyproject.toml')}`],
      outputs: [],
      metadata: metadata(`Check that ${project.lockFile} is up to date with \`uv lock --check\``, 'uv lock --help', {
        options: { args: ['lock', '--check', '--offline'] },
      }),
    },
  };
}

interface BackendTargetSet {
  backend: Backend;
  targets: Record<string, TargetConfiguration>;
  imageTargets: Record<ImageKind, string>;
  wheelTarget?: string;
  smokeTarget: string;
}

function backendTargets(project: ProjectModel, dockerfile: ProjectDockerfile, backend: Backend): BackendTargetSet {
  const names = project.targetNames;
  const outputs = projectOutputs(project.root);
  const keys = outputs.keys(backend.name);
  const model = dockerfile.model;
  const withWheel = hasWheel(model, project.stages, declaredBuildArgs(model, backend.buildArgs));
  const lockSliceTarget = `${names.lockSlice}-${backend.name}`;
  const keysTarget = `${names.keys}-${backend.name}`;
  const wheelTarget = withWheel ? `${names.wheel}-${backend.name}` : undefined;
  const imageTargets = {
    dev: `${names.imageDev}-${backend.name}`,
    prod: `${names.imageProd}-${backend.name}`,
  };
  const smokeTarget = `${names.smoke}-${backend.name}`;
  const targets: Record<string, TargetConfiguration> = {};

  targets[lockSliceTarget] = {
    executor: `${PLUGIN}:lock-slice`,
    options: {
      lockFile: project.lockFile,
      prodLockFile: project.prodLockFile,
      project: project.pythonName,
      backend: backend.isExtra ? backend.name : undefined,
      devOutput: outputs.lockSlice(backend.name, 'dev'),
      prodOutput: outputs.lockSlice(backend.name, 'prod'),
    },
    cache: true,
    inputs: [project.lockFile, project.prodLockFile].filter(isDefined).map((file) => `{workspaceRoot}/${file}`),
    outputs: IMAGE_KINDS.map((kind) => `{workspaceRoot}/${outputs.lockSlice(backend.name, kind)}`),
    metadata: metadata(
      `Write the ${backend.name} slice of ${project.lockFile} (dev and prod): the packages its images install, hashed instead of the whole lock`,
    ),
  };

  targets[keysTarget] = {
    executor: `${PLUGIN}:build-keys`,
    options: {
      pyproject: project.pyprojectFile,
      backend: backend.name,
      dockerfile: dockerfile.file,
      ...(dockerfile.dockerignoreFile ? { dockerignore: dockerfile.dockerignoreFile } : {}),
      context: project.contextDir,
      lockFile: project.lockFile,
      ...(project.prodLockFile ? { prodLockFile: project.prodLockFile } : {}),
      devStage: project.stages.dev,
      prodStage: project.stages.prod,
      wheelBuildStage: project.stages.wheelBuild,
      wheelExportStage: project.stages.wheelExport,
      wheelPackage: project.wheelPackage,
      wheelBuildRequirements: project.wheelBuildRequirements,
      workspaceBuildArgs: backend.workspaceBuildArgs,
      devLockSlice: outputs.lockSlice(backend.name, 'dev'),
      prodLockSlice: outputs.lockSlice(backend.name, 'prod'),
      wheelKeyFile: keys.wheel,
      devKeyFile: keys.dev,
      prodKeyFile: keys.prod,
      buildArgsFile: keys.buildArgs,
    },
    cache: true,
    dependsOn: [lockSliceTarget],
    // The project's own files (pyproject.toml, Dockerfile) and what the Dockerfile's COPY lines can take: these
    // globs change only with COPY lines, and they keep `nx affected` exact (Nx treats a changed file that matches
    // a workspace-level input as touching the project).
    inputs: [
      '{projectRoot}/**/*',
      ...(dockerfile.dockerignoreFile ? [`{workspaceRoot}/${dockerfile.dockerignoreFile}`] : []),
      ...contextInputs(model.stages, { contextRoot: project.contextDir, dockerignore: dockerfile.dockerignoreText }).inputs,
      '!{workspaceRoot}/dist/**/*',
      { dependentTasksOutputFiles: `**/locks/${backend.name}-*.json` },
    ],
    outputs: [...(withWheel ? [keys.wheel] : []), keys.dev, keys.prod, keys.buildArgs].map(
      (file) => `{workspaceRoot}/${file}`,
    ),
    metadata: metadata(
      `Write the ${backend.name} build keys: for the wheel and each image, the stage texts, ARG values, base image, ` +
        'lock packages and copied files their build reads',
    ),
  };

  const common = {
    dockerfile: dockerfile.file,
    context: project.contextDir,
    backend: backend.name,
    buildArgsFile: keys.buildArgs,
    ...(project.registry ? { registry: project.registry } : {}),
  };

  if (wheelTarget) {
    targets[wheelTarget] = {
      executor: `${PLUGIN}:wheel`,
      options: {
        ...common,
        target: project.stages.wheelBuild,
        exportStage: hasWheelExport(model, project.stages) ? project.stages.wheelExport : undefined,
        package: project.wheelPackage,
        keyFile: keys.wheel,
        outputPath: outputs.wheels(backend.name),
      },
      cache: true,
      dependsOn: [keysTarget],
      inputs: [{ dependentTasksOutputFiles: `**/keys/${backend.name}-wheel.json` }],
      outputs: [`{workspaceRoot}/${outputs.wheels(backend.name)}`],
      metadata: metadata(
        `Compile the ${project.wheelPackage} wheel for ${backend.name} once per wheel key (stage ${project.stages.wheelBuild}); image builds reuse it`,
        'docker buildx build --help',
        { options: { maxJobs: 8, nvccThreads: 2, cudaArchs: '90' } },
      ),
    };
  }

  for (const kind of IMAGE_KINDS) {
    const stage = project.stages[kind];
    targets[imageTargets[kind]] = {
      executor: `${PLUGIN}:image`,
      options: {
        ...common,
        target: stage,
        kind,
        ...(wheelTarget ? { wheelsContext: project.stages.wheelExport, wheelsDir: outputs.wheels(backend.name) } : {}),
        metadataFile: outputs.image(backend.name, kind),
      },
      // A pushed image lives in the registry, so Nx may replay its metadata; a loaded one lives only in this
      // engine, so the executor checks the engine for the task-hash tag instead of trusting Nx's cache.
      cache: project.registry !== undefined,
      dependsOn: [keysTarget, ...(wheelTarget ? [wheelTarget] : [])],
      inputs: [{ dependentTasksOutputFiles: `**/keys/${backend.name}-${kind}.json` }],
      outputs: [`{workspaceRoot}/${outputs.image(backend.name, kind)}`],
      metadata: metadata(
        `Build the ${kind} image (stage ${stage}) for ${backend.name}` +
          (resolveStageRef(model, stage) ? '' : ` — ${dockerfile.file} has no stage "${stage}" yet`),
        'docker buildx build --help',
        { options: { noCache: true, progress: 'plain', tags: ['{registry}/{project}:{kind}-{backend}-{gitSha}'] } },
      ),
    };
  }

  targets[smokeTarget] = {
    executor: `${PLUGIN}:smoke`,
    options: {
      imageMetadata: outputs.image(backend.name, 'prod'),
      ...(project.smokeCommand ? { command: project.smokeCommand } : {}),
    },
    cache: false,
    dependsOn: [imageTargets.prod],
    metadata: metadata(`Run a check command in the ${backend.name} prod image`, 'docker run --help', {
      options: { command: ['python', '-c', 'import torch; print(torch.cuda.is_available())'], gpus: 'all' },
    }),
  };
  return { backend, targets, imageTargets, wheelTarget, smokeTarget };
}

function aggregateTargets(project: ProjectModel, sets: BackendTargetSet[]): Record<string, TargetConfiguration> {
  const names = project.targetNames;
  const collect = (pick: (set: BackendTargetSet) => string | undefined) => sets.map(pick).filter(isDefined);
  const aggregates: Record<string, TargetConfiguration> = {};
  const add = (name: string, dependsOn: string[], description: string) => {
    if (dependsOn.length > 0) aggregates[name] = { executor: 'nx:noop', dependsOn, metadata: metadata(description) };
  };
  add(names.imageDev, collect((set) => set.imageTargets.dev), 'Build the dev images of every backend');
  add(names.imageProd, collect((set) => set.imageTargets.prod), 'Build the prod images of every backend');
  add(names.image, [names.imageDev, names.imageProd].filter((name) => name in aggregates), 'Build every image');
  add(names.wheel, collect((set) => set.wheelTarget), `Compile the ${project.wheelPackage} wheel of every backend`);
  add(names.smoke, collect((set) => set.smokeTarget), 'Smoke-test the prod image of every backend');
  return aggregates;
}

type HelpExample = { options?: Record<string, unknown>; args?: string[] };

function metadata(description: string, helpCommand?: string, example: HelpExample = {}): TargetConfiguration['metadata'] {
  return {
    description,
    technologies: TECHNOLOGIES,
    ...(helpCommand ? { help: { command: helpCommand, example } } : {}),
  };
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
