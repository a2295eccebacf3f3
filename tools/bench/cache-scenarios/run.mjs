#!/usr/bin/env node
// Cache-precision benchmark of nx-uv-cuda (--help for what it measures and its options): scripted edits on the
// e2e monorepo, each built for real, against the set of builds that must run (edits.mjs), for the plugin and two
// baselines, then the scaling part.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../../cli.mjs';
import { installPackedPlugin, NX_VERSION, REPO_ROOT } from '../../example-workspace.mjs';
import { buildArgsFor, buildEverything } from './buildx-baseline.mjs';
import { builds, EDITS } from './edits.mjs';
import { changedKeys, classify, digest, explain, keySnapshot, summarizeNxRun, tagDrift } from './measure.mjs';
import { runLogged } from './process.mjs';
import { markdown, VARIANT_LABELS } from './report.mjs';
import { changeSharedWheel, createScalingWorkspace } from './scaling.mjs';
import {
  BACKENDS,
  cloneWorkspace,
  createScenarioWorkspace,
  markDockerfiles,
  runImages,
  showProject,
  WHOLE_PROJECT_INPUTS,
} from './workspace.mjs';

const USAGE = `Usage: node tools/bench/cache-scenarios/run.mjs [options]

A scripted series of edits on the e2e monorepo (three services, two sharing libs/shared, two CUDA backends),
each built for real on the local engine and registry, each with the set of builds that must run written next to
it (edits.mjs). For every edit it reports the builds that ran without need (false misses), the builds replayed
that needed to run (false hits), the real flash-attn compiles and the wall time, for the plugin and, in the
same run, for two baselines:
  whole-project  the wheel and image targets hashing the whole project (@nx/docker's inferred
                 default/^default) plus the workspace files the Dockerfiles copy;
  buildx         every image built with \`docker buildx build\` and the warm BuildKit cache (no Nx).
Then the scaling part: seed-layout services sharing one wheel key (compiles and wall time).

Needs the Docker engine, buildx and the registry on 127.0.0.1:5000 (tools/docker/provision.sh, run first) and
the built plugin (npm run build). Every image goes to a fresh namespace, 127.0.0.1:5000/bench-<time>/...

Options:
  --scenarios LIST      all, none or edit names, comma-separated (default all)
  --variants LIST       plugin, whole-project, buildx, comma-separated (default plugin,whole-project,buildx)
  --scaling LIST        service counts of the scaling part, or none (default 1,5,20)
  --compile-seconds N   how long the flash-attn stand-in compiles (default 20)
  --json FILE           where the result goes (default result.json in the scratch folder)
  --markdown FILE       also write the report as markdown
  --keep                keep the workspaces, clones and the plugin install (their paths are printed)
  --install-dir DIR     reuse a folder from installPackedPlugin() instead of packing the plugin again
  --work-dir DIR        the folder of all of this run's temporary folders (default $TMPDIR/cache-bench-<id>)
  -h, --help            show this help`;

const { values: args } = parseCommandLine({
  usage: USAGE,
  options: {
    scenarios: { type: 'string', default: 'all' },
    variants: { type: 'string', default: 'plugin,whole-project,buildx' },
    scaling: { type: 'string', default: '1,5,20' },
    'compile-seconds': { type: 'string', default: '20' },
    json: { type: 'string' },
    markdown: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'install-dir': { type: 'string' },
    'work-dir': { type: 'string' },
  },
});

const compileSeconds = Number.parseInt(args['compile-seconds'], 10);
const variants = args.variants.split(',').map((v) => v.trim()).filter(Boolean);
for (const variant of variants) if (!VARIANT_LABELS[variant]) throw new Error(`unknown variant ${variant}`);
const scalingSizes = args.scaling === 'none' ? [] : args.scaling.split(',').map((value) => Number.parseInt(value, 10));
const runId = `bench-${Date.now().toString(36)}`;
const REGISTRY = `127.0.0.1:5000/${runId}`;
const started = Date.now();
// Every temporary folder of this run (workspaces, clones, the plugin install, logs) lives in one folder of its
// own: tools that clean up /tmp/nx-uv-cuda-* while this runs must not pull workspaces from under it.
const WORK_DIR = args['work-dir'] ?? join(tmpdir(), `cache-bench-${runId}`);
mkdirSync(WORK_DIR, { recursive: true });
process.env.TMPDIR = WORK_DIR;

