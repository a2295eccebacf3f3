#!/usr/bin/env node
// Graph-computation benchmark of nx-uv-cuda (--help for the options): the packed plugin inferring the projects of a
// generated workspace against the same workspace with static project.json files, interleaved in one run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseCommandLine } from '../../cli.mjs';
import { installPackedPlugin, NX_VERSION, nxBin, REPO_ROOT } from '../../example-workspace.mjs';
import { createPluginWorkspace, createStaticWorkspace, graphSummary, nx, nxEnv, staticProjectFiles } from './workspace.mjs';

const USAGE = `Usage: node tools/bench/graph/run.mjs [options]

Times \`nx show projects\` in a generated workspace of N Python services with the packed plugin inferring the
projects, against the same workspace with the equivalent static project.json files and no plugin, both measured
in the same run, interleaved, and reports the medians. cold: .nx/ (workspace data, the plugin's inference cache,
the task cache) deleted before the run; warm: the run right after a run in the same workspace.
NX_DAEMON=false, NX_NO_CLOUD=true.

Options:
  --services LIST       workspace sizes, comma-separated (default 100,1000)
  --runs N              measurements per variant and mode (default 5 up to 100 services, else 3)
  --libs N              shared libraries under libs/ (default 5)
  --lock-packages N     registry packages in each service's uv.lock (default 300)
  --cpu                 also the CPU time of nx and its plugin workers (python3 + Linux), steadier than wall
                        time on a busy machine (default off)
  --json FILE           also write the results as JSON
  --keep                keep the workspaces and the plugin install (their paths are printed)
  --install-dir DIR     reuse a folder from installPackedPlugin() instead of packing the plugin again
  -h, --help            show this help`;

