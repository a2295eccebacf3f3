#!/usr/bin/env node
// Slim prod image: the e2e fixture's dev and prod images built with plain `docker buildx build`, their sizes and
// what prod adds over its runtime base (--help for more and the options). docs/benchmarks.md ("Slim prod image")
// shows a run.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine, usageError } from '../cli.mjs';
import { REPO_ROOT } from '../example-workspace.mjs';

const USAGE = `Usage: node tools/bench/slim-prod.mjs [options]

Builds the dev and prod images of an e2e fixture service (e2e/fixtures/ml-monorepo) and reports their sizes,
the sizes of the devel and runtime stand-in base images, and the layers prod adds over its runtime base; for
comparison also prod built on the devel base (--build-arg CUDA_RUNTIME_VARIANT=cudnn-devel: the same stage,
FROM the devel stand-in, as the recipe did before). It also checks that gcc is in dev and not in prod, and that
prod imports torch and flash_attn.

Needs the Docker engine with buildx and the stand-in base images of tools/docker/provision.sh (run when one is
missing). No registry: the images are loaded into the engine under a tag of this run and removed at the end.

Options:
  --service NAME   fixture service (default ml-service; also other-service)
  --backend NAME   cu124 or cu128 (default cu124)
  --json FILE      also write the measurements as JSON
  --keep           keep the images this run built (tags nx-uv-cuda-bench/slim-prod-<id>:<kind>-<backend>)
  -h, --help       show this help

Sizes: "content" is \`docker image inspect --format {{.Size}}\` (with the engine's containerd image store, the
compressed layers: what a pull transfers); "unpacked" is the sum of \`docker history --human=false\` layer sizes.
The base images are stand-ins (Debian bookworm rootfs images tagged with nvidia/cuda names), not NVIDIA's.`;

const CUDA_VERSIONS = { cu124: '12.4.1', cu128: '12.8.0' };
const FIXTURE = join(REPO_ROOT, 'e2e', 'fixtures', 'ml-monorepo');
const BUILD_TIMEOUT_MS = 600_000;
const QUERY_TIMEOUT_MS = 60_000;

