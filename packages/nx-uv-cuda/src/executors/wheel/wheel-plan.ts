import { join } from 'node:path';
import { buildxBuildArgv, defaultProgress, type BuildxBuild } from '../../docker/buildx-argv';
import type { WheelOptions } from './schema';

export interface WheelPlanInput {
  options: WheelOptions;
  /** Credential-looking build args that buildx takes from the environment (the build-args file names them). */
  environmentBuildArgs: string[];
  /**
   * The build's output holds credential values to mask: it must be plain lines (a tty drawing or rawjson's
   * base64 would carry them past the mask).
   */
  masksOutput?: boolean;
  workspaceRoot: string;
  exportDir: string;
  env: NodeJS.ProcessEnv;
  stderrIsTty: boolean;
}

/** The flash-attn knobs as build args: explicit options win over the target's build args. */
export function wheelBuildArgs(options: WheelOptions): Record<string, string> {
  const knobs: Record<string, string | undefined> = {
    MAX_JOBS: options.maxJobs?.toString(),
    NVCC_THREADS: options.nvccThreads?.toString(),
    FLASH_ATTN_CUDA_ARCHS: options.cudaArchs,
  };
  const set = Object.entries(knobs).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return { ...options.buildArgs, ...Object.fromEntries(set) };
}

/** One buildx build that exports the wheel stage (or its scratch stage) into `exportDir`. Pure. */
export function planWheel(input: WheelPlanInput): { build: BuildxBuild; argv: string[] } {
  const { options } = input;
  const build: BuildxBuild = {
    dockerfile: join(input.workspaceRoot, options.dockerfile),
    context: join(input.workspaceRoot, options.context),
    target: options.exportStage ?? options.target,
    buildArgs: wheelBuildArgs(options),
    environmentBuildArgs: input.environmentBuildArgs,
    builder: options.builder,
    platforms: options.platforms,
    cacheFrom: options.cacheFrom,
    cacheTo: options.cacheTo,
    secrets: options.secrets,
    progress: input.masksOutput ? 'plain' : (options.progress ?? defaultProgress(input.env, input.stderrIsTty)),
    output: { type: 'local', dest: input.exportDir },
    noCache: options.noCache,
  };
  return { build, argv: buildxBuildArgv(build) };
}