/** Folders this run created (workspaces, clones, the plugin install), removed at the end unless --keep. */
const created = [];

const log = (message) => process.stderr.write(`[bench:cache ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${message}\n`);

/** The edits to measure, in series order, with the edits they build on. */
function selectedEdits() {
  if (args.scenarios === 'none') return [];
  if (args.scenarios === 'all') return EDITS;
  const wanted = new Set(args.scenarios.split(',').map((name) => name.trim()));
  for (const name of wanted) if (!EDITS.some((edit) => edit.name === name)) throw new Error(`unknown scenario ${name}`);
  for (const edit of EDITS) if (wanted.has(edit.name)) for (const required of edit.requires ?? []) wanted.add(required);
  return EDITS.filter((edit) => wanted.has(edit.name));
}

async function provision(logDir) {
  log('making sure the engine, buildx and the registry are up (tools/docker/provision.sh)');
  const result = await runLogged('bash', [join(REPO_ROOT, 'tools/docker/provision.sh')], {
    cwd: REPO_ROOT,
    timeoutMs: 30 * 60_000,
    logFile: join(logDir, 'provision.log'),
  });
  if (result.exitCode !== 0) throw new Error(`tools/docker/provision.sh failed:\n${result.output.slice(-3000)}`);
}

function installPlugin() {
  if (args['install-dir']) return args['install-dir'];
  if (!existsSync(join(REPO_ROOT, 'packages/nx-uv-cuda/dist/index.js'))) throw new Error('packages/nx-uv-cuda/dist is missing: npm run build first');
  log(`packing the plugin and installing it with nx ${NX_VERSION}`);
  const installDir = installPackedPlugin();
  for (const file of ['index.js', 'plugin.js', 'executors/wheel/executor.js', 'executors/build-keys/executor.js']) {
    if (!existsSync(join(installDir, 'node_modules/nx-uv-cuda/dist', file))) {
      throw new Error(`the packed plugin lacks dist/${file}: was packages/nx-uv-cuda/dist being rebuilt? Run again.`);
    }
  }
  return installDir;
}

/** One Nx variant's run after an edit: outcomes, compiles, key changes and the classification. */
async function measureNx(ws, { scenario, mustRebuild, logDir, clone, keysBefore }) {
  let runWs = ws;
  let env = {};
  if (clone) {
    runWs = cloneWorkspace(ws, join(logDir, '..', `clone-${ws.variant}`));
    created.push(runWs.root);
    env = {
      NX_CACHE_DIRECTORY: join(runWs.root, '.nx/cache'),
      NX_WORKSPACE_DATA_DIRECTORY: join(runWs.root, '.nx/workspace-data'),
    };
  }
  const result = await runImages(runWs, { logFile: join(logDir, `${scenario}-${ws.variant}.log`), env });
  const summary = summarizeNxRun(result);
  const keysAfter = keySnapshot(runWs.root);
  const must = typeof mustRebuild === 'function' ? mustRebuild(runWs) : mustRebuild;
  const classification = classify(summary, must);
  return {
    ...summary,
    tagDrift: await tagDrift(runWs.root),
    root: runWs.root,
    mustRebuild: must,
    keyChanges: changedKeys(keysBefore, keysAfter),
    classification,
    explanation: explain(classification, keysBefore, keysAfter),
  };
}