const { values: args } = parseCommandLine({
  usage: USAGE,
  options: {
    service: { type: 'string', default: 'ml-service' },
    backend: { type: 'string', default: 'cu124' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const cudaVersion = CUDA_VERSIONS[args.backend];
if (!cudaVersion) usageError(USAGE, `unknown backend ${args.backend} (expected ${Object.keys(CUDA_VERSIONS).join(' or ')})`);
if (!['ml-service', 'other-service'].includes(args.service)) usageError(USAGE, `unknown service ${args.service}`);

const DEVEL_BASE = `nvidia/cuda:${cudaVersion}-cudnn-devel-ubuntu22.04`;
const RUNTIME_BASE = `nvidia/cuda:${cudaVersion}-cudnn-runtime-ubuntu22.04`;
const runId = Date.now().toString(36);
const tagOf = (kind) => `nx-uv-cuda-bench/slim-prod-${runId}:${kind}-${args.backend}`;
const built = [];

try {
  ensureBaseImages();
  build('dev', 'dev');
  build('prod', 'prod');
  build('prod', 'prod-on-devel', ['CUDA_RUNTIME_VARIANT=cudnn-devel']);
  const report = measure();
  console.log(markdown(report));
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
} catch (error) {
  console.error(`slim-prod: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  if (!args.keep && built.length > 0) spawnSync('docker', ['image', 'rm', ...built], { stdio: 'ignore', timeout: QUERY_TIMEOUT_MS });
}

function fail(message) {
  throw new Error(message);
}

function docker(argv, timeout = QUERY_TIMEOUT_MS) {
  return execFileSync('docker', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout, maxBuffer: 64 << 20 });
}

function succeeds(argv) {
  return spawnSync('docker', argv, { stdio: 'ignore', timeout: QUERY_TIMEOUT_MS }).status === 0;
}

function ensureBaseImages() {
  if ([DEVEL_BASE, RUNTIME_BASE].every((image) => succeeds(['image', 'inspect', image]))) return;
  console.error('slim-prod: a stand-in base image is missing; running tools/docker/provision.sh');
  execFileSync('bash', [join(REPO_ROOT, 'tools', 'docker', 'provision.sh')], { stdio: 'inherit', timeout: 1_800_000 });
}

function build(target, kind, extraArgs = []) {
  const tag = tagOf(kind);
  const extra = extraArgs.map((arg) => ` --build-arg ${arg}`).join('');
  console.error(`slim-prod: docker buildx build --target ${target}${extra} (${args.service}, ${args.backend}) -t ${tag}`);
  const result = spawnSync(
    'docker',
    [
      'buildx', 'build', '--load', '--progress=plain',
      '-f', `services/${args.service}/docker/Dockerfile-cu124-uv`,
      '--target', target,
      '--build-arg', `CUDA_VERSION=${cudaVersion}`,
      '--build-arg', `TORCH_BACKEND=${args.backend}`,
      ...extraArgs.flatMap((arg) => ['--build-arg', arg]),
      '-t', tag,
      '.',
    ],
    { cwd: FIXTURE, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 << 20 },
  );
  if (result.status !== 0) fail(`building ${kind} failed:\n${String(result.stderr ?? '').slice(-4000)}`);
  built.push(tag);
}

function image(ref) {
  const [size, layers] = docker(['image', 'inspect', '--format', '{{.Size}} {{json .RootFS.Layers}}', ref]).trim().split(/ (.*)/s);
  const history = docker(['history', '--human=false', '--no-trunc', '--format', '{{.Size}}\t{{.CreatedBy}}', ref])
    .trim()
    .split('\n')
    .map((line) => {
      const [bytes, ...createdBy] = line.split('\t');
      return { bytes: Number(bytes), createdBy: createdBy.join('\t') };
    })
    .reverse(); // oldest first
  return {
    ref,
    contentBytes: Number(size),
    unpackedBytes: history.reduce((sum, entry) => sum + entry.bytes, 0),
    layers: JSON.parse(layers),
    history,
  };
}

function runs(ref, script) {
  return spawnSync('docker', ['run', '--rm', '--network', 'none', ref, 'sh', '-c', script], { stdio: 'ignore', timeout: QUERY_TIMEOUT_MS }).status === 0;
}

function measure() {
  const dev = image(tagOf('dev'));
  const prod = image(tagOf('prod'));
  const prodOnDevel = image(tagOf('prod-on-devel'));
  const devel = image(DEVEL_BASE);
  const runtime = image(RUNTIME_BASE);
  const onRuntime = runtime.layers.every((layer, index) => prod.layers[index] === layer);
  if (!onRuntime) fail(`${prod.ref} is not built on ${RUNTIME_BASE}`);
  if (!devel.layers.every((layer, index) => prodOnDevel.layers[index] === layer)) fail(`${prodOnDevel.ref} is not built on ${DEVEL_BASE}`);
  const added = prod.history.slice(runtime.history.length).filter((entry) => entry.bytes > 0);
  const smoke = docker([
    'run', '--rm', '--network', 'none', prod.ref, 'python', '-c',
    'import torch, flash_attn; print("torch", torch.__version__, "flash_attn", flash_attn.__version__)',
  ]).trim();
  // What the venv copied from deps-prod holds, largest first (kB as `du -sk` counts them on disk).
  const venv = docker(['run', '--rm', '--network', 'none', prod.ref, 'sh', '-c', 'du -sk /opt/venv/lib/python3*/site-packages/* | sort -rn'])
    .trim()
    .split('\n')
    .map((line) => {
      const [kb, path] = line.split('\t');
      return { bytes: Number(kb) * 1024, path: path.replace(/^\/opt\/venv\/lib\/python3[^/]*\/site-packages\//, '') };
    });
  const summary = (entry) => ({ ref: entry.ref, contentBytes: entry.contentBytes, unpackedBytes: entry.unpackedBytes, layers: entry.layers.length });
  return {
    service: args.service,
    backend: args.backend,
    engine: docker(['version', '--format', '{{.Server.Version}}']).trim(),
    images: {
      dev: summary(dev),
      prod: summary(prod),
      prodOnDevel: summary(prodOnDevel),
      develBase: summary(devel),
      runtimeBase: summary(runtime),
    },
    prodOverRuntimeBase: {
      contentBytes: prod.contentBytes - runtime.contentBytes,
      unpackedBytes: prod.unpackedBytes - runtime.unpackedBytes,
      layers: added.map((entry) => ({ bytes: entry.bytes, createdBy: shorten(entry.createdBy) })),
      venvSitePackages: venv,
    },
    gcc: { dev: runs(dev.ref, 'command -v gcc'), prod: runs(prod.ref, 'command -v gcc'), prodOnDevel: runs(prodOnDevel.ref, 'command -v gcc') },
    prodSmoke: smoke,
  };
}

function shorten(createdBy) {
  const text = createdBy.replace(/^(RUN )?\/bin\/sh -c /, 'RUN ').replace(/\s+# buildkit$/, '').replace(/\s+/g, ' ');
  return text.length > 90 ? `${text.slice(0, 87)}...` : text;
}

function mb(bytes) {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function has(found) {
  return found ? 'has it' : 'has none';
}

function markdown(report) {
  const { images, prodOverRuntimeBase: added } = report;
  const row = (label, entry) => `| ${label} | \`${entry.ref}\` | ${mb(entry.contentBytes)} | ${mb(entry.unpackedBytes)} | ${entry.layers} |`;
  return [
    `${report.service}, ${report.backend}, engine ${report.engine}`,
    '',
    '| image | reference | content (compressed) | unpacked | layers |',
    '| --- | --- | ---: | ---: | ---: |',
    row('dev', images.dev),
    row('prod', images.prod),
    row('prod on devel (before)', images.prodOnDevel),
    row('devel stand-in base', images.develBase),
    row('runtime stand-in base', images.runtimeBase),
    '',
    `prod over its runtime base: ${mb(added.contentBytes)} content, ${mb(added.unpackedBytes)} unpacked, in these layers:`,
    '',
    '| unpacked | layer |',
    '| ---: | --- |',
    ...added.layers.map((layer) => `| ${mb(layer.bytes)} | \`${layer.createdBy.replace(/\|/g, '\\|')}\` |`),
    '',
    `/opt/venv site-packages: ${added.venvSitePackages
      .filter((entry) => entry.bytes >= 100 * 1024)
      .map((entry) => `${entry.path} ${mb(entry.bytes)}`)
      .join(', ')} (and ${added.venvSitePackages.filter((entry) => entry.bytes < 100 * 1024).length} smaller entries)`,
    '',
    `gcc: dev ${has(report.gcc.dev)}, prod ${has(report.gcc.prod)}, prod on devel ${has(report.gcc.prodOnDevel)}; prod runs: ${report.prodSmoke}`,
  ].join('\n');
}
