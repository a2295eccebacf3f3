import { buildxBuildArgv, type BuildxBuild } from './buildx-argv';

/** What to type after a failed build: the build itself, and a shell in the stage the failed one builds on. */
export interface DebugCommands {
  /** `docker` argv of the build that failed, as it ran. */
  reproduce: string[];
  /** `docker` argv that loads the parent stage under `tag` (no push, no cache export); absent without a parent stage. */
  loadParent?: string[];
  /** `docker` argv that opens a shell there (the parent stage, else the base image the target builds FROM). */
  shell: string[];
}

/**
 * The recipe's advice for a failing stage, as commands: build up to the stage before it and open a shell there.
 * Pure; `parent` is the stage the failed target builds FROM (build args applied), `baseImage` the image otherwise.
 */
export function debugCommands(build: BuildxBuild, target: { parent?: string; baseImage?: string; tag: string }): DebugCommands {
  const reproduce = buildxBuildArgv(build);
  if (!target.parent) {
    return { reproduce, shell: ['run', '-it', '--rm', '--entrypoint', '/bin/sh', target.baseImage ?? 'scratch'] };
  }
  const loadParent = buildxBuildArgv({
    ...build,
    target: target.parent,
    tags: [target.tag],
    labels: {},
    cacheTo: [],
    output: { type: 'load' },
    metadataFile: undefined,
  });
  return { reproduce, loadParent, shell: ['run', '-it', '--rm', '--entrypoint', '/bin/sh', target.tag] };
}
