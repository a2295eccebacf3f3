import { PluginError } from '../core/errors';
import { lastLine, runCommand } from '../process/run-command';
import { engineEnv, type EngineEndpoint } from './engine-endpoint';

const REGISTRY_TIMEOUT_MS = 60_000;

/**
 * The digest the registry holds under `reference` (a HEAD-like manifest lookup through `buildx imagetools`, with
 * the CLI's registry credentials); undefined when it holds nothing there. Any other answer (unreachable,
 * refused) is an error: it says nothing about whether the image exists.
 */
export async function remoteDigest(reference: string, engine?: EngineEndpoint): Promise<string | undefined> {
  const inspect = await runCommand('docker', ['buildx', 'imagetools', 'inspect', reference, '--format', '{{json .Manifest}}'], {
    stdio: 'pipe',
    timeoutMs: REGISTRY_TIMEOUT_MS,
    env: engineEnv(engine),
  });
  if (inspect.exitCode === 0) {
    const digest = parseManifestDigest(inspect.stdout);
    if (digest) return digest;
    throw new PluginError('command', `docker buildx imagetools inspect ${reference} gave no manifest digest`);
  }
  if (isNotFound(inspect.stderr)) return undefined;
  throw new PluginError(
    'preflight',
    `could not look up ${reference} in its registry (${inspect.timedOut ? 'timed out' : lastLine(inspect.stderr)}): ` +
      'check that the registry is up and that docker login has credentials for it',
  );
}

/**
 * Points tags at what `source` names, inside the registry: no build, no layer moves. A buildx that has
 * `--prefer-index` (newer than 0.13) is told to copy a single manifest as it is, so each tag resolves to the
 * source's digest; an older one wraps a single manifest in a new index, which the tags then resolve to.
 */
export async function tagRemote(source: string, tags: string[], engine?: EngineEndpoint): Promise<void> {
  const copyAsIs = (await canCopyManifestsAsIs()) ? ['--prefer-index=false'] : [];
  const create = await runCommand(
    'docker',
    ['buildx', 'imagetools', 'create', ...copyAsIs, ...tags.flatMap((tag) => ['--tag', tag]), source],
    { stdio: 'pipe', timeoutMs: REGISTRY_TIMEOUT_MS, env: engineEnv(engine) },
  );
  if (create.exitCode !== 0) {
    throw new PluginError('command', `could not tag ${source} as ${tags.join(', ')} (${lastLine(create.stderr)})`);
  }
}

let preferIndexFlag: Promise<boolean> | undefined;

/**
 * Whether this buildx's `imagetools create` has `--prefer-index`, asked once per process: the flag itself is
 * looked for (buildx is a client plugin, the same whichever engine), not a version from BUILDX_FEATURES, as
 * distributions ship patched buildx builds.
 */
function canCopyManifestsAsIs(): Promise<boolean> {
  preferIndexFlag ??= runCommand('docker', ['buildx', 'imagetools', 'create', '--help'], { stdio: 'pipe', timeoutMs: REGISTRY_TIMEOUT_MS }).then(
    (help) => help.exitCode === 0 && help.stdout.includes('--prefer-index'),
  );
  return preferIndexFlag;
}

/** The digests of the manifests an index lists (`imagetools inspect --raw`); empty for a single manifest. */
export async function indexedDigests(reference: string, engine?: EngineEndpoint): Promise<string[]> {
  const raw = await runCommand('docker', ['buildx', 'imagetools', 'inspect', '--raw', reference], {
    stdio: 'pipe',
    timeoutMs: REGISTRY_TIMEOUT_MS,
    env: engineEnv(engine),
  });
  if (raw.exitCode !== 0) throw new PluginError('command', `could not read ${reference} (${lastLine(raw.stderr)})`);
  let manifests: unknown;
  try {
    manifests = (JSON.parse(raw.stdout) as { manifests?: unknown } | null)?.manifests ?? [];
  } catch {
    throw new PluginError('command', `docker buildx imagetools inspect --raw ${reference} gave no JSON manifest`);
  }
  return (Array.isArray(manifests) ? manifests : []).flatMap((manifest: { digest?: unknown } | null) =>
    typeof manifest?.digest === 'string' ? [manifest.digest] : [],
  );
}

/** `{"mediaType": ..., "digest": "sha256:...", ...}` → the digest. */
export function parseManifestDigest(stdout: string): string | undefined {
  try {
    const manifest: unknown = JSON.parse(stdout);
    const digest = (manifest as { digest?: unknown } | null)?.digest;
    return typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** What registries answer (through buildx) for a tag or repository that is not there. */
export function isNotFound(stderr: string): boolean {
  return /: not found\s*$|manifest unknown|name unknown|NAME_UNKNOWN|MANIFEST_UNKNOWN/m.test(stderr);
}

