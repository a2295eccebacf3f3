#!/usr/bin/env node
// Where the time of `nx show projects` goes with nx-uv-cuda: Nx perf marks and CPU profiles of a cold and a warm
// run on the graph benchmark's plugin workspace (--help for the options).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../../cli.mjs';
import { installPackedPlugin, nxBin, REPO_ROOT } from '../../example-workspace.mjs';
import { summarizeProfile } from './profile-summary.mjs';
import { createPluginWorkspace, nxEnv } from './workspace.mjs';

const USAGE = `Usage: node tools/bench/graph/profile.mjs [options]

Generates the plugin variant of the graph benchmark's workspace, runs \`nx show projects\` cold (no .nx/) and
warm with NX_PERF_LOGGING=true and a CPU profile of every node process (cpu-profile-hook.cjs), and prints the Nx
perf marks and the plugin's hot functions. The .cpuprofile files stay in --out (open them in Chrome DevTools or
speedscope).

Options:
  --services N          services in the workspace (default 1000)
  --libs N              shared libraries under libs/ (default 5)
  --lock-packages N     registry packages in each service's uv.lock (default 300)
  --out DIR             where the profiles and perf logs go (default a new temporary folder)
  --install-dir DIR     reuse a folder from installPackedPlugin() instead of packing the plugin again
  --keep                keep the workspace and the plugin install
  -h, --help            show this help`;

const { values: args } = parseCommandLine({
  usage: USAGE,
  options: {
    services: { type: 'string', default: '1000' },
    libs: { type: 'string', default: '5' },
    'lock-packages': { type: 'string', default: '300' },
    out: { type: 'string' },
    'install-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const HOOK = join(dirname(fileURLToPath(import.meta.url)), 'cpu-profile-hook.cjs');
const PERF_MARKS = /nx-uv-cuda[':]|createProjectGraphAsync'|loadSpecifiedNxPlugins|loadDefaultNxPlugins|build-project-configs|createNodes:merge|write cache|createDependencies'/;

const services = Number.parseInt(args.services, 10);
const out = args.out ?? mkdtempSync(join(tmpdir(), 'nx-uv-cuda-profile-'));
mkdirSync(out, { recursive: true });
const installDir = args['install-dir'] ?? installPackedPlugin();
const workspace = createPluginWorkspace({
  repoRoot: REPO_ROOT,
  installDir,
  services,
  libs: Number.parseInt(args.libs, 10),
  lockPackages: Number.parseInt(args['lock-packages'], 10),
});
/** One `nx show projects` with its output (perf marks included) in `log`; returns the wall time in seconds. */
function showProjects(log, extraEnv) {
  // Into a file, not a pipe: nx exits without draining a piped stdout (nrwl/nx#27968).
  const fd = openSync(log, 'w');
  const started = process.hrtime.bigint();
  try {
    execFileSync(process.execPath, [nxBin(workspace.root), 'show', 'projects'], {
      cwd: workspace.root,
      env: nxEnv({ NX_PERF_LOGGING: 'true', ...extraEnv }),
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function printPerfMarks(log) {
  const text = readFileSync(log, 'utf8').replace(/\u001b\[[0-9;]*m/g, '');
  for (const line of text.split('\n')) {
    if (PERF_MARKS.test(line)) process.stdout.write(`  ${line.replace(/^Time taken for /, '')}\n`);
  }
}

try {
  // Unprofiled first: the perf marks of a plain cold and warm run.
  rmSync(join(workspace.root, '.nx'), { recursive: true, force: true });
  for (const mode of ['cold', 'warm']) {
    const log = join(out, `${mode}-perf.log`);
    const wall = showProjects(log, {});
    process.stdout.write(`\n=== ${mode}: ${services} services, ${wall.toFixed(2)} s wall, Nx perf marks\n`);
    printPerfMarks(log);
  }
  // Then profiled: where the CPU time of each process goes (the profiler slows the runs down).
  rmSync(join(workspace.root, '.nx'), { recursive: true, force: true });
  for (const mode of ['cold', 'warm']) {
    const dir = join(out, mode);
    const wall = showProjects(join(out, `${mode}-profiled.log`), {
      NX_UV_CUDA_PROFILE_DIR: dir,
      NODE_OPTIONS: `--require ${HOOK}`,
    });
    process.stdout.write(`\n=== ${mode}, CPU-profiled: ${wall.toFixed(2)} s wall; sampled busy time per process\n`);
    const profiles = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
    for (const name of profiles) {
      const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, name), 'utf8')));
      const isPluginWorker = summary.inclusive.some(([frame]) => frame.includes('nx-uv-cuda/dist/'));
      process.stdout.write(`${name}: ${summary.busyMs.toFixed(0)} ms busy${isPluginWorker ? '  <- the nx-uv-cuda worker' : ''}\n`);
      if (!isPluginWorker) continue;
      process.stdout.write('    self time, top 15:\n');
      for (const [frame, ms] of summary.self.slice(0, 15)) process.stdout.write(`    ${ms.toFixed(0).padStart(6)} ms  ${frame}\n`);
      process.stdout.write('    inclusive time of the plugin and its dependencies, top 25:\n');
      const ours = summary.inclusive.filter(([frame]) => /nx-uv-cuda\/dist|dockerfile-ast|smol-toml|zod|minimatch|dockerignore/.test(frame));
      for (const [frame, ms] of ours.slice(0, 25)) process.stdout.write(`    ${ms.toFixed(0).padStart(6)} ms  ${frame}\n`);
    }
  }
  process.stdout.write(`\nprofiles and perf logs: ${out}\n`);
} finally {
  if (!args.keep) rmSync(workspace.root, { recursive: true, force: true });
  else process.stdout.write(`workspace kept: ${workspace.root}\n`);
  if (!args['install-dir'] && !args.keep) rmSync(installDir, { recursive: true, force: true });
}
