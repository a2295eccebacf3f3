#!/usr/bin/env node
// Fleet benchmark: what a second machine pays for the images a first one built, and what Nx's --parallel buys
// (--help for the parts it measures and the options).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../cli.mjs';
import { installPackedPlugin, REPO_ROOT } from '../example-workspace.mjs';
import { freePort } from '../free-port.mjs';
import { summarizeNxRun, tagDrift } from './cache-scenarios/measure.mjs';
import { cloneWorkspace, createScenarioWorkspace, runImages } from './cache-scenarios/workspace.mjs';

const USAGE = `Usage: node tools/bench/fleet.mjs [options]

Measures a second machine's cold start through the Nx remote cache alone and through the registry alone,
false hits after a registry wipe, and the speed-up of nx run-many --parallel=N over --parallel=1.
On the cache benchmark's workspace (three services, two backends, a flash-attn stand-in that "compiles" for
--compile-seconds), with a real Nx remote cache (nginx, tools/nx-cache/serve.sh) and the registry; the part
machines is A, remote, registry and wiped:
  A        machine A builds every image from empty caches: the baseline of the ratios;
  remote   machine B (a clone, cold local Nx cache and workspace data), sharing the remote cache and registry;
  registry machine C, sharing only the registry (its wheel store and images; no remote cache);
  wiped    the registry namespace wiped, then machine D with the remote cache: it must rebuild every image
           (a replayed or reused image would be a false hit) and compile nothing;
  parallel two fresh workspaces of their own BuildKit cache namespace built cold, --parallel=1 and =N.

Needs the engine, buildx and registry of tools/docker/provision.sh, nginx (tools/nx-cache/serve.sh install)
and the built plugin (npm run build). Images go to a fresh namespace, 127.0.0.1:5000/fleet-<time>/...

Options:
  --compile-seconds N  how long the flash-attn stand-in compiles (default 20)
  --parallel N         the parallel run to compare with --parallel=1 (default 3)
  --json FILE          also write the measurements as JSON
  --parts LIST         which parts to run: machines,parallel (default both)
  --keep               keep the workspaces (printed) and the nginx data
  -h, --help           show this help`;

