import { isAbsolute, resolve } from 'node:path';
import type { GpuAccess } from '../../docker/gpu-access';
import { dockerSafeName } from '../../docker/safe-name';
import { MOUNT_PATTERN, PORT_PATTERN, type RunOptions } from './schema';

export const DEV_WORKDIR = '/workspace';

export interface RunContext {
  /** The container's name (see `containerName`). */
  name: string;
  /** Absolute: mount sources are relative to it. */
  workspaceRoot: string;
  /** Workspace-relative: dev mounts it at /workspace by default. */
  projectRoot: string;
  /** Whether the executor's stdin is a terminal: `-t` only then. */
  stdinIsTty: boolean;
}

export interface Mount {
  source: string;
  target: string;
  readonly: boolean;
}

/**
 * `docker run ...` for the run executor: `[--rm] --name <name> [-i [-t]] --network <network> <gpu flags>
 * <mounts> [-w <dir>] <ports> <env by name> <extraArgs> <image> [command]`. Environment values are never on the
 * command line (`--env NAME`: docker takes the value from its own environment).
 */
export function runArgv(options: RunOptions, image: string, gpu: GpuAccess, context: RunContext): string[] {
  const argv = ['run'];
  if (options.rm) argv.push('--rm');
  argv.push('--name', context.name);
  if (isInteractive(options)) argv.push(...(context.stdinIsTty ? ['-i', '-t'] : ['-i']));
  argv.push('--network', options.network);
  argv.push(...gpu.args);
  const mounts = resolveMounts(options, context);
  for (const mount of mounts) argv.push('--mount', mountSpec(mount));
  const workdir = options.workdir ?? (options.mode === 'dev' ? (mounts[0]?.target ?? undefined) : undefined);
  if (workdir) argv.push('-w', workdir);
  for (const port of options.ports) argv.push('-p', port);
  for (const name of Object.keys(options.env).sort()) argv.push('--env', name);
  argv.push(...options.extraArgs, image, ...(options.command ?? []));
  return argv;
}

export function isInteractive(options: RunOptions): boolean {
  return options.interactive ?? options.mode === 'dev';
}

/** The mounts as given, or for dev by default the project root at /workspace (read-write); sources made absolute. */
export function resolveMounts(options: RunOptions, context: Pick<RunContext, 'workspaceRoot' | 'projectRoot'>): Mount[] {
  const given = options.mounts ?? (options.mode === 'dev' ? [`${context.projectRoot}:${DEV_WORKDIR}`] : []);
  return given.map((text) => {
    const match = MOUNT_PATTERN.exec(text);
    if (!match?.groups) throw new Error(`unvalidated mount ${text}`);
    const source = match.groups.source;
    return {
      source: isAbsolute(source) ? source : resolve(context.workspaceRoot, source || '.'),
      target: match.groups.target,
      readonly: match.groups.mode === 'ro',
    };
  });
}

/** `type=bind,source=...,target=...[,readonly]`, quoted as docker's CSV reader expects when a path has a comma. */
export function mountSpec(mount: Mount): string {
  const field = (text: string) => (/[",]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return ['type=bind', field(`source=${mount.source}`), field(`target=${mount.target}`), ...(mount.readonly ? ['readonly'] : [])].join(',');
}

/** The URL each published TCP port answers on, from the host: `127.0.0.1:18765:8000` → `http://127.0.0.1:18765/`. */
export function publishedUrls(ports: string[]): Array<{ url: string; port: string }> {
  return ports.flatMap((port) => {
    const groups = PORT_PATTERN.exec(port)?.groups;
    if (!groups || (groups.protocol ?? 'tcp') !== 'tcp') return [];
    const ip = groups.ip === undefined || groups.ip === '0.0.0.0' || groups.ip === '[::]' ? 'localhost' : groups.ip;
    return [{ url: `http://${ip}:${Number(groups.host)}/`, port: `${Number(groups.container)}/tcp` }];
  });
}

/** `<project>-<backend>` for prod, `<project>-<backend>-dev-<pid>` for dev (several dev shells may run at once). */
export function containerName(options: RunOptions, project: string, backend: string | undefined, pid: number): string {
  if (options.name) return options.name;
  const base = [project, backend].filter((part): part is string => Boolean(part)).map((part) => dockerSafeName(part, 'run')).join('-');
  return options.mode === 'dev' ? `${base}-dev-${pid}` : base;
}
