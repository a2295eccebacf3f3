import { posix } from 'node:path';
import type { TargetConfiguration } from '@nx/devkit';
import { PluginError } from '../core/errors';
import { contextInputs } from '../docker/context-inputs';
import type { DockerfileModel } from '../docker/dockerfile-model';
import { argValuesSeen } from '../keys/build-keys';
import { DIGEST_KEY_VARIABLE } from '../keys/secret-digest';
import { stageChain } from '../docker/stage-graph';
import { baseBuildArgs, cudaVersionOfBackend, layeredBuildArgs, type Backend } from '../model/backends';
import { baseImageProblems, describeBaseImageProblem } from '../model/base-images';
import { placementOptions } from '../model/builders';
import { dockerfileRules, explainBuildArgs, unfilledArgs, type BuildArgSetting } from '../model/build-args';
import type { ImageStage } from '../model/images';
import type { BackendLocks } from '../model/locks';
import { projectOutputs } from '../model/outputs';
import type { ProjectDockerfile, ProjectModel } from '../model/project';
import { environmentBuildArgNames } from '../model/secret-build-args';
import { declaredBuildArgs, hasWheel, hasWheelExport } from '../model/stages';

const TECHNOLOGIES = ['docker', 'python', 'uv', 'cuda'];
const PLUGIN = 'nx-uv-cuda';

/** `metadata["nx-uv-cuda"]` of a project: what inference found and why, for `nx show project`. */
export interface InferenceExplanation {
  backends: Array<{ name: string; source: string; cudaVersion?: string }>;
  images: Array<{
    target: string;
    dockerfile: string;
    stage: string;
    backend: string;
    buildArgs: BuildArgSetting[];
    stageExists: boolean;
    unfilledArgs: string[];
  }>;
  skippedDockerfiles: Array<{ file: string; reason: string }>;
  warnings: string[];
}

export interface InferredTargets {
  targets: Record<string, TargetConfiguration>;
  /** `nx show project` groups: one per backend, plus the lock targets. */
  targetGroups: Record<string, string[]>;
  /** Whether the project builds images (then it is an application). */
  hasImages: boolean;
  explanation: InferenceExplanation;
}

/**
 * All targets of one project, keyed by target name. Pure: everything it needs is in the model.
 *
 * Nx hashes the configuration of every target of a project into each of its tasks, so nothing that an
 * ordinary edit changes (the project's build args, stage text, file contents) is written into a target here: the
 * keys task computes it from the files at run time, and the wheel and image targets hash only its output. Only
 * COPY lines and the Dockerfile's ARG structure shape a target.
 */
export function inferTargets(project: ProjectModel): InferredTargets {
  const targets = new TargetSet(project.pyprojectFile);
  const explanation: InferenceExplanation = {
    backends: project.backends.map((backend) => ({
      name: backend.name,
      source: backend.source,
      ...(cudaVersionOfBackend(backend.torchTag ?? backend.name) && { cudaVersion: cudaVersionOfBackend(backend.torchTag ?? backend.name) }),
    })),
    images: [],
    skippedDockerfiles: project.skippedDockerfiles,
    warnings: [...project.warnings],
  };
  const targetGroups: Record<string, string[]> = {};
  for (const [name, target] of Object.entries(lockTargets(project))) targets.add(name, target, 'the lock targets', 'uv');

  const builds = project.dockerfiles.flatMap((dockerfile) =>
    dockerfile.backends.map((name) => ({ dockerfile, backend: project.backends.find((backend) => backend.name === name)! })),
  );
  const sliced = new Set<string>();
  const sets = builds.map(({ dockerfile, backend }) => {
    if (!sliced.has(backend.name)) {
      sliced.add(backend.name);
      targets.add(`${project.targetNames.lockSlice}-${backend.name}`, lockSliceTarget(project, backend), `the lock slice of ${backend.name}`, backend.name);
      if (locksFor(project, backend.name).own) {
        targets.add(`${project.targetNames.lockCheck}-${backend.name}`, ownLockCheckTarget(project, backend), `the check of ${backend.name}'s own lock`, backend.name);
      }
    }
    return buildTargets(project, dockerfile, backend, targets, explanation);
  });
  addAggregateTargets(project, sets, targets);
  for (const [name, group] of targets.groups) (targetGroups[group] ??= []).push(name);
  return { targets: targets.all, targetGroups, hasImages: sets.some((set) => set.images.length > 0), explanation };
}

/** Target names with what made each: two rules that make one name are refused, naming both. */
class TargetSet {
  readonly all: Record<string, TargetConfiguration> = {};
  readonly groups = new Map<string, string>();
  private readonly madeBy = new Map<string, string>();