/** Baseline (b) after an edit: every image with docker buildx build. */
async function measureBuildx(ws, { scenario, mustRebuild, logDir, clone }) {
  let runWs = ws;
  if (clone) {
    runWs = cloneWorkspace(ws, join(logDir, '..', 'clone-buildx'));
    created.push(runWs.root);
    // Another machine's BuildKit has none of this engine's layers: a cache namespace of its own stands for that.
    markDockerfiles(runWs, { variant: `${runId}-buildx-clone`, compileSeconds });
  }
  const run = await buildEverything(runWs, {
    registry: `${REGISTRY}/buildx`,
    logDir: join(logDir, `${scenario}-buildx`),
    dockerfileOf: (service) => runWs.dockerfile(service),
    contextOf: () => '.',
  });
  const must = typeof mustRebuild === 'function' ? mustRebuild(runWs) : mustRebuild;
  return { ...run, root: runWs.root, mustRebuild: must, classification: classify(run, must) };
}

function describe(variant, run) {
  const c = run.classification;
  const failed = run.failure || run.failures?.length ? ' FAILED' : '';
  return (
    `${VARIANT_LABELS[variant].padEnd(22)} rebuilt ${String(c.rebuilt).padStart(2)}  false misses ${c.falseMisses.length}  ` +
    `false hits ${c.falseHits.length}  compiles ${run.compiles}  ${run.wall.toFixed(1)} s${failed}`
  );
}

async function scenarios(scratch, installDir, result) {
  const edits = selectedEdits();
  if (edits.length === 0) return;
  const logDir = join(scratch, 'logs');
  const workspaces = {};
  for (const variant of variants) {
    workspaces[variant] = createScenarioWorkspace({
      installDir,
      variant,
      registry: `${REGISTRY}/${variant}`,
      compileSeconds,
      // A BuildKit cache namespace of this run's own: an earlier run's layers must not serve this one.
      cacheNamespace: `${runId}-${variant}`,
    });
    created.push(workspaces[variant].root);
    log(`${VARIANT_LABELS[variant]} workspace: ${workspaces[variant].root}`);
  }
  if (workspaces['whole-project']) {
    // targetDefaults must replace the inputs the plugin infers: check what Nx really uses.
    for (const service of workspaces['whole-project'].services()) {
      const project = await showProject(workspaces['whole-project'], service, join(logDir, `show-${service}.log`));
      for (const [name, target] of Object.entries(project.targets)) {
        if (!['nx-uv-cuda:image', 'nx-uv-cuda:wheel'].includes(target.executor)) continue;
        if (JSON.stringify(target.inputs) !== JSON.stringify(WHOLE_PROJECT_INPUTS)) {
          throw new Error(`baseline (a): ${service}:${name} has inputs ${JSON.stringify(target.inputs)}: targetDefaults did not apply`);
        }
      }
    }
    log('baseline (a): nx show project confirms the wheel and image targets hash the whole project');
  }

  const initialMust = (ws) => ws.services().flatMap((project) => builds(project));
  const series = [{ name: 'initial', title: 'Initial build of every image (empty caches)', apply() {}, mustRebuild: initialMust, compiles: 6 }, ...edits];
  for (const edit of series) {
    log(`— ${edit.name}: ${edit.title}`);
    const scenario = {
      name: edit.name,
      title: edit.title,
      compiles: edit.compiles,
      mustRebuild: typeof edit.mustRebuild === 'function' ? edit.mustRebuild(workspaces[variants[0]]) : edit.mustRebuild,
      loadAverage: loadavg()[0],
      runs: {},
    };
    for (const variant of variants) {
      const ws = workspaces[variant];
      const keysBefore = keySnapshot(ws.root);
      edit.apply(ws);
      ws.commit(`bench edit: ${edit.name}`);
      const options = { scenario: edit.name, mustRebuild: edit.mustRebuild, logDir, clone: edit.clone, keysBefore };
      const run = variant === 'buildx' ? await measureBuildx(ws, options) : await measureNx(ws, options);
      scenario.runs[variant] = run;
      log(`  ${describe(variant, run)}`);
      for (const miss of variant === 'plugin' ? run.explanation.falseMisses : []) {
        log(`    false miss ${miss.task}: key ${miss.keyChanged ? `changed (${miss.diff.join(', ')})` : 'unchanged'}`);
      }
      for (const hit of variant === 'plugin' ? run.explanation.falseHits : []) {
        log(`    FALSE HIT ${hit.task}: key ${hit.keyChanged ? `changed (${hit.diff.join(', ')})` : 'unchanged'}`);
      }
      if (variant === 'buildx' && run.classification.falseHits.length) log(`    not rebuilt though needed: ${run.classification.falseHits.join(', ')}`);
      if (run.tagDrift?.length) log(`    registry tags not at the metadata's digest: ${run.tagDrift.join(', ')}`);
      if (run.failure) log(`    FAILED:\n${run.failure}`);
      for (const failure of run.failures ?? []) log(`    FAILED: ${failure}`);
    }
    if (edit.name === 'initial' && workspaces.plugin && workspaces.buildx) checkBuildArgs(workspaces.plugin, workspaces.buildx, result);
    scenario.mustRebuild = scenario.runs[variants[0]]?.mustRebuild ?? scenario.mustRebuild;
    result.scenarios.push(scenario);
    writeResult(result);
  }
}