const { values: args } = parseCommandLine({
  usage: USAGE,
  options: {
    services: { type: 'string', default: '100,1000' },
    runs: { type: 'string' },
    libs: { type: 'string', default: '5' },
    'lock-packages': { type: 'string', default: '300' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'install-dir': { type: 'string' },
    cpu: { type: 'boolean', default: false },
  },
});
const sizes = args.services.split(',').map((value) => Number.parseInt(value, 10));
const libs = Number.parseInt(args.libs, 10);
const lockPackages = Number.parseInt(args['lock-packages'], 10);
const runsFor = (services) => (args.runs ? Number.parseInt(args.runs, 10) : services <= 100 ? 5 : 3);
const RUN_TIMEOUT_MS = 600_000;
const TREE_CPU = join(dirname(fileURLToPath(import.meta.url)), 'tree-cpu.py');

const log = (message) => process.stderr.write(`[bench:graph] ${message}\n`);
const seconds = (ns) => Number(ns) / 1e9;
const cpuNote = (sample) => (sample.cpu === undefined ? '' : ` (cpu ${sample.cpu.toFixed(2)} s)`);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * One `nx show projects`: its wall time (process.hrtime around the process), and with --cpu the CPU time of
 * nx and all its plugin workers (tree-cpu.py; the wall time is then the nx process's own, as tree-cpu.py
 * measured it, without Python's start-up). Fails when nx fails or lists another number of projects.
 * stdout goes to a file, not a pipe: nx 24 exits without draining a piped stdout and cuts the list short
 * (nrwl/nx#27968), in both variants alike.
 */
function showProjects(root, expectedProjects, scratch) {
  const treeCpuFile = join(scratch, 'tree-cpu.txt');
  const stdoutFile = join(scratch, 'stdout.txt');
  const nxCommand = [process.execPath, nxBin(root), 'show', 'projects'];
  const [file, argv] = args.cpu ? ['python3', [TREE_CPU, ...nxCommand]] : [nxCommand[0], nxCommand.slice(1)];
  const stdout = openSync(stdoutFile, 'w');
  let wall;
  try {
    const started = process.hrtime.bigint();
    execFileSync(file, argv, {
      cwd: root,
      env: nxEnv({ TREE_CPU_OUT: args.cpu ? treeCpuFile : undefined }),
      stdio: ['ignore', stdout, 'pipe'],
      timeout: RUN_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    wall = seconds(process.hrtime.bigint() - started);
  } catch (error) {
    throw new Error(`nx show projects failed in ${root}: ${error.stderr || error.message}`);
  } finally {
    closeSync(stdout);
  }
  const listed = readFileSync(stdoutFile, 'utf8').split('\n').filter((line) => line.trim()).length;
  if (listed !== expectedProjects) throw new Error(`nx show projects listed ${listed} projects in ${root}, expected ${expectedProjects}`);
  if (!args.cpu) return { wall };
  const [nxWall, cpu] = readFileSync(treeCpuFile, 'utf8').trim().split(/\s+/).map(Number);
  return { wall: nxWall, cpu };
}

function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-bench-graph-'));
  if (!args['install-dir'] && !existsSync(join(REPO_ROOT, 'packages', 'nx-uv-cuda', 'dist', 'index.js'))) {
    log('packages/nx-uv-cuda/dist is missing: npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  if (!args['install-dir']) log(`packing the plugin and installing it with nx ${NX_VERSION}`);
  const installDir = args['install-dir'] ?? installPackedPlugin();
  // Others may rebuild dist/ while this packs: a tarball without the entry points is useless.
  for (const file of ['index.js', 'plugin.js', 'inference/read-project.js']) {
    if (!existsSync(join(installDir, 'node_modules', 'nx-uv-cuda', 'dist', file))) {
      throw new Error(`the packed plugin lacks dist/${file}: was packages/nx-uv-cuda/dist being rebuilt? Run again.`);
    }
  }
  const provenance = pluginProvenance(installDir, !args['install-dir']);
  log(`plugin: ${provenance}`);
  const usable = availableParallelism();
  const cores = usable < cpus().length ? `${usable} of ${cpus().length}` : `${usable}`;
  const machine = `${cores} × ${cpus()[0]?.model?.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  log(`machine: ${machine}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const results = [];
  const cleanup = [];
  try {
    for (const services of sizes) {
      const runs = runsFor(services);
      let started = Date.now();
      log(`${services} services: generating the plugin workspace (${lockPackages}-package locks, ${libs} libs)`);
      const plugin = createPluginWorkspace({ repoRoot: REPO_ROOT, installDir, services, libs, lockPackages });
      cleanup.push(plugin.root);
      log(`  ${plugin.root}: ${plugin.files} files, ${(plugin.bytes / 2 ** 20).toFixed(1)} MiB, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      started = Date.now();
      const fixed = createStaticWorkspace({ pluginRoot: plugin.root, services, scratch });
      cleanup.push(fixed.root);
      log(`  ${fixed.root}: ${fixed.projects} project.json files from the plugin's graph, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const expectedProjects = services + libs;
      checkEquivalent(plugin.root, fixed.root, fixed.graph, scratch, services);
      checkLocks(installDir, plugin.root);

      const samples = { plugin: { cold: [], warm: [] }, static: { cold: [], warm: [] } };
      const cpuSamples = { plugin: { cold: [], warm: [] }, static: { cold: [], warm: [] } };
      const roots = { plugin: plugin.root, static: fixed.root };
      for (let run = 0; run < runs; run += 1) {
        // Alternate which variant goes first, so that neither always follows the other.
        const order = run % 2 === 0 ? ['plugin', 'static'] : ['static', 'plugin'];
        for (const variant of order) {
          rmSync(join(roots[variant], '.nx'), { recursive: true, force: true });
          const cold = showProjects(roots[variant], expectedProjects, scratch);
          const warm = showProjects(roots[variant], expectedProjects, scratch);
          for (const [mode, sample] of [['cold', cold], ['warm', warm]]) {
            samples[variant][mode].push(sample.wall);
            if (sample.cpu !== undefined) cpuSamples[variant][mode].push(sample.cpu);
          }
          log(
            `  run ${run + 1}/${runs} ${variant.padEnd(6)} cold ${cold.wall.toFixed(2)} s${cpuNote(cold)}  warm ${warm.wall.toFixed(2)} s${cpuNote(warm)}`,
          );
        }
      }
      const row = {
        services,
        projects: expectedProjects,
        runs,
        bytes: plugin.bytes,
        files: plugin.files,
        plugin: { cold: median(samples.plugin.cold), warm: median(samples.plugin.warm) },
        static: { cold: median(samples.static.cold), warm: median(samples.static.warm) },
        samples,
        cpuSamples: args.cpu ? cpuSamples : undefined,
      };
      row.ratio = { cold: row.plugin.cold / row.static.cold, warm: row.plugin.warm / row.static.warm };
      if (args.cpu) {
        row.cpu = {
          plugin: { cold: median(cpuSamples.plugin.cold), warm: median(cpuSamples.plugin.warm) },
          static: { cold: median(cpuSamples.static.cold), warm: median(cpuSamples.static.warm) },
        };
        row.cpu.ratio = { cold: row.cpu.plugin.cold / row.cpu.static.cold, warm: row.cpu.plugin.warm / row.cpu.static.warm };
      }
      results.push(row);
      if (!args.keep) {
        for (const root of [plugin.root, fixed.root]) rmSync(root, { recursive: true, force: true });
      }
    }
  } finally {
    if (!args.keep) {
      for (const root of cleanup) rmSync(root, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
      if (!args['install-dir']) rmSync(installDir, { recursive: true, force: true });
    } else {
      log(`kept: ${[...cleanup, scratch, installDir].join(' ')}`);
    }
  }

  const table = formatTable(results);
  process.stdout.write(`\n${table}\n`);
  process.stdout.write(`machine: ${machine}\nplugin: ${provenance}\n`);
  const verdicts = results.map(
    (row) =>
      `${row.services} services: warm ${row.ratio.warm.toFixed(2)}× (aim ≤ 1.2×: ${row.ratio.warm <= 1.2 ? 'met' : 'missed'}), cold ${row.ratio.cold.toFixed(2)}× (aim ≤ 2×: ${row.ratio.cold <= 2 ? 'met' : 'missed'})`,
  );
  process.stdout.write(`${verdicts.join('\n')}\n`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify({ machine, plugin: provenance, nx: NX_VERSION, lockPackages, libs, results }, null, 2)}\n`);
}

/**
 * Which plugin was measured: the tarball's digest and, when this run packed it, the repository's commit (and
 * whether the plugin's sources differed from it). A reused --install-dir may come from another commit.
 */
function pluginProvenance(installDir, packedNow) {
  const tarball = readdirSync(installDir).find((name) => name.endsWith('.tgz'));
  const digest = tarball ? createHash('sha256').update(readFileSync(join(installDir, tarball))).digest('hex').slice(0, 12) : 'unknown';
  if (!packedNow) return `nx-uv-cuda from ${installDir} (packed earlier), tarball sha256 ${digest}…`;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages/nx-uv-cuda'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += ` + uncommitted changes in packages/nx-uv-cuda (${dirty.split('\n').length} paths)`;
  } catch {
    // not a git checkout
  }
  return `nx-uv-cuda packed at ${commit}, tarball sha256 ${digest}…`;
}

/** The static variant must give the graph the plugin gives: same projects, same edges, same targets. */
function checkEquivalent(pluginRoot, staticRoot, pluginGraph, scratch, services) {
  const file = join(scratch, `graph-${services}-static.json`);
  nx(staticRoot, ['graph', `--file=${file}`]);
  const staticGraph = JSON.parse(readFileSync(file, 'utf8')).graph;
  const a = graphSummary(pluginGraph);
  const b = graphSummary(staticGraph);
  const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);
  if (!same(a.names, b.names)) throw new Error('the static variant has other projects than the plugin variant');
  if (!same(a.edges, b.edges)) throw new Error('the static variant has other project edges than the plugin variant');
  const targetsA = staticProjectFiles(pluginGraph);
  const targetsB = staticProjectFiles(staticGraph);
  for (const [root, config] of Object.entries(targetsA)) {
    if (!same(config.targets, targetsB[root]?.targets)) throw new Error(`the static variant's targets of ${root} differ`);
  }
  log(`  equivalent: ${a.names.length} projects, ${a.edges.length} edges, same targets (${pluginRoot} vs ${staticRoot})`);
}

/**
 * The generated locks are uv.lock files as far as the plugin's lock slicer is concerned: svc-0001's dev and prod
 * locks each give a slice per backend with that backend's torch. Skipped when the packed plugin's layout differs.
 */
function checkLocks(installDir, root) {
  const require = createRequire(join(installDir, 'package.json'));
  const dist = join(installDir, 'node_modules', 'nx-uv-cuda', 'dist', 'python');
  let reader;
  let slicer;
  try {
    // By path: the package's exports do not expose these modules.
    reader = require(join(dist, 'uv-lock.js'));
    slicer = require(join(dist, 'lock-slice.js'));
  } catch {
    log('  (lock check skipped: the packed plugin has no dist/python/uv-lock.js or lock-slice.js)');
    return;
  }
  const summary = [];
  for (const [kind, file] of [['dev', 'services/svc-0001/uv.lock'], ['prod', 'services/svc-0001/prod/uv.lock']]) {
    const lock = reader.parseUvLock(readFileSync(join(root, file), 'utf8'), file);
    for (const backend of ['cu124', 'cu128']) {
      const slice = slicer.sliceLock(lock, { project: 'svc-0001', backend, devGroups: kind === 'dev' ? 'all' : 'none' });
      const torch = slice.packages.filter((pkg) => pkg.name === 'torch').map((pkg) => pkg.version);
      if (torch.length !== 1 || !torch[0].endsWith(`+${backend}`)) {
        throw new Error(`${file}: the ${backend} slice holds torch ${torch.join(', ') || 'none'}`);
      }
      summary.push(`${kind}/${backend} ${slice.packages.length}`);
    }
  }
  log(`  locks slice as uv.lock files (packages per slice: ${summary.join(', ')})`);
}

function formatTable(results) {
  const header = ['services', 'projects', 'runs', 'plugin cold', 'static cold', 'plugin warm', 'static warm', 'cold ratio', 'warm ratio'];
  const rows = results.map((row) => [
    String(row.services),
    String(row.projects),
    String(row.runs),
    `${row.plugin.cold.toFixed(2)} s`,
    `${row.static.cold.toFixed(2)} s`,
    `${row.plugin.warm.toFixed(2)} s`,
    `${row.static.warm.toFixed(2)} s`,
    `${row.ratio.cold.toFixed(2)}×`,
    `${row.ratio.warm.toFixed(2)}×`,
  ]);
  if (results.every((row) => row.cpu)) {
    header.push('cold ratio (cpu)', 'warm ratio (cpu)');
    results.forEach((row, index) => rows[index].push(`${row.cpu.ratio.cold.toFixed(2)}×`, `${row.cpu.ratio.warm.toFixed(2)}×`));
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(header), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

main();
