// Baseline (b): every image of the workspace built with plain `docker buildx build` and the engine's warm
// BuildKit cache, as a CI script without Nx would: each service × backend × dev/prod, the Dockerfile's own
// wheels stage compiling flash-attn (no --build-context), the same build args the plugin passes, pushed.
// What "rebuilt" means here: the build produced an image this workspace never had before (BuildKit executed at
// least one RUN/COPY/ADD/WORKDIR step, or the image config changed: a new digest); a build that ends with a digest
// seen before was fully served by the cache. A wheel counts as rebuilt when the stand-in's compile line appears.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { buildkitSteps } from './measure.mjs';
import { runLogged } from './process.mjs';

export const BUILDX_TIMEOUT_MS = 20 * 60_000;

// The built plugin's own rules: the baseline passes the build args the plugin would (one CUDA table, one home).
// Loaded on first use, so that `run.mjs --help` answers without a built plugin.
const pluginBackends = () => createRequire(import.meta.url)('../../../packages/nx-uv-cuda/dist/model/backends.js');

/** The plugin's recipe defaults for a backend (README: Backends), and the service's `[tool.nx-uv-cuda] build-args`. */
export function buildArgsFor(ws, service, backend) {
  const { RECIPE_BUILD_ARGS, cudaVersionOfBackend } = pluginBackends();
  const tool = parse(ws.read(`services/${service}/pyproject.toml`)).tool?.['nx-uv-cuda'] ?? {};
  return {
    ...RECIPE_BUILD_ARGS,
    CUDA_VERSION: cudaVersionOfBackend(backend),
    TORCH_BACKEND: backend,
    ...(tool['build-args'] ?? {}),
  };
}

/** A service's backends: `[tool.nx-uv-cuda] backends`, else its `cuXYZ` extras. */
export function backendsOf(ws, service) {
  const pyproject = parse(ws.read(`services/${service}/pyproject.toml`));
  const declared = pyproject.tool?.['nx-uv-cuda']?.backends;
  if (Array.isArray(declared)) return declared;
  return Object.keys(pyproject.project?.['optional-dependencies'] ?? {}).filter((name) => /^cu\d+$/.test(name)).sort();
}

/**
 * Builds every image of `ws` once. `dockerfileOf(service)` and `contextOf(service)` are workspace-relative.
 * @returns {Promise<{ wall: number, ran: string[], replayed: string[], compiles: number, failures: string[], builds: object[] }>}
 */
export async function buildEverything(ws, { registry, logDir, dockerfileOf, contextOf, kinds = ['dev', 'prod'] }) {
  // Digests each image task of this workspace has produced so far, across calls.
  ws.seenDigests ??= new Map();
  const builds = [];
  const ranSet = new Set();
  const replayedSet = new Set();
  let compiles = 0;
  let wall = 0;
  const failures = [];
  for (const service of ws.services()) {
    for (const backend of backendsOf(ws, service)) {
      const wheelTask = `${service}:wheel-flash-attn-${backend}`;
      let wheelCompiled = false;
      for (const kind of kinds) {
        const task = `${service}:image-${kind}-${backend}`;
        const args = Object.entries(buildArgsFor(ws, service, backend)).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]);
        const metadataFile = join(logDir, `${service}-${kind}-${backend}.metadata.json`);
        const argv = [
          'buildx', 'build',
          '--file', ws.path(dockerfileOf(service)),
          '--target', kind,
          ...args,
          '--progress', 'plain',
          '--provenance=false',
          '--tag', `${registry}/${service}:${kind}-${backend}`,
          '--push',
          '--metadata-file', metadataFile,
          ws.path(contextOf(service)),
        ];
        const result = await runLogged('docker', argv, {
          cwd: ws.root,
          timeoutMs: BUILDX_TIMEOUT_MS,
          logFile: join(logDir, `${service}-${kind}-${backend}.log`),
        });
        wall += result.wall;
        const steps = buildkitSteps(result.output);
        compiles += steps.compiles;
        if (steps.compiles > 0) wheelCompiled = true;
        if (result.exitCode !== 0) failures.push(`${task}: docker buildx build exited ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}`);
        const digest = existsSync(metadataFile) ? JSON.parse(readFileSync(metadataFile, 'utf8'))['containerimage.digest'] : undefined;
        const seen = ws.seenDigests.get(task) ?? new Set();
        const newImage = digest === undefined || !seen.has(digest);
        if (digest) ws.seenDigests.set(task, seen.add(digest));
        (steps.executed.length > 0 || newImage ? ranSet : replayedSet).add(task);
        builds.push({ task, wall: result.wall, executed: steps.executed, digest, newImage, compiles: steps.compiles, exitCode: result.exitCode });
      }
      (wheelCompiled ? ranSet : replayedSet).add(wheelTask);
    }
  }
  return { wall, ran: [...ranSet].sort(), replayed: [...replayedSet].sort(), compiles, failures, builds };
}