/** Baseline (b) must pass the build args the plugin passes: compare with the plugin's keys/<b>-build.json. */
function checkBuildArgs(pluginWs, buildxWs, result) {
  for (const service of buildxWs.services()) {
    for (const backend of BACKENDS) {
      const file = pluginWs.path(`dist/services/${service}/keys/${backend}-build.json`);
      if (!existsSync(file)) continue;
      const plugin = JSON.parse(readFileSync(file, 'utf8')).buildArgs;
      const ours = buildArgsFor(buildxWs, service, backend);
      if (JSON.stringify(sortObject(plugin)) !== JSON.stringify(sortObject(ours))) {
        const warning = `baseline (b) build args of ${service} ${backend} differ from the plugin's: ${JSON.stringify(ours)} vs ${JSON.stringify(plugin)}`;
        result.warnings.push(warning);
        log(`WARNING ${warning}`);
      }
    }
  }
}

const sortObject = (object) => Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));

async function scaling(scratch, installDir, result) {
  for (const services of scalingSizes) {
    log(`— scaling: ${services} service(s) sharing one wheel key`);
    const row = { services };
    if (variants.includes('plugin')) {
      const ws = createScalingWorkspace({
        installDir,
        services,
        cacheNamespace: `${runId}-scale-${services}`,
        registry: `${REGISTRY}/scale-${services}`,
        compileSeconds,
      });
      const logDir = join(scratch, 'logs', `scale-${services}`);
      const cold = summarizeNxRun(await runImages(ws, { logFile: join(logDir, 'cold.log') }));
      const keys = Object.entries(keySnapshot(ws.root)).filter(([key]) => key.endsWith('-wheel'));
      row.distinctWheelKeys = new Set(keys.map(([, text]) => digest(text))).size;
      changeSharedWheel(ws);
      ws.commit('bench: shared wheel change');
      const changed = summarizeNxRun(await runImages(ws, { logFile: join(logDir, 'changed.log') }));
      const keysAfter = Object.entries(keySnapshot(ws.root)).filter(([key]) => key.endsWith('-wheel'));
      row.distinctWheelKeysAfterChange = new Set(keysAfter.map(([, text]) => digest(text))).size;
      const wheelStats = (run) => ({
        wheelTasksRan: run.ran.filter((task) => task.includes(':wheel-')).length,
        wheelStoreHits: run.wheelReuse.length,
        imagesBuilt: run.ran.filter((task) => task.includes(':image-')).length,
      });
      row.plugin = {
        root: ws.root,
        cold: { ...pick(cold), ...wheelStats(cold) },
        changed: { ...pick(changed), ...wheelStats(changed) },
      };
      log(
        `  nx-uv-cuda: ${row.distinctWheelKeys} distinct wheel key(s); cold ${cold.compiles} compile(s) ${cold.wall.toFixed(1)} s; ` +
          `after the wheel change ${changed.compiles} compile(s) ${changed.wall.toFixed(1)} s${cold.failure || changed.failure ? ' FAILED' : ''}`,
      );
      created.push(ws.root);
    }
    if (variants.includes('buildx')) {
      const ws = createScalingWorkspace({
        installDir,
        services,
        cacheNamespace: `${runId}-scale-b-${services}`,
        registry: `${REGISTRY}/scale-b-${services}`,
        compileSeconds,
      });
      const logDir = join(scratch, 'logs', `scale-${services}-buildx`);
      const options = {
        registry: `${REGISTRY}/scale-b-${services}`,
        dockerfileOf: (service) => ws.dockerfile(service),
        contextOf: (service) => `services/${service}`,
      };
      const cold = await buildEverything(ws, { ...options, logDir: join(logDir, 'cold') });
      changeSharedWheel(ws);
      ws.commit('bench: shared wheel change');
      const changed = await buildEverything(ws, { ...options, logDir: join(logDir, 'changed') });
      row.buildx = { cold: pick(cold), changed: pick(changed) };
      log(`  buildx: cold ${cold.compiles} compile(s) ${cold.wall.toFixed(1)} s; after the change ${changed.compiles} compile(s) ${changed.wall.toFixed(1)} s`);
      created.push(ws.root);
    }
    row.loadAverage = loadavg()[0];
    result.scaling.push(row);
    writeResult(result);
  }
}

