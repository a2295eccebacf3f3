import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../tools/example-workspace.mjs';
import { plain } from './output';

export const REGISTRY_HOST = '127.0.0.1:5000';

/** Makes sure the engine, buildx, the registry and the offline base images are there (idempotent, cached). */
export function provisionDocker(): void {
  execFileSync('bash', [join(REPO_ROOT, 'tools', 'docker', 'provision.sh')], { stdio: 'pipe', timeout: 1_500_000 });
}

export function docker(args: string[], timeout = 120_000): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: 'pipe', timeout });
}

export function dockerSucceeds(args: string[]): boolean {
  try {
    docker(args);
    return true;
  } catch {
    return false;
  }
}

/** The digest the registry serves for a tag, as `docker buildx imagetools inspect` reports it. */
export function registryDigest(reference: string): string {
  return JSON.parse(docker(['buildx', 'imagetools', 'inspect', reference, '--format', '{{json .Manifest}}'])).digest;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Every repository, tag and manifest digest under a registry namespace: what a failed build must leave as it was. */
export async function registrySnapshot(namespace: string): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {};
  for (const repository of (await registryRepositories()).filter((name) => name.startsWith(`${namespace}/`))) {
    // A repository whose manifests were all deleted may answer 404 for its tags: it has none.
    const listing = (await registryJson(`/v2/${repository}/tags/list`, { missing: { tags: [] } })) as { tags?: string[] | null };
    for (const tag of listing.tags ?? []) {
      const response = await fetch(`http://${REGISTRY_HOST}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { Accept: MANIFEST_TYPES },
      });
      if (!response.ok) throw new Error(`HEAD ${repository}:${tag}: HTTP ${response.status}`);
      snapshot[`${repository}:${tag}`] = response.headers.get('docker-content-digest') ?? '';
    }
  }
  return snapshot;
}

/** Every repository of the registry, page by page (the registry serves at most 1000 a page). */
async function registryRepositories(): Promise<string[]> {
  const repositories: string[] = [];
  let last = '';
  for (;;) {
    const page = (await registryJson(`/v2/_catalog?n=1000${last ? `&last=${encodeURIComponent(last)}` : ''}`)) as { repositories?: string[] };
    const names = page.repositories ?? [];
    repositories.push(...names);
    if (names.length < 1000) return repositories;
    last = names[names.length - 1];
  }
}

/** A registry API answer; an error answer throws, so that a snapshot can never be empty by mistake. */
async function registryJson(path: string, options: { missing?: unknown } = {}): Promise<unknown> {
  const response = await fetch(`http://${REGISTRY_HOST}${path}`);
  if (response.status === 404 && options.missing !== undefined) return options.missing;
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * Wipes a namespace of the registry through its own API (`DELETE /v2/<name>/manifests/<digest>`: the registry
 * runs with deletes enabled): what a registry that lost its images, or a new one, looks like to a build.
 */
export async function wipeRegistryNamespace(namespace: string): Promise<void> {
  for (const [reference, digest] of Object.entries(await registrySnapshot(namespace))) {
    if (!digest) continue;
    const repository = reference.slice(0, reference.lastIndexOf(':'));
    const response = await fetch(`http://${REGISTRY_HOST}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' });
    if (response.status !== 202 && response.status !== 404) throw new Error(`DELETE ${repository}@${digest}: HTTP ${response.status}`);
  }
}

/** Every file under a folder with the hash of its content. */
export function treeSnapshot(dir: string): Record<string, string> {
  const snapshot: Record<string, string> = {};
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else snapshot[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  if (existsSync(dir)) walk(dir);
  return snapshot;
}

/**
 * What Nx did with each task of a run, from its output (`> nx run ...` for one task, `✔  nx run ...` in run-many): `cache` when it replayed the task
 * (`[local cache]`, `[existing outputs match the cache, left as is]`, `[remote cache]`), `ran` otherwise.
 */
export function taskOutcomes(output: string): Record<string, 'cache' | 'ran'> {
  const outcomes: Record<string, 'cache' | 'ran'> = {};
  for (const match of plain(output).matchAll(/^(?:> |[✔✖]\s+)nx run (\S+:\S+)(.*)$/gm)) {
    outcomes[match[1]] = /cache/.test(match[2]) ? 'cache' : 'ran';
  }
  return outcomes;
}

/**
 * The wheel and image builds of a run that really ran `docker buildx build`: what costs compile and build time.
 * A task counts when Nx executed it (a replay repeats its old output) and it said it was building or compiling:
 * an image target always runs, and builds only when the registry or engine lacks its image.
 */
export function buildsThatRan(output: string): string[] {
  const ran = new Set(Object.entries(taskOutcomes(output)).filter(([, outcome]) => outcome === 'ran').map(([task]) => task));
  const built = [...plain(output).matchAll(/\[nx-uv-cuda\] (?:building|compiling) (\S+:\S+)(?: on .*?)?: docker buildx build/g)].map((match) => match[1]);
  return [...new Set(built)].filter((task) => ran.has(task)).sort();
}
