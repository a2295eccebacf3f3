import { posix } from 'node:path';
import type { TargetConfiguration } from '@nx/devkit';
import type { StageNames } from '../config/plugin-options';
import { contextInputs } from '../docker/context-inputs';
import { resolveStageRef, type DockerfileModel } from '../docker/dockerfile-model';
import { keyFiles } from '../executors/build-keys/key-files';
import type { Backend } from './backends';
import type { DockerfileFacts, ProjectFacts } from './project-facts';

export type ImageKind = 'dev' | 'prod';
const IMAGE_KINDS: ImageKind[] = ['dev', 'prod'];
const TECHNOLOGIES = ['docker', 'python', 'uv', 'cuda'];
const PLUGIN = 'nx-uv-cuda';

/** Workspace-relative output paths of a project; every target writes under `dist/<project root>/`. */
export function outputPaths(root: string) {
  const base = posix.join('dist', root);
  return {
    lockSlice: (backend: string, kind: ImageKind) => posix.join(base, 'locks', `${backend}-${kind}.json`),
    keysDir: posix.join(base, 'keys'),
    wheels: (backend: string) => posix.join(base, 'wheels', backend),
    image: (backend: string, kind: ImageKind) => posix.join(base, 'images', `${kind}-${backend}.json`),
  };
}

/**
 * All targets of one project, keyed by target name. Pure: everything it needs is in `facts`.
 *
 * Nx hashes the configuration of every target of a project into each of its tasks, so nothing that an
 * ordinary edit changes (build args, stage text, file contents) is written into a target here: the
 * `keys-<backend>` task computes it from the files at run time, and the wheel and image targets hash only its
 * output. Only COPY lines shape a target (the keys target's file inputs).
 */
export function inferTargets(facts: ProjectFacts): Record<string, TargetConfiguration> {
  const targets: Record<string, TargetConfiguration> = lockTargets(facts);
  // Lock slices, keys, wheels and images exist for what has a Dockerfile; a library is built into its services.
  if (!facts.dockerfile) return targets;
  const withDockerfile = { ...facts, dockerfile: facts.dockerfile };
  const perBackend = facts.backends.map((backend) => backendTargets(withDockerfile, backend));
  for (const backendTargetSet of perBackend) Object.assign(targets, backendTargetSet.targets);
  Object.assign(targets, aggregateTargets(facts, perBackend));
  return targets;
}

function lockTargets(facts: ProjectFacts): Record<string, TargetConfiguration> {
  const { lock, lockCheck } = facts.targetNames;
  const lockDir = posix.dirname(facts.lockFile);
  return {
    [lock]: {
      executor: `${PLUGIN}:uv`,
      options: { args: ['lock'], cwd: lockDir },
      cache: false,
      metadata: metadata(`Update ${facts.lockFile} with \`uv lock\``, 'uv lock --help'),
    },
    [lockCheck]: {
      executor: `${PLUGIN}:uv`,
      options: { args: ['lock', '--check'], cwd: lockDir },
      cache: true,
      inputs: [`{workspaceRoot}/${facts.lockFile}`, `{workspaceRoot}/${posix.join(lockDir, '**', 'pyproject.toml')}`],
      outputs: [],
      metadata: metadata(`Check that ${facts.lockFile} is up to date with \`uv lock --check\``, 'uv lock --help'),
    },
  };
}

interface BackendTargetSet {
  backend: Backend;
  targets: Record<string, TargetConfiguration>;
  imageTargets: Partial<Record<ImageKind, string>>;
  wheelTarget?: string;
  smokeTarget?: string;
}

