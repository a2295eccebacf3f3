import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { computeBuildKeys, serializeKey, type SliceFile } from '../../keys/build-keys';
import { hashCopiedFiles } from '../../keys/context-files';
import { readProject } from '../../inference/read-project';
import { normalizePluginOptions } from '../../inference/normalize-options';
import { declaredBuildArgs, hasWheel } from '../../inference/targets';
import type { ProjectFacts } from '../../inference/project-facts';
import { writeJsonAtomically, writeTextAtomically } from '../shared/files';
import { fail, info } from '../shared/log';
import { taskInfo } from '../shared/task';
import { validateOptions } from '../shared/validate-options';
import { keyFiles, type BuildSettings } from './key-files';
import { buildKeysExecutorSchema, type BuildKeysExecutorOptions } from './schema';

/**
 * Writes the keys of one backend's wheel and image builds (see keys/build-keys.ts) and the build args to use.
 * Cheap and pure TypeScript: it reruns whenever anything in the build context changes, and its outputs stay
 * byte-identical unless something a build reads changed, so the expensive targets that hash them do not rerun.
 */
export default async function buildKeysExecutor(rawOptions: BuildKeysExecutorOptions, context: ExecutorContext) {
  const task = taskInfo(context);
  try {
    const options = validateOptions(buildKeysExecutorSchema, rawOptions, task.id);
    const project = readProject(task.workspaceRoot, options.pyproject, normalizePluginOptions(JSON.parse(options.pluginOptions)), (file) =>
      existsSync(task.absolute(file)),
    );
    const facts = project?.facts;
    if (!facts?.dockerfile) throw new Error(`${options.pyproject}: no Dockerfile found for this project any more`);
    const backend = facts.backends.find((candidate) => candidate.name === options.backend);
    if (!backend) throw new Error(`${options.pyproject}: backend "${options.backend}" is no longer declared`);

    const model = facts.dockerfile.model;
    const buildArgs = declaredBuildArgs(model, backend.buildArgs);
    const readSlice = (file: string): SliceFile => {
      if (!existsSync(task.absolute(file))) throw new Error(`${file} is missing: run the lock slice target first`);
      const text = readFileSync(task.absolute(file), 'utf8');
      return { text, ...JSON.parse(text) };
    };
    const slices = { dev: readSlice(options.lockSlices.dev), prod: readSlice(options.lockSlices.prod) };
    const contextDir = task.absolute(facts.contextDir);
    const exclusions = excludedFromHashes(facts, slices.prod);
    const keys = computeBuildKeys({
      model,
      stages: facts.stages,
      buildArgs,
      wheel: hasWheel(model, facts.stages, buildArgs)
        ? { package: facts.wheelPackage, buildRequirements: facts.wheelBuildRequirements }
        : undefined,
      slices,
      copiedFiles: (stages, forWheel) =>
        hashCopiedFiles(contextDir, stages, {
          dockerignore: facts.dockerfile?.dockerignoreText,
          exclude: forWheel ? exclusions.manifests : exclusions.locks,
        }),
    });

    const files = keyFiles(options.keysDir, options.backend);
    if (keys.wheel) writeTextAtomically(task.absolute(files.wheel), serializeKey(keys.wheel));
    writeTextAtomically(task.absolute(files.dev), serializeKey(keys.dev));
    writeTextAtomically(task.absolute(files.prod), serializeKey(keys.prod));
    writeJsonAtomically(task.absolute(files.build), { buildArgs } satisfies BuildSettings);
    info(`build keys of ${options.backend}: ${options.keysDir}`);
    return { success: true };
  } catch (error) {
    return fail((error as Error).message);
  }
}

/**
 * Context-relative paths that keys leave out because a lock slice stands for them: every lock file (images and
 * wheels), and for the wheel also the pyproject.toml files of the project, its prod manifest, the lock's folder
 * and the workspace members it installs (adding `requests` to a service changes them, never the wheel).
 */
function excludedFromHashes(facts: ProjectFacts, prodSlice: SliceFile) {
  const toContext = (workspacePath: string) => posix.relative(facts.contextDir, workspacePath);
  const lockDir = posix.dirname(facts.lockFile);
  const lockFiles = new Set([facts.lockFile, facts.prodLockFile].filter(Boolean).map((file) => toContext(file!)));
  const memberDirs = prodSlice.packages
    .filter((pkg) => /^(editable|virtual|directory)\+/.test(pkg.source))
    .map((pkg) => posix.join(lockDir, pkg.source.slice(pkg.source.indexOf('+') + 1)));
  const manifestDirs = [facts.root, posix.join(facts.root, 'prod'), lockDir, ...memberDirs];
  const manifests = new Set(manifestDirs.map((dir) => toContext(posix.join(posix.normalize(dir), 'pyproject.toml'))));
  return {
    locks: (path: string) => lockFiles.has(path),
    manifests: (path: string) => lockFiles.has(path) || posix.basename(path) === 'uv.lock' || manifests.has(path),
  };
}

