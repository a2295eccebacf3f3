import { PluginError } from '../core/errors';
import { lastLine, runCommand } from '../process/run-command';
import { formatVersion, parseBuildxVersion, supports, BUILDX_FEATURES, type BuildxFeature } from './buildx-version';
import { describeEngine, engineEnv, type EngineEndpoint } from './engine-endpoint';

const PROBE_TIMEOUT_MS = 20_000;
const PROVISION_HINT = 'run tools/docker/provision.sh from the nx-uv-cuda repository, or install Docker Engine with the buildx plugin';

export interface EngineRequirements {
  features: BuildxFeature[];
  builder?: string;
  /** The engine the build runs on; unset: the default one. */
  engine?: EngineEndpoint;
  /** Registry host (e.g. `127.0.0.1:5000`) that the build pushes to. */
  pushTo?: string;
}

/** What a `docker run` needs to know about the daemon. */
export interface Daemon {
  serverVersion: string;
  /** The names of the engine's runtimes (`runc`, `nvidia`, ...). */
  runtimes: string[];
  /**
   * The folders the engine reads CDI specs from (`docker info`'s `CDISpecDirs`): empty when CDI is off, undefined
   * when the engine is too old to report them (Docker < 25).
   */
  cdiSpecDirs: string[] | undefined;
}

export interface Engine extends Daemon {
  buildxVersion: [number, number, number];
}

/** Checks that the CLI is there and the engine's daemon answers; what `docker run` needs (no buildx). */
export async function checkDaemon(engine?: EngineEndpoint): Promise<Daemon> {
  const client = await docker(['version', '--format', '{{.Client.Version}}']);
  if (client.notFound) throw new PluginError('preflight', `The docker CLI is not on PATH: ${PROVISION_HINT}.`);
  if (engine?.context) await requireContext(engine.context);

  const info = await docker(['info', '--format', '{{.ServerVersion}}|{{json .Runtimes}}'], engine);
  if (info.exitCode !== 0 || info.stdout.trim() === '' || info.stdout.startsWith('|')) {
    const answer = lastLine(info.stderr) || 'no answer';
    throw new PluginError(
      'preflight',
      engine
        ? `${capitalize(describeEngine(engine))} (the engine option of this target) is not answering (docker info: ${answer}): ` +
            'start it, or fix builders in nx.json or [tool.nx-uv-cuda].'
        : `The Docker daemon is not answering (docker info: ${answer}). ` +
            `Start it (systemctl start docker, or dockerd), check DOCKER_HOST, or ${PROVISION_HINT}.`,
    );
  }
  const [serverVersion, runtimesJson] = info.stdout.trim().split('|');
  // A separate probe: an engine without the field fails the whole template, and must not fail the check.
  const cdi = await docker(['info', '--format', '{{json .CDISpecDirs}}'], engine);
  const cdiSpecDirs = cdi.exitCode === 0 ? parseCdiSpecDirs(cdi.stdout) : undefined;
  return { serverVersion, runtimes: parseRuntimes(runtimesJson), cdiSpecDirs };
}

async function requireContext(context: string): Promise<void> {
  const inspect = await docker(['context', 'inspect', '--format', '{{.Name}}', context]);
  if (inspect.exitCode !== 0) {
    throw new PluginError(
      'preflight',
      `There is no docker context "${context}" (the engine option of this target): create it with ` +
        `docker context create ${context} --docker host=tcp://HOST:2376, or list contexts with docker context ls.`,
    );
  }
}