function backendTargets(facts: ProjectFacts & { dockerfile: DockerfileFacts }, backend: Backend): BackendTargetSet {
  const names = facts.targetNames;
  const outputs = outputPaths(facts.root);
  const lockSliceTarget = `${names.lockSlice}-${backend.name}`;
  const keysTarget = `${names.keys}-${backend.name}`;
  const keys = keyFiles(outputs.keysDir, backend.name);
  const set: BackendTargetSet = { backend, targets: {}, imageTargets: {} };
  const model = facts.dockerfile.model;
  const withWheel = hasWheel(model, facts.stages, declaredBuildArgs(model, backend.buildArgs));

  set.targets[lockSliceTarget] = {
    executor: `${PLUGIN}:lock-slice`,
    options: {
      lockFile: facts.lockFile,
      prodLockFile: facts.prodLockFile,
      project: facts.name,
      backend: backend.isExtra ? backend.name : undefined,
      devOutput: outputs.lockSlice(backend.name, 'dev'),
      prodOutput: outputs.lockSlice(backend.name, 'prod'),
    },
    cache: true,
    inputs: [facts.lockFile, facts.prodLockFile].filter(isDefined).map((file) => `{workspaceRoot}/${file}`),
    outputs: IMAGE_KINDS.map((kind) => `{workspaceRoot}/${outputs.lockSlice(backend.name, kind)}`),
    metadata: metadata(
      `Write the ${backend.name} slice of ${facts.lockFile} (dev and prod): the packages its images install, hashed instead of the whole lock`,
    ),
  };

  set.targets[keysTarget] = {
    executor: `${PLUGIN}:build-keys`,
    options: {
      pyproject: facts.pyprojectFile,
      backend: backend.name,
      pluginOptions: JSON.stringify(facts.pluginOptions),
      lockSlices: { dev: outputs.lockSlice(backend.name, 'dev'), prod: outputs.lockSlice(backend.name, 'prod') },
      keysDir: outputs.keysDir,
    },
    cache: true,
    dependsOn: [lockSliceTarget],
    // The project's own files (pyproject.toml, Dockerfile) and what the Dockerfile's COPY lines can take: these
    // globs change only with COPY lines, and they keep `nx affected` exact (Nx treats a changed file that matches
    // a workspace-level input as touching the project).
    inputs: [
      '{projectRoot}/**/*',
      ...(facts.dockerfile.dockerignoreFile ? [`{workspaceRoot}/${facts.dockerfile.dockerignoreFile}`] : []),
      ...contextInputs(model.stages, { contextRoot: facts.contextDir, dockerignore: facts.dockerfile.dockerignoreText }).inputs,
      '!{workspaceRoot}/dist/**/*',
      { dependentTasksOutputFiles: `**/locks/${backend.name}-*.json` },
    ],
    outputs: [
      ...(withWheel ? [keys.wheel] : []),
      keys.dev,
      keys.prod,
      keys.build,
    ].map((file) => `{workspaceRoot}/${file}`),
    metadata: metadata(
      `Write the ${backend.name} build keys: for the wheel and each image, the stage texts, ARG values, base image, ` +
        'lock packages and copied files their build reads',
    ),
  };

  const common = {
    dockerfile: facts.dockerfile.file,
    context: facts.contextDir,
    backend: backend.name,
    buildFile: keys.build,
    ...(facts.registry ? { registry: facts.registry } : {}),
  };

  if (withWheel) {
    const wheelTarget = `${names.wheel}-${backend.name}`;
    set.wheelTarget = wheelTarget;
    set.targets[wheelTarget] = {
      executor: `${PLUGIN}:wheel`,
      options: {
        ...common,
        target: facts.stages.wheel,
        exportStage: resolveStageRef(model, facts.stages.wheels) ? facts.stages.wheels : undefined,
        package: facts.wheelPackage,
        keyFile: keys.wheel,
        outputPath: outputs.wheels(backend.name),
      },
      cache: true,
      dependsOn: [keysTarget],
      inputs: [{ dependentTasksOutputFiles: `**/keys/${backend.name}-wheel.json` }],
      outputs: [`{workspaceRoot}/${outputs.wheels(backend.name)}`],
      metadata: metadata(
        `Compile the ${facts.wheelPackage} wheel for ${backend.name} once per wheel key (stage ${facts.stages.wheel}); image builds reuse it`,
        'docker buildx build --help',
      ),
    };
  }

  for (const kind of IMAGE_KINDS) {
    const stage = facts.stages[kind];
    const imageTarget = `${kind === 'dev' ? names.imageDev : names.imageProd}-${backend.name}`;
    set.imageTargets[kind] = imageTarget;
    set.targets[imageTarget] = {
      executor: `${PLUGIN}:image`,
      options: {
        ...common,
        target: stage,
        kind,
        ...(set.wheelTarget ? { wheelsContext: facts.stages.wheels, wheelsDir: outputs.wheels(backend.name) } : {}),
        metadataFile: outputs.image(backend.name, kind),
      },
      // A pushed image lives in the registry, so Nx may replay its metadata; a loaded one lives only in this
      // engine, so the executor checks the engine for the task-hash tag instead of trusting Nx's cache.
      cache: facts.registry !== undefined,
      dependsOn: [keysTarget, ...(set.wheelTarget ? [set.wheelTarget] : [])],
      inputs: [{ dependentTasksOutputFiles: `**/keys/${backend.name}-${kind}.json` }],
      outputs: [`{workspaceRoot}/${outputs.image(backend.name, kind)}`],
      metadata: metadata(
        `Build the ${kind} image (stage ${stage}) for ${backend.name}` +
          (resolveStageRef(model, stage) ? '' : ` — ${facts.dockerfile.file} has no stage "${stage}" yet`),
        'docker buildx build --help',
      ),
    };
  }

  set.smokeTarget = `${names.smoke}-${backend.name}`;
  set.targets[set.smokeTarget] = {
    executor: `${PLUGIN}:smoke`,
    options: {
      imageMetadata: outputs.image(backend.name, 'prod'),
      ...(facts.smokeCommand ? { command: facts.smokeCommand } : {}),
    },
    cache: false,
    dependsOn: [set.imageTargets.prod!],
    metadata: metadata(`Run a check command in the ${backend.name} prod image`, 'docker run --help'),
  };
  return set;
}