const { values: args } = parseCommandLine({
  usage: USAGE,
  options: {
    'compile-seconds': { type: 'string', default: '20' },
    parallel: { type: 'string', default: '3' },
    parts: { type: 'string', default: 'machines,parallel' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const compileSeconds = Number.parseInt(args['compile-seconds'], 10);
const parts = new Set(args.parts.split(',').map((part) => part.trim()));
const parallel = Number.parseInt(args.parallel, 10);
const runId = `fleet-${Date.now().toString(36)}`;
const REGISTRY_HOST = '127.0.0.1:5000';
const WORK_DIR = join(tmpdir(), `fleet-bench-${runId}`);
mkdirSync(WORK_DIR, { recursive: true });
process.env.TMPDIR = WORK_DIR;
const SERVE = join(REPO_ROOT, 'tools/nx-cache/serve.sh');
const started = Date.now();
const log = (message) => process.stderr.write(`[bench:fleet ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${message}\n`);

/** A machine of its own: a cold Nx cache and workspace data in its folder. */
const ownCaches = (root) => ({ NX_CACHE_DIRECTORY: join(root, '.nx/cache'), NX_WORKSPACE_DATA_DIRECTORY: join(root, '.nx/workspace-data') });

async function main() {
  execFileSync('bash', [join(REPO_ROOT, 'tools/docker/provision.sh')], { stdio: 'pipe', timeout: 1_800_000 });
  const installDir = installPackedPlugin();
  const cacheData = join(WORK_DIR, 'nx-cache');
  const token = `rw-${runId}`;
  const url = execFileSync('bash', [SERVE, 'start', '--port', String(await freePort()), '--data-dir', cacheData, '--token', token], {
    encoding: 'utf8',
    timeout: 60_000,
  }).trim();
  const remote = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token };
  const result = { runId, cpus: cpus().length, compileSeconds, parallel, machines: {}, parallelRuns: {} };
  try {
    if (parts.has('machines')) await machines(installDir, remote, result);
    if (parts.has('parallel')) await parallelRuns(installDir, result);
    if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    execFileSync('bash', [SERVE, 'stop', '--data-dir', cacheData], { stdio: 'pipe', timeout: 60_000 });
    if (args.keep) log(`kept ${WORK_DIR}`);
    else rmSync(WORK_DIR, { recursive: true, force: true });
    rmSync(installDir, { recursive: true, force: true });
  }
}

/** Machine A builds; B (remote cache), C (registry alone) and D (after a registry wipe) follow with cold caches. */
async function machines(installDir, remote, result) {
  const namespace = `${runId}/ws`;
  const a = createScenarioWorkspace({ installDir, variant: 'plugin', registry: `${REGISTRY_HOST}/${namespace}`, compileSeconds, cacheNamespace: runId });
  log(`machine A: ${a.root}`);
  const measure = async (name, ws, env) => {
    const run = summarizeNxRun(await runImages(ws, { logFile: join(WORK_DIR, `${name}.log`), env: { ...ownCaches(ws.root), ...env } }));
    // Image tasks that ran and found their image in the registry ("not rebuilt"): summarizeNxRun lists them as replayed.
    const reused = run.replayed.filter(isImage).length;
    result.machines[name] = { ...run, reusedImages: reused, tagDrift: await tagDrift(ws.root) };
    log(`${name.padEnd(9)} ${run.wall.toFixed(1).padStart(6)} s  compiles ${run.compiles}  image builds ${run.ran.filter(isImage).length}  images reused ${reused}${run.failure ? `  FAILED\n${run.failure}` : ''}`);
    return result.machines[name];
  };
  const baseline = await measure('A', a, remote);
  await measure('remote', cloneWorkspace(a, join(WORK_DIR, 'machine-b')), remote);
  await measure('registry', cloneWorkspace(a, join(WORK_DIR, 'machine-c')), {});
  log(`wiping ${REGISTRY_HOST}/${namespace}: ${await wipeNamespace(namespace)} manifests deleted`);
  const wiped = await measure('wiped', cloneWorkspace(a, join(WORK_DIR, 'machine-d')), remote);
  // Every image must be rebuilt after the wipe: one the run calls built without building it is a false hit.
  wiped.falseHits = result.machines.A.ran.filter(isImage).filter((task) => !wiped.ran.includes(task));
  for (const name of ['remote', 'registry', 'wiped']) result.machines[name].wallRatio = result.machines[name].wall / baseline.wall;
  for (const name of ['remote', 'registry', 'wiped']) {
    const run = result.machines[name];
    log(`${name}: ${(run.wallRatio * 100).toFixed(0)}% of A's wall time, ${run.compiles} of A's ${baseline.compiles} compiles${run.falseHits ? `, false hits ${run.falseHits.length}` : ''}`);
  }
}

/** Two fresh workspaces, each with a BuildKit cache namespace of its own, built cold with --parallel=1 and =N. */
async function parallelRuns(installDir, result) {
  for (const width of [1, parallel]) {
    const ws = createScenarioWorkspace({
      installDir,
      variant: 'plugin',
      registry: `${REGISTRY_HOST}/${runId}/p${width}`,
      compileSeconds,
      cacheNamespace: `${runId}-p${width}`,
    });
    const run = summarizeNxRun(
      await runImages(ws, { logFile: join(WORK_DIR, `parallel-${width}.log`), env: ownCaches(ws.root), parallel: width }),
    );
    result.parallelRuns[width] = run;
    log(`--parallel=${width}  ${run.wall.toFixed(1).padStart(6)} s  compiles ${run.compiles}${run.failure ? `  FAILED\n${run.failure}` : ''}`);
  }
  result.parallelSpeedup = result.parallelRuns[1].wall / result.parallelRuns[parallel].wall;
  log(`speed-up of --parallel=${parallel} over --parallel=1: ${result.parallelSpeedup.toFixed(2)}x`);
}

const isImage = (task) => /:image-(dev|prod)-/.test(task);

/** Deletes every manifest under a namespace through the registry API (deletes are enabled by provision.sh). */
async function wipeNamespace(namespace) {
  const catalog = await (await fetch(`http://${REGISTRY_HOST}/v2/_catalog?n=1000`)).json();
  let deleted = 0;
  for (const repository of (catalog.repositories ?? []).filter((name) => name.startsWith(`${namespace}/`))) {
    const listing = await fetch(`http://${REGISTRY_HOST}/v2/${repository}/tags/list`);
    for (const tag of listing.ok ? ((await listing.json()).tags ?? []) : []) {
      const head = await fetch(`http://${REGISTRY_HOST}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json' },
      });
      const digest = head.headers.get('docker-content-digest');
      if (!digest) continue;
      const removed = await fetch(`http://${REGISTRY_HOST}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' });
      if (removed.status === 202) deleted += 1;
    }
  }
  return deleted;
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
