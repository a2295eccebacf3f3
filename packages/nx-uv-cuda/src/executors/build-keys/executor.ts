import { posix } from 'node:path';
import { PluginError } from '../../core/errors';
import { argValuesSeen, computeBuildKeys, serializeKey } from '../../keys/build-keys';
import { hashCopiedFiles } from '../../keys/context-files';
import { hashExclusions } from '../../keys/exclusions';
import { secretDigest } from '../../keys/secret-digest';
import { layerProjectBuildArgs } from '../../model/backends';
import { loadDockerfile } from '../../model/dockerfile';
import { environmentBuildArgs } from '../../model/secret-build-args';
import { declaredBuildArgs, hasWheel } from '../../model/stages';
import { lockSliceFileSchema, readTaskFile, type BuildArgsFile } from '../../model/task-files';
import { parsePyproject } from '../../python/pyproject';
import { writeJsonAtomically, writeTextAtomically } from '../shared/files';
import { info } from '../shared/log';
import { runExecutor } from '../shared/run-executor';
import { buildKeysExecutorSchema } from './schema';

/**
 * Writes the keys of one backend's wheel and image builds (see keys/build-keys.ts) and the build args to use.
 * Cheap and pure TypeScript: it reruns whenever anything in the build context changes, and its outputs stay
 * byte-identical unless something a build reads changed, so the expensive targets that hash them do not rerun.
 */
export default runExecutor({ schema: buildKeysExecutorSchema }, async ({ options, task, files }) => {
  const pyprojectText = files.read(options.pyproject);
  if (pyprojectText === undefined) {
    throw new PluginError('missing-input', `${options.pyproject} does not exist any more`, { file: options.pyproject });
  }
  const config = parsePyproject(pyprojectText, options.pyproject).config;
  const model = loadDockerfile(files, options.dockerfile);
  const wheelStages = { build: options.wheelBuildStage, export: options.wheelExportStage };
  const buildArgs = declaredBuildArgs(
    model,
    layerProjectBuildArgs(options.baseBuildArgs, options.backend, config.buildArgs, config.backends),
  );
  // Credentials come from the environment: the keys see their digests, the build-args file only their names.
  const fromEnvironment = environmentBuildArgs(model, process.env);
  const keyedArgs = {
    ...buildArgs,
    ...Object.fromEntries(Object.entries(fromEnvironment).map(([name, value]) => [name, secretDigest(value, process.env)])),
  };
  const readSlice = (file: string) => readTaskFile(files, file, lockSliceFileSchema, task.producerOf(file));
  const slices = { dev: readSlice(options.devLockSlice), prod: readSlice(options.prodLockSlice) };
  const exclusions = hashExclusions({
    root: posix.dirname(options.pyproject),
    contextDir: options.context,
    lockFile: options.lockFile,
    prodLockFile: options.prodLockFile,
    prodSliceSources: slices.prod.data.packages.map((pkg) => pkg.source),
  });
  const dockerignore = options.dockerignore ? files.read(options.dockerignore) : undefined;
  const contextDir = task.absolute(options.context);
  const keys = computeBuildKeys({
    model,
    wheelStages,
    images: options.images,
    buildArgs: keyedArgs,
    wheel: hasWheel(model, wheelStages.build, buildArgs)
      ? { package: options.wheelPackage, buildRequirements: options.wheelBuildRequirements }
      : undefined,
    slices,
    copiedFiles: (chain, forWheel) =>
      hashCopiedFiles(contextDir, chain, {
        dockerignore,
        exclude: forWheel ? exclusions.wheel : exclusions.image,
        argValues: argValuesSeen(model, chain, keyedArgs),
        contextLabel: options.context,
      }),
  });

  if (keys.wheel) writeTextAtomically(task.absolute(options.wheelKeyFile), serializeKey(keys.wheel));
  keys.images.forEach((key, index) => writeTextAtomically(task.absolute(options.images[index].keyFile), serializeKey(key)));
  writeJsonAtomically(
    task.absolute(options.buildArgsFile),
    { buildArgs, fromEnvironment: Object.keys(fromEnvironment) } satisfies BuildArgsFile,
  );
  info(`build keys of ${options.backend}: ${options.buildArgsFile} and the files beside it`);
});