/** Checks, in order, everything a build needs from the engine; each failure says what to do. */
export async function checkEngine(requirements: EngineRequirements): Promise<Engine> {
  const daemon = await checkDaemon(requirements.engine);

  const buildx = await docker(['buildx', 'version'], requirements.engine);
  const buildxVersion = buildx.exitCode === 0 ? parseBuildxVersion(buildx.stdout) : undefined;
  if (!buildxVersion) {
    throw new PluginError('preflight', `docker buildx is not installed (docker buildx version failed): ${PROVISION_HINT}.`);
  }
  for (const feature of requirements.features) {
    if (!supports(buildxVersion, feature)) {
      throw new PluginError('preflight', 
        `docker buildx ${formatVersion(buildxVersion)} is too old for ${feature}: ` +
          `it needs buildx ${formatVersion(BUILDX_FEATURES[feature])} or newer.`,
      );
    }
  }

  if (requirements.builder) {
    const builder = await docker(['buildx', 'inspect', requirements.builder], requirements.engine);
    if (builder.exitCode !== 0) {
      throw new PluginError('preflight', 
        `Unknown buildx builder "${requirements.builder}" on ${describeEngine(requirements.engine)} (${lastLine(builder.stderr)}): ` +
          `create it with docker buildx create --name ${requirements.builder} ..., or list builders with docker buildx ls.`,
      );
    }
  }
  if (requirements.pushTo) await checkRegistry(requirements.pushTo);

  return { ...daemon, buildxVersion };
}

/** A registry answers `/v2/` with 200 or 401 (auth required); anything else means pushes will fail. */
export async function checkRegistry(host: string): Promise<void> {
  const schemes = isLoopback(host) ? ['http', 'https'] : ['https', 'http'];
  const failures: string[] = [];
  for (const scheme of schemes) {
    try {
      const response = await fetch(`${scheme}://${host}/v2/`, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200 || response.status === 401) return;
      failures.push(`${scheme}: HTTP ${response.status}`);
    } catch (error) {
      failures.push(`${scheme}: ${(error as Error).cause ?? (error as Error).message}`);
    }
  }
  throw new PluginError('preflight', 
    `Registry ${host} is unreachable (${failures.join('; ')}): start it, fix the registry option, or unset it to load images locally.`,
  );
}

/** `127.0.0.1:5000/ml/service` → `127.0.0.1:5000`; a ref without a registry host means Docker Hub. */
export function registryHost(reference: string): string {
  const [first, ...rest] = reference.split('/');
  const isHost = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : 'registry-1.docker.io';
}

function isLoopback(host: string): boolean {
  return /^(localhost|127\.|\[::1\])/.test(host);
}

export function parseRuntimes(json: string | undefined): string[] {
  try {
    return Object.keys(JSON.parse(json ?? '{}') ?? {});
  } catch {
    return [];
  }
}

/** `docker info --format '{{json .CDISpecDirs}}'`: `["/etc/cdi","/var/run/cdi"]`, `[]` or `null` (CDI off). */
export function parseCdiSpecDirs(stdout: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(stdout.trim() || 'null');
    if (value === null) return [];
    return Array.isArray(value) ? value.filter((dir): dir is string => typeof dir === 'string' && dir !== '') : undefined;
  } catch {
    return undefined;
  }
}

/** The image's id when the engine holds it (`docker image inspect`); a missing one is pulled by `docker run`. */
export async function localImageId(reference: string, engine?: EngineEndpoint): Promise<string | undefined> {
  const inspect = await docker(['image', 'inspect', '--format', '{{.Id}}', reference], engine);
  return inspect.exitCode === 0 && inspect.stdout.trim() !== '' ? inspect.stdout.trim() : undefined;
}

export interface ContainerState {
  exists: boolean;
  running: boolean;
  /** `running`, `exited`, `created`, ...; empty when there is no such container. */
  status: string;
}

/** Whether a container of that name exists, and whether it runs. */
export async function containerState(name: string, engine?: EngineEndpoint): Promise<ContainerState> {
  const inspect = await docker(['container', 'inspect', '--format', '{{.State.Status}}', name], engine);
  if (inspect.exitCode !== 0) return { exists: false, running: false, status: '' };
  const status = inspect.stdout.trim();
  return { exists: true, running: status === 'running' || status === 'restarting', status };
}

function docker(args: string[], engine?: EngineEndpoint) {
  return runCommand('docker', args, { stdio: 'pipe', timeoutMs: PROBE_TIMEOUT_MS, env: engineEnv(engine) });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