  constructor(private readonly pyprojectFile: string) {}

  add(name: string, target: TargetConfiguration, what: string, group?: string): void {
    const earlier = this.madeBy.get(name);
    if (earlier !== undefined) {
      throw new PluginError(
        'options',
        `${this.pyprojectFile}: two targets would be named "${name}": ${earlier} and ${what}; ` +
          'rename one with the targetNames option (nx.json) or set stages / dockerfile in [tool.nx-uv-cuda]',
        { file: this.pyprojectFile },
      );
    }
    this.madeBy.set(name, what);
    this.all[name] = target;
    if (group) this.groups.set(name, group);
  }
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
      inputs: [
        `{workspaceRoot}/${project.lockFile}`,
        `{workspaceRoot}/${posix.join(lockDir, '**', 'pyproject.toml')}`,
      ],
      outputs: [],
      metadata: metadata(`Check that ${project.lockFile} is up to date with \`uv lock --check\``, 'uv lock --help', {
        options: { args: ['lock', '--check', '--offline'] },
      }),
    },
  };
}

function lockSliceTarget(project: ProjectModel, backend: Backend): TargetConfiguration {
  const outputs = projectOutputs(project.root);
  const locks = locksFor(project, backend.name);
  return {
    executor: `${PLUGIN}:lock-slice`,
    options: {
      lockFile: locks.lockFile,
      prodLockFile: locks.prodLockFile,
      project: project.pythonName,
      ...(backend.via === 'extra' && { backend: backend.name }),
      ...(backend.via === 'group' && { backendGroup: backend.name }),
      devOutput: outputs.lockSlice(backend.name, 'dev'),
      prodOutput: outputs.lockSlice(backend.name, 'prod'),
    },
    cache: true,
    inputs: [locks.lockFile, locks.prodLockFile].filter(isDefined).map((file) => `{workspaceRoot}/${file}`),
    outputs: (['dev', 'prod'] as const).map((slice) => `{workspaceRoot}/${outputs.lockSlice(backend.name, slice)}`),
    metadata: metadata(
      `Write the ${backend.name} slice of ${locks.lockFile} (dev and prod): the packages its images install, hashed instead of the whole lock`,
    ),
  };
}

/** A backend's own lock file: it parses, holds the project, and reaches all it holds through the backend's extra. */
function ownLockCheckTarget(project: ProjectModel, backend: Backend): TargetConfiguration {
  const locks = locksFor(project, backend.name);
  return {
    executor: `${PLUGIN}:lock-slice`,
    options: {
      lockFile: locks.lockFile,
      prodLockFile: locks.prodLockFile,
      project: project.pythonName,
      ...(backend.via === 'extra' && { backend: backend.name }),
      ...(backend.via === 'group' && { backendGroup: backend.name }),
      check: true,
    },
    cache: true,
    inputs: [locks.lockFile, locks.prodLockFile].filter(isDefined).map((file) => `{workspaceRoot}/${file}`),
    outputs: [],
    metadata: metadata(`Check ${locks.lockFile}: it reads, and the ${backend.name} extra reaches every package it pins`),
  };
}

interface BuildTargetSet {
  backend: Backend;
  images: Array<{ name: string; image: ImageStage; metadataFile: string }>;
  wheelTarget?: string;
  smokeTarget?: string;
}

