import { sortedEntries } from '../core/compare';

/** Everything one `docker buildx build` invocation needs; paths are absolute. */
export interface BuildxBuild {
  dockerfile: string;
  context: string;
  /** The stage to build; unset builds the final stage (BuildKit takes `--target` by name only). */
  target?: string;
  buildArgs: Record<string, string>;
  /** Build args passed by name only (`--build-arg HF_TOKEN`): buildx reads their values from its environment. */
  environmentBuildArgs?: string[];
  /** Named build contexts, e.g. `wheels` → a folder of wheel files. */
  buildContexts?: Record<string, string>;
  tags?: string[];
  labels?: Record<string, string>;
  platforms?: string[];
  builder?: string;
  cacheFrom?: string[];
  cacheTo?: string[];
  /** buildx `--secret` specs (`id=hf,env=HF_TOKEN`, `id=npmrc,src=/path`): they name values, never hold them. */
  secrets?: string[];
  progress?: 'auto' | 'plain' | 'tty' | 'quiet' | 'rawjson';
  /** `push` and `load` for images; `local` exports the target's filesystem into a folder. */
  output: { type: 'push' } | { type: 'load' } | { type: 'local'; dest: string } | { type: 'none' };
  metadataFile?: string;
  noCache?: boolean;
  pull?: boolean;
  /** BuildKit provenance attestations embed the build args; off unless asked for. */
  provenance?: boolean;
}

/** The argv (after `docker`) of a buildx build. Deterministic: maps are emitted in key order. */
export function buildxBuildArgv(build: BuildxBuild): string[] {
  const argv = ['buildx', 'build', '--file', build.dockerfile, ...(build.target ? ['--target', build.target] : [])];
  if (build.builder) argv.push('--builder', build.builder);
  if (build.progress) argv.push('--progress', build.progress);
  for (const [name, value] of sortedEntries(build.buildArgs)) argv.push('--build-arg', `${name}=${value}`);
  for (const name of build.environmentBuildArgs ?? []) argv.push('--build-arg', name);
  for (const [name, dir] of sortedEntries(build.buildContexts ?? {})) argv.push('--build-context', `${name}=${dir}`);
  for (const tag of build.tags ?? []) argv.push('--tag', tag);
  for (const [name, value] of sortedEntries(build.labels ?? {})) argv.push('--label', `${name}=${value}`);
  if (build.platforms?.length) argv.push('--platform', build.platforms.join(','));
  for (const cache of build.cacheFrom ?? []) argv.push('--cache-from', cache);
  for (const cache of build.cacheTo ?? []) argv.push('--cache-to', cache);
  for (const secret of build.secrets ?? []) argv.push('--secret', secret);
  if (build.noCache) argv.push('--no-cache');
  if (build.pull) argv.push('--pull');
  argv.push(`--provenance=${build.provenance ? 'true' : 'false'}`);
  argv.push(...outputArgv(build.output));
  if (build.metadataFile) argv.push('--metadata-file', build.metadataFile);
  argv.push(build.context);
  return argv;
}

function outputArgv(output: BuildxBuild['output']): string[] {
  switch (output.type) {
    case 'push':
      return ['--push'];
    case 'load':
      return ['--load'];
    case 'local':
      return ['--output', `type=local,dest=${output.dest}`];
    case 'none':
      return [];
  }
}

/** `--progress`: live tty output for a person at a terminal (buildx draws on stderr), plain lines in CI and logs. */
export function defaultProgress(env: NodeJS.ProcessEnv, stderrIsTty: boolean): 'tty' | 'plain' {
  const inCi = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return stderrIsTty && !inCi ? 'tty' : 'plain';
}

/** Registry cache refs for one image: read from and write to `<registry>/<project>:buildcache-<kind>-<backend>`. */
export function registryCache(cacheRef: string): { cacheFrom: string[]; cacheTo: string[] } {
  return {
    cacheFrom: [`type=registry,ref=${cacheRef}`],
    cacheTo: [`type=registry,ref=${cacheRef},mode=max,ignore-error=true`],
  };
}
