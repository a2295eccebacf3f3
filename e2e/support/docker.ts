import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../tools/example-workspace.mjs';

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
  const catalog = (await (await fetch(`http://${REGISTRY_HOST}/v2/_catalog?n=10000`)).json()) as { repositories?: string[] };
  const snapshot: Record<string, string> = {};
  for (const repository of (catalog.repositories ?? []).filter((name) => name.startsWith(`${namespace}/`))) {
    const listing = (await (await fetch(`http://${REGISTRY_HOST}/v2/${repository}/tags/list`)).json()) as { tags?: string[] };
    for (const tag of listing.tags ?? []) {
      const response = await fetch(`http://${REGISTRY_HOST}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { Accept: MANIFEST_TYPES },
      });
      snapshot[`${repository}:${tag}`] = response.headers.get('docker-content-digest') ?? '';
    }
  }
  return snapshot;
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
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  for (const match of plain.matchAll(/^(?:> |[✔✖]\s+)nx run (\S+:\S+)(.*)$/gm)) {
    outcomes[match[1]] = /cache/.test(match[2]) ? 'cache' : 'ran';
  }
  return outcomes;
}

/** The wheel and image builds of a run that Nx executed (not replayed): what costs compile and build time. */
export function buildsThatRan(output: string): string[] {
  return Object.entries(taskOutcomes(output))
    .filter(([task, outcome]) => outcome === 'ran' && /:(image|wheel)-.*-(cu\d+)$/.test(task))
    .map(([task]) => task)
    .sort();
}