function aggregateTargets(facts: ProjectFacts, sets: BackendTargetSet[]): Record<string, TargetConfiguration> {
  const names = facts.targetNames;
  const collect = (pick: (set: BackendTargetSet) => string | undefined) => sets.map(pick).filter(isDefined);
  const aggregates: Record<string, TargetConfiguration> = {};
  const add = (name: string, dependsOn: string[], description: string) => {
    if (dependsOn.length > 0) aggregates[name] = { executor: 'nx:noop', dependsOn, metadata: metadata(description) };
  };
  add(names.imageDev, collect((set) => set.imageTargets.dev), 'Build the dev images of every backend');
  add(names.imageProd, collect((set) => set.imageTargets.prod), 'Build the prod images of every backend');
  add(names.image, [names.imageDev, names.imageProd].filter((name) => name in aggregates), 'Build every image');
  add(names.wheel, collect((set) => set.wheelTarget), `Compile the ${facts.wheelPackage} wheel of every backend`);
  add(names.smoke, collect((set) => set.smokeTarget), 'Smoke-test the prod image of every backend');
  return aggregates;
}

/** Build args the Dockerfile declares: passing others only makes buildx warn. */
export function declaredBuildArgs(model: DockerfileModel, buildArgs: Record<string, string>): Record<string, string> {
  const declared = new Set(allArgs(model).map((arg) => arg.name));
  return Object.fromEntries(
    Object.entries(buildArgs)
      .filter(([name]) => declared.has(name))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** A wheel target exists when the Dockerfile has the wheel stage and `FLASH_ATTN_VERSION` (build arg or default) is not `none`. */
export function hasWheel(model: DockerfileModel, stages: StageNames, buildArgs: Record<string, string>): boolean {
  if (!resolveStageRef(model, stages.wheel)) return false;
  const declaredDefault = allArgs(model).find((arg) => arg.name === 'FLASH_ATTN_VERSION' && arg.defaultValue !== undefined)?.defaultValue;
  return (buildArgs.FLASH_ATTN_VERSION ?? declaredDefault) !== 'none';
}

function allArgs(model: DockerfileModel) {
  return [...model.globalArgs, ...model.stages.flatMap((stage) => stage.args)];
}

function metadata(description: string, helpCommand?: string): TargetConfiguration['metadata'] {
  return {
    description,
    technologies: TECHNOLOGIES,
    ...(helpCommand ? { help: { command: helpCommand, example: {} } } : {}),
  };
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
