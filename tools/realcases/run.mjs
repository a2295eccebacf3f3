#!/usr/bin/env node
// Runs the packed nx-uv-cuda plugin, with no options at all, over real repositories: each repository's packaging
// files in a fresh Nx workspace, what the plugin infers (projects, backends, image targets, build args,
// warnings), the graph time against the same workspace without the plugin, and how the inferred images compare
// with what the repository's own docs and CI build (expected/<repo>.json). See README.md beside this file.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, usageError } from '../cli.mjs';
import { installPackedPlugin, NX_VERSION, REPO_ROOT } from '../example-workspace.mjs';
import { checkImages, compareImages } from './compare.mjs';
import { parseDockerfile } from './dockerfile.mjs';
import { extractWarnings, readProject, showProject, showProjects } from './inspect.mjs';
import { markdownReport, textDetails, textTable } from './report.mjs';
import { createWorkspace, discoverRepos, extractPackaging, inferenceCacheStamp, makeCold, missingWarmState, workspaceName } from './workspace.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const USAGE = `Usage: node tools/realcases/run.mjs --repos <folder> [options]

Runs the packed nx-uv-cuda plugin (zero configuration) over real repositories and reports what it infers.

Options:
  --repos <folder>       folder of fetched repositories: <id>/repo (bare mirror or clone), <id>.git or any bare
                         git directory, a work tree with .git, or a plain folder with a pyproject.toml (required)
  --only <id,...>        only these repositories (folder names, e.g. huggingface+lerobot)
  --json <file>          write all results as JSON
  --markdown <file>      write the summary table and per-repo details as markdown
  --runs <n>             graph timings per variant (plugin, baseline) and mode (cold, warm); medians (default 3;
                         0 skips timing)
  --timeout <seconds>    limit for each nx process (default 300)
  --expected <folder>    expected results, <id>.json (default tools/realcases/expected)
  --install-dir <dir>    reuse a folder from installPackedPlugin() instead of packing the plugin again
  --keep                 keep the temporary workspaces (their paths are printed)
  -h, --help             show this help

Exit status: 0 when every repository was examined (a repository whose graph fails is a result), 1 when the
tool itself failed for one (unreadable repository, crash), 2 for a usage error.`;

const log = (message) => process.stderr.write(`[realcases] ${message}\n`);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const DOCKERFILE = /^(Dockerfile(\..+)?|Containerfile.*|.+\.[Dd]ockerfile)$/;

function options() {
  const { values } = parseCommandLine({
    usage: USAGE,
    options: {
      repos: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'string' },
      runs: { type: 'string', default: '3' },
      timeout: { type: 'string', default: '300' },
      expected: { type: 'string', default: join(HERE, 'expected') },
      'install-dir': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (!values.repos) usageError(USAGE, '--repos is required');
  if (!existsSync(values.repos)) usageError(USAGE, `--repos ${values.repos}: no such folder`);
  const runs = Number(values.runs);
  const timeout = Number(values.timeout);
  if (!Number.isInteger(runs) || runs < 0) usageError(USAGE, `--runs ${values.runs}: expected a whole number`);
  if (!(timeout > 0)) usageError(USAGE, `--timeout ${values.timeout}: expected seconds`);
  return { ...values, runs, timeoutMs: timeout * 1000 };
}

async function main() {
  const args = options();
  const { found, skipped } = discoverRepos(args.repos);
  if (skipped.length > 0) log(`not repositories, skipped: ${skipped.join(', ')}`);
  let repos = found;
  if (args.only) {
    const wanted = args.only.split(',').map((id) => id.trim()).filter(Boolean);
    const missing = wanted.filter((id) => !found.some((repo) => repo.id === id));
    if (missing.length > 0) usageError(USAGE, `--only: not in ${args.repos}: ${missing.join(', ')} (found: ${found.map((repo) => repo.id).join(', ')})`);
    repos = found.filter((repo) => wanted.includes(repo.id));
  }
  if (repos.length === 0) usageError(USAGE, `no repositories in ${args.repos}`);

  if (!args['install-dir'] && !existsSync(join(REPO_ROOT, 'packages', 'nx-uv-cuda', 'dist', 'index.js'))) {
    log('packages/nx-uv-cuda/dist is missing: building it');
    execFileSync(process.execPath, [join(REPO_ROOT, 'tools', 'build-plugin.mjs')], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 300_000 });
  }
  if (!args['install-dir']) log(`packing the plugin and installing it with nx ${NX_VERSION}`);
  const installDir = args['install-dir'] ?? installPackedPlugin();
  // Someone may rebuild dist/ while it is packed: a tarball without the entry points is useless.
  for (const file of ['index.js', 'plugin.js']) {
    if (!existsSync(join(installDir, 'node_modules', 'nx-uv-cuda', 'dist', file))) {
      throw new Error(`the packed plugin lacks dist/${file}: was packages/nx-uv-cuda/dist being rebuilt? Run again.`);
    }
  }
  const provenance = pluginProvenance(installDir, !args['install-dir']);
  const machine = `${availableParallelism()} × ${cpus()[0]?.model?.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(`plugin: ${provenance}`);
  log(`machine: ${machine}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const results = [];
  const kept = [];
  for (const repo of repos) {
    const scratch = mkdtempSync(join(tmpdir(), `nx-uv-cuda-realcases-${workspaceName(repo.id)}-`));
    try {
      results.push(await examine(repo, scratch, installDir, args));
    } catch (error) {
      // The tool could not examine this repository (unreadable mirror, a bug here): reported, and exit 1.
      log(`${repo.id}: tool error: ${error.stack ?? error.message}`);
      results.push({ id: repo.id, source: { kind: repo.kind, path: repo.path }, failure: error.message });
    } finally {
      if (args.keep) kept.push(scratch);
      else rmSync(scratch, { recursive: true, force: true });
    }
  }
  if (!args['install-dir'] && !args.keep) rmSync(installDir, { recursive: true, force: true });
  if (args.keep) log(`kept: ${[...kept, ...(args['install-dir'] ? [] : [installDir])].join(' ')}`);

  process.stdout.write(`\n${textTable(results)}\n\nplugin: ${provenance}\nmachine: ${machine}\n`);
  for (const result of results) process.stdout.write(`\n${textDetails(result)}\n`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify({ plugin: provenance, nx: NX_VERSION, machine, runs: args.runs, results }, null, 2)}\n`);
  if (args.markdown) writeFileSync(args.markdown, markdownReport(results, { provenance, machine, nxVersion: NX_VERSION }));
  process.exitCode = results.some((result) => result.failure) ? 1 : 0;
}