/** The keys, wheel, image and smoke targets of one Dockerfile for one backend. */
function buildTargets(
  project: ProjectModel,
  dockerfile: ProjectDockerfile,
  backend: Backend,
  targets: TargetSet,
  explanation: InferenceExplanation,
): BuildTargetSet {
  const names = project.targetNames;
  const outputs = projectOutputs(project.root);
  const model = dockerfile.model;
  // `gpu-cu128` for one of several Dockerfiles, `cu128` for the main one or one named after the backend itself.
  const label = dockerfile.label && dockerfile.label !== backend.name ? `${dockerfile.label}-` : '';
  const build = `${label}${backend.name}`;
  const keys = outputs.keys(build);
  const rules = dockerfileRules(model, backend, locksFor(project, backend.name).own);
  const ruleValues = Object.fromEntries(rules.map((rule) => [rule.name, rule.value]));
  const passed = declaredBuildArgs(model, layeredBuildArgs(backend, ruleValues));
  const withWheel = hasWheel(model, project.stages.wheelBuild, passed);
  const lockSliceTargetName = `${names.lockSlice}-${backend.name}`;
  const keysTarget = `${names.keys}-${build}`;
  const wheelTarget = withWheel ? `${names.wheel}-${build}` : undefined;
  const what = `${dockerfile.file} for ${backend.name}`;
  const several = dockerfile.images.length > 1;
  // What follows a target prefix: `dev-cu128`, `gpu-cu128`, `server-cu128`, `serve-policy-worker-cu128`.
  const suffixOf = (image: ImageStage) =>
    image.kind !== 'image' ? `${image.kind}-${build}` : several ? `${label}${image.part}-${backend.name}` : build;
  const images = dockerfile.images.map((image) => ({
    image,
    keyFile: keys.image(image.kind === 'image' ? `image-${image.part}` : image.kind),
    name:
      image.kind === 'dev'
        ? `${names.imageDev}-${build}`
        : image.kind === 'prod'
          ? `${names.imageProd}-${build}`
          : `${names.image}-${suffixOf(image)}`,
    runName: `${names.run}-${suffixOf(image)}`,
    /** The image's name in tags (`{kind}`): unique among the project's Dockerfiles. */
    imageName: image.kind === 'image' ? `${label}${image.part}` : image.kind,
    releaseName: `${names.release}-${suffixOf(image)}`,
    /** Named by the image's kind or stage, beside `build` (which already carries the label). */
    metadataFile: outputs.image(build, image.kind === 'image' ? image.part : image.kind),
  }));

  targets.add(
    keysTarget,
    {
      executor: `${PLUGIN}:build-keys`,
      options: {
        pyproject: project.pyprojectFile,
        backend: backend.name,
        dockerfile: dockerfile.file,
        ...(dockerfile.dockerignoreFile ? { dockerignore: dockerfile.dockerignoreFile } : {}),
        context: project.contextDir,
        lockFile: locksFor(project, backend.name).lockFile,
        ...(locksFor(project, backend.name).prodLockFile ? { prodLockFile: locksFor(project, backend.name).prodLockFile } : {}),
        wheelBuildStage: project.stages.wheelBuild,
        wheelExportStage: project.stages.wheelExport,
        wheelPackage: project.wheelPackage,
        wheelBuildRequirements: project.wheelBuildRequirements,
        baseBuildArgs: baseBuildArgs(backend, ruleValues),
        devLockSlice: outputs.lockSlice(backend.name, 'dev'),
        prodLockSlice: outputs.lockSlice(backend.name, 'prod'),
        wheelKeyFile: keys.wheel,
        images: images.map(({ image, keyFile }) => ({ stage: image.stage, kind: image.kind, slice: image.slice, keyFile })),
        buildArgsFile: keys.buildArgs,
      },
      cache: true,
      dependsOn: [lockSliceTargetName],
      // The project's own files (pyproject.toml, Dockerfile) and what the Dockerfile's COPY lines can take: these
      // globs change only with COPY lines, and they keep `nx affected` exact (Nx treats a changed file that matches
      // a workspace-level input as touching the project).
      inputs: [
        '{projectRoot}/**/*',
        ...(dockerfile.dockerignoreFile ? [`{workspaceRoot}/${dockerfile.dockerignoreFile}`] : []),
        ...contextInputs(model.stages, {
          contextRoot: project.contextDir,
          dockerignore: dockerfile.dockerignoreText,
          argValues: argValuesSeen(model, model.stages, passed),
        }).inputs,
        '!{workspaceRoot}/dist/**/*',
        { dependentTasksOutputFiles: `**/locks/${backend.name}-*.json` },
        // Credential-looking ARGs come from the environment, and the keys hold their digests: Nx hashes the values.
        ...environmentInputs(model),
      ],
      outputs: [...(withWheel ? [keys.wheel] : []), ...images.map(({ keyFile }) => keyFile), keys.buildArgs].map(
        (file) => `{workspaceRoot}/${file}`,
      ),
      metadata: metadata(
        `Write the build keys of ${what}: for the wheel and each image, the stage texts, ARG values, base image, ` +
          'lock packages and copied files their build reads',
      ),
    },
    `the keys of ${what}`,
    backend.name,
  );

  const common = {
    dockerfile: dockerfile.file,
    context: project.contextDir,
    backend: backend.name,
    buildArgsFile: keys.buildArgs,
    ...(project.registry ? { registry: project.registry } : {}),
  };

  if (wheelTarget) {
    targets.add(
      wheelTarget,
      {
        executor: `${PLUGIN}:wheel`,
        options: {
          ...common,
          target: project.stages.wheelBuild,
          exportStage: hasWheelExport(model, project.stages) ? project.stages.wheelExport : undefined,
          package: project.wheelPackage,
          keyFile: keys.wheel,
          outputPath: outputs.wheels(build),
          ...placementOptions(project.placements[backend.name]?.wheel),
        },
        cache: true,
        dependsOn: [keysTarget],
        inputs: [{ dependentTasksOutputFiles: `**/keys/${build}-wheel.json` }],
        outputs: [`{workspaceRoot}/${outputs.wheels(build)}`],
        metadata: metadata(
          `Compile the ${project.wheelPackage} wheel of ${what} once per wheel key (stage ${project.stages.wheelBuild}); image builds reuse it`,
          'docker buildx build --help',
          { options: { maxJobs: 8, nvccThreads: 2, cudaArchs: '90', dryRun: true } },
        ),
      },
      `the wheel of ${what}`,
      backend.name,
    );
  }

  const explained = explainBuildArgs(model, backend, rules);
  for (const { name, image, keyFile, imageName, runName, releaseName, metadataFile } of images) {
    targets.add(
      name,
      {
        executor: `${PLUGIN}:image`,
        options: {
          ...common,
          // BuildKit names targets by stage name only: an unnamed final stage is built by giving none.
          ...(/^\d+$/.test(image.stage) ? {} : { target: image.stage }),
          kind: imageName,
          ...(wheelTarget ? { wheelsContext: project.stages.wheelExport, wheelsDir: outputs.wheels(build) } : {}),
          metadataFile,
          ...placementOptions(project.placements[backend.name]?.image),
        },
        // Never replayed from a cache: an image lives in an engine or a registry, which may have lost it since.
        // The executor asks the one it builds for (the registry when pushing) for the image of the task hash and
        // builds only when it is not there.
        cache: false,
        dependsOn: [keysTarget, ...(wheelTarget ? [wheelTarget] : [])],
        inputs: [{ dependentTasksOutputFiles: `**/keys/${posix.basename(keyFile)}` }],
        outputs: [`{workspaceRoot}/${metadataFile}`],
        metadata: metadata(
          `Build the ${image.kind === 'image' ? `${image.part} stage` : `${image.kind} image (stage ${image.stage})`} of ${what}`,
          'docker buildx build --help',
          { options: { dryRun: true, noCache: true, progress: 'plain', tags: ['{registry}/{project}:{kind}-{backend}-{gitSha}'] } },
        ),
      },
      `the ${image.part} image of ${what}`,
      backend.name,
    );
    // A dev stage runs with the sources mounted; anything else runs as the service it is (a continuous task).
    const mode = image.kind === 'dev' || image.part === 'dev' ? 'dev' : 'prod';
    targets.add(
      runName,
      {
        executor: `${PLUGIN}:run`,
        options: { imageMetadata: metadataFile, mode },
        cache: false,
        ...(mode === 'prod' && { continuous: true }),
        dependsOn: [name],
        metadata: metadata(
          mode === 'dev'
            ? `Run the ${image.part} image of ${what} with the project folder mounted at /workspace and the GPU when the engine has one`
            : `Run the ${image.part} image of ${what} as a service, until stopped`,
          'docker run --help',
          { options: mode === 'dev' ? { command: ['bash'] } : { ports: ['127.0.0.1:8000:8000'], env: { LOG_LEVEL: 'debug' } } },
        ),
      },
      `the run of the ${image.part} image of ${what}`,
      backend.name,
    );
    // Releases tag an image in its registry: only pushed images have one.
    if (project.registry) {
      targets.add(
        releaseName,
        releaseTarget(project, [metadataFile], [name], `Release the ${image.part} image of ${what}: tag its pushed digest with a version`),
        `the release of the ${image.part} image of ${what}`,
        backend.name,
      );
    }
    const chain = stageChain(model, image.stage, wheelTarget ? [project.stages.wheelExport] : [], passed);
    for (const problem of baseImageProblems(model, chain, passed)) {
      explanation.warnings.push(`${dockerfile.file} (${name}): ${describeBaseImageProblem(problem)}`);
    }
    const gaps = unfilledArgs(model, chain, passed);
    for (const gap of gaps) {
      explanation.warnings.push(
        `${dockerfile.file}:${gap.line}: ARG ${gap.name} has no default and no rule or option sets it for ${backend.name} ` +
          `(${name}): set build-args.${gap.name} in [tool.nx-uv-cuda]`,
      );
    }
    explanation.images.push({
      target: name,
      dockerfile: dockerfile.file,
      stage: image.stage,
      backend: backend.name,
      buildArgs: explained,
      stageExists: true,
      unfilledArgs: gaps.map((gap) => gap.name),
    });
  }

  const prod = images.find(({ image }) => image.kind === 'prod');
  let smokeTarget: string | undefined;
  if (prod) {
    smokeTarget = `${names.smoke}-${build}`;
    targets.add(
      smokeTarget,
      {
        executor: `${PLUGIN}:smoke`,
        options: {
          imageMetadata: outputs.image(build, 'prod'),
          ...(project.smokeCommand ? { command: project.smokeCommand } : {}),
        },
        cache: false,
        dependsOn: [prod.name],
        metadata: metadata(`Run a check command in the prod image of ${what}`, 'docker run --help', {
          options: { command: ['python', '-c', 'import torch; print(torch.cuda.is_available())'], gpus: 'all' },
        }),
      },
      `the smoke run of ${what}`,
      backend.name,
    );
  }
  return { backend, images, wheelTarget, smokeTarget };
}