function pick(run) {
  return {
    wall: run.wall,
    compiles: run.compiles,
    ran: run.ran.length,
    replayed: run.replayed.length,
    failure: run.failure ?? (run.failures?.length ? run.failures.join('\n') : undefined),
  };
}

let resultFile;
function writeResult(result) {
  result.finishedAt = new Date().toISOString();
  result.totalSeconds = (Date.now() - started) / 1000;
  writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  if (args.markdown) writeFileSync(args.markdown, markdown(result));
}

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-bench-cache-'));
  mkdirSync(join(scratch, 'logs'), { recursive: true });
  resultFile = args.json ?? join(scratch, 'result.json');
  log(`scratch folder ${scratch} (logs/, result.json); registry namespace ${REGISTRY}`);
  await provision(join(scratch, 'logs'));
  const installDir = installPlugin();
  if (!args['install-dir']) created.push(installDir);
  const result = {
    command: `node tools/bench/cache-scenarios/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    registry: REGISTRY,
    compileSeconds,
    variants,
    machine: `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    loadAverageAtStart: loadavg(),
    startedAt: new Date(started).toISOString(),
    warnings: [],
    scenarios: [],
    scaling: [],
  };
  try {
    await scenarios(scratch, installDir, result);
    await scaling(scratch, installDir, result);
    result.loadAverageAtEnd = loadavg();
  } finally {
    writeResult(result);
    cleanup();
  }
  process.stdout.write(markdown(result));
  log(`done in ${((Date.now() - started) / 60_000).toFixed(1)} min; result: ${resultFile}`);
}

function cleanup() {
  if (args.keep) {
    log(`kept: ${created.join(' ')}`);
    return;
  }
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
  // docker buildx (0.13) leaves a dockerfileNNN/ folder in TMPDIR for every `--file -` build (the plugin's wheel
  // push and pull): this run's TMPDIR is its own folder, so they are this run's.
  for (const name of readdirSync(WORK_DIR)) {
    if (/^dockerfile\d+$/.test(name)) rmSync(join(WORK_DIR, name), { recursive: true, force: true });
  }
}

main().catch((error) => {
  log(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
});