/** One repository: its workspaces, what the plugin infers there, the timings and the comparison. */
async function examine(repo, scratch, installDir, args) {
  const started = Date.now();
  const logs = join(scratch, 'logs');
  mkdirSync(logs);
  const staging = join(scratch, 'files');
  const { commit, files, skipped } = await extractPackaging(repo, staging, logs);
  log(`${repo.id}: ${files.length} packaging files from ${repo.kind} ${repo.path}${commit ? ` @ ${commit.slice(0, 12)}` : ''}`);
  const roots = { plugin: join(scratch, 'plugin'), baseline: join(scratch, 'baseline') };
  createWorkspace({ staging, root: roots.plugin, installDir, withPlugin: true });
  createWorkspace({ staging, root: roots.baseline, installDir, withPlugin: false });
  const models = new Map(
    files.filter((file) => DOCKERFILE.test(posix.basename(file))).map((file) => [file, parseDockerfile(readFileSync(join(staging, file), 'utf8'))]),
  );
  const nxOptions = (label) => ({ scratch: logs, label, timeoutMs: args.timeoutMs });
  const notes = [];
  const warnings = [];
  const addWarnings = (output) => warnings.push(...extractWarnings(output).filter((warning) => !warnings.includes(warning)));

  // Inspection, cold: the plugin infers every project now, so this is when it prints its warnings.
  makeCold(roots.plugin);
  const listing = await showProjects(roots.plugin, nxOptions('inspect-projects'));
  addWarnings(listing.stdout + listing.stderr);
  const graph = { ok: listing.ok, projects: listing.projects, error: listing.error };
  const projects = [];
  for (const name of listing.projects ?? []) {
    const shown = await showProject(roots.plugin, name, nxOptions(`inspect-project-${projects.length}`));
    addWarnings(shown.stdout + shown.stderr);
    if (!shown.ok) {
      notes.push(`nx show project ${name} failed: ${shown.error}`);
      continue;
    }
    const project = readProject(shown.project);
    projects.push(project);
    notes.push(...project.notes);
    for (const warning of project.warnings) if (!warnings.includes(warning)) warnings.push(warning);
  }
  const images = checkImages(projects.flatMap((project) => project.images), models);
  for (const image of images) if (image.disagreement) notes.push(`${image.project}:${image.target}: ${image.disagreement}`);
  const backendsFound = [...new Set(projects.flatMap((project) => project.backends.map((backend) => backend.name)))].sort();
  if (projects.length > 0 && !projects.some((project) => project.contract)) {
    notes.push('the plugin publishes no metadata["nx-uv-cuda"]: build args come from target options, stages and ARGs were checked by this tool');
  }

  const timing = graph.ok && args.runs > 0 ? await measure(roots, listing.projects, files, args, nxOptions, notes) : undefined;

  const expectedFile = join(args.expected, `${repo.id}.json`);
  const expected = existsSync(expectedFile) ? JSON.parse(readFileSync(expectedFile, 'utf8')) : undefined;
  const comparison = expected ? compareImages(expected, images, models) : undefined;
  log(`${repo.id}: graph ${graph.ok ? 'ok' : 'FAILED'}, ${projects.length} projects, ${images.length} image targets, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (args.keep) notes.push(`workspaces kept: ${roots.plugin} ${roots.baseline} (logs in ${logs})`);
  return {
    id: repo.id,
    source: { kind: repo.kind, path: repo.path },
    commit,
    files,
    skipped,
    graph,
    projects,
    backendsFound,
    warnings,
    expected: expected ? { backends: expected.backends, images: expected.images.length } : undefined,
    comparison,
    timing,
    notes,
  };
}

/**
 * `nx show projects --json`, cold (`.nx/` with the plugin's inference cache and Nx's graph cache removed) and
 * then warm (right after, both caches in place), `--runs` times in each workspace, alternating which goes first.
 */
async function measure(roots, pluginProjects, files, args, nxOptions, notes) {
  const samples = { plugin: { cold: [], warm: [] }, baseline: { cold: [], warm: [] } };
  const listed = { plugin: pluginProjects.join(','), baseline: undefined };
  const hasPyproject = files.some((file) => basename(file) === 'pyproject.toml');
  for (let run = 0; run < args.runs; run += 1) {
    for (const variant of run % 2 === 0 ? ['plugin', 'baseline'] : ['baseline', 'plugin']) {
      const root = roots[variant];
      makeCold(root);
      for (const mode of ['cold', 'warm']) {
        let stamp;
        if (mode === 'warm') {
          const missing = missingWarmState(root, variant === 'plugin' && hasPyproject);
          if (missing.length > 0) notes.push(`${variant} warm run ${run + 1}: ${missing.join(', ')} missing after the cold run, so not fully warm`);
          stamp = inferenceCacheStamp(root);
        }
        const result = await showProjects(root, nxOptions(`time-${variant}-${mode}-${run}`));
        if (!result.ok) return { error: `${variant} ${mode} run ${run + 1}: ${result.error}` };
        if (variant === 'plugin' && mode === 'warm' && stamp && inferenceCacheStamp(root) !== stamp) {
          notes.push(`plugin warm run ${run + 1} rewrote the inference cache: the plugin inferred again instead of serving its cache`);
        }
        const names = result.projects.join(',');
        listed[variant] ??= names;
        if (names !== listed[variant]) notes.push(`${variant} ${mode} run ${run + 1} listed other projects: ${names || '(none)'}`);
        samples[variant][mode].push(result.wall);
      }
    }
  }
  const medians = (variant) => ({ cold: median(samples[variant].cold), warm: median(samples[variant].warm) });
  const plugin = medians('plugin');
  const baseline = medians('baseline');
  return { runs: args.runs, plugin, baseline, ratio: { cold: plugin.cold / baseline.cold, warm: plugin.warm / baseline.warm }, samples };
}

/** Which plugin ran: the tarball's digest and, when packed now, this repository's commit and whether it was dirty. */
function pluginProvenance(installDir, packedNow) {
  const tarball = readdirSync(installDir).find((name) => name.endsWith('.tgz'));
  const digest = tarball ? createHash('sha256').update(readFileSync(join(installDir, tarball))).digest('hex').slice(0, 12) : 'unknown';
  if (!packedNow) return `nx-uv-cuda from ${installDir}, tarball sha256 ${digest}…`;
  let commit = 'unknown commit';
  try {
    const gitOut = (gitArgs) => execFileSync('git', gitArgs, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
    commit = gitOut(['rev-parse', '--short', 'HEAD']);
    const dirty = gitOut(['status', '--porcelain', '--', 'packages/nx-uv-cuda']);
    if (dirty) commit += ` + uncommitted changes in packages/nx-uv-cuda (${dirty.split('\n').length} paths)`;
  } catch {
    // not a git checkout
  }
  return `nx-uv-cuda packed at ${commit}, tarball sha256 ${digest}…`;
}

main().catch((error) => {
  process.stderr.write(`[realcases] ${error.stack ?? error.message}\n`);
  process.exit(1);
});