/** The aggregates (`image`, `image-dev`, `wheel-flash-attn`, ...); one named like another target is refused. */
function addAggregateTargets(project: ProjectModel, sets: BuildTargetSet[], targets: TargetSet): void {
  const names = project.targetNames;
  const collect = (pick: (set: BuildTargetSet) => Array<string | undefined>) => sets.flatMap(pick).filter(isDefined);
  const ofKind = (kind: ImageStage['kind']) => (set: BuildTargetSet) =>
    set.images.filter(({ image }) => image.kind === kind).map(({ name }) => name);
  const add = (name: string, dependsOn: string[], description: string) => {
    if (dependsOn.length === 0) return;
    targets.add(name, { executor: 'nx:noop', dependsOn, metadata: metadata(description) }, `the aggregate "${description}"`);
  };
  add(names.imageDev, collect(ofKind('dev')), 'Build the dev images of every backend');
  add(names.imageProd, collect(ofKind('prod')), 'Build the prod images of every backend');
  add(
    names.image,
    [...[names.imageDev, names.imageProd].filter((name) => name in targets.all), ...collect(ofKind('image'))],
    'Build every image',
  );
  add(names.wheel, collect((set) => [set.wheelTarget]), `Compile the ${project.wheelPackage} wheel of every backend`);
  add(names.smoke, collect((set) => [set.smokeTarget]), 'Smoke-test the prod image of every backend');
  if (project.registry) {
    // The target `nx release` runs for each project of a release group: every image but dev ones (unless asked).
    const released = sets.flatMap((set) => set.images).filter(({ image }) => image.kind !== 'dev' || project.release.dev);
    if (released.length > 0) {
      targets.add(
        NX_RELEASE_PUBLISH,
        releaseTarget(
          project,
          released.map(({ metadataFile }) => metadataFile),
          released.map(({ name }) => name),
          'Release the images (nx release): tag each pushed digest whose image changed with a new version',
        ),
        'the target nx release runs',
      );
    }
  }
}

/** The name `nx release` (its publish step) looks for. */
const NX_RELEASE_PUBLISH = 'nx-release-publish';

function releaseTarget(project: ProjectModel, metadataFiles: string[], imageTargets: string[], description: string): TargetConfiguration {
  const { versionScheme, tag, file } = project.release;
  return {
    executor: `${PLUGIN}:release`,
    options: {
      images: metadataFiles,
      pyproject: project.pyprojectFile,
      ...(versionScheme && { versionScheme }),
      ...(tag && { releaseTag: tag }),
      ...(file && { releasesFile: file }),
    },
    // A registry's tags are the state: never replayed from a cache.
    cache: false,
    dependsOn: imageTargets,
    metadata: metadata(description, 'docker buildx imagetools create --help', { options: { dryRun: true, imageVersion: '2.0.0' } }),
  };
}

type HelpExample = { options?: Record<string, unknown>; args?: string[] };

function metadata(description: string, helpCommand?: string, example: HelpExample = {}): TargetConfiguration['metadata'] {
  return {
    description,
    technologies: TECHNOLOGIES,
    ...(helpCommand ? { help: { command: helpCommand, example } } : {}),
  };
}

/** The lock files a backend reads: its own, where the model found one, else the project's. */
function locksFor(project: ProjectModel, backend: string): BackendLocks {
  return project.locks?.[backend] ?? { lockFile: project.lockFile, prodLockFile: project.prodLockFile };
}

function environmentInputs(model: DockerfileModel): Array<{ env: string }> {
  const names = environmentBuildArgNames(model);
  return names.length === 0 ? [] : [...names, DIGEST_KEY_VARIABLE].map((env) => ({ env }));
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
