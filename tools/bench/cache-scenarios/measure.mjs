// Reading what a run did: Nx's per-task outcomes and output (which builds ran, which were replayed, how many
// real flash-attn compiles), BuildKit's plain progress for the buildx baseline, and the plugin's key files.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plain } from './process.mjs';

/** The stand-in prints this only when its build really runs (pip --verbose streams it; BuildKit does not replay it). */
export const COMPILE_LINE = /flash-attn stand-in: compiling for/g;
const BUILD_TASK = /^[^:]+:(wheel-flash-attn|image-dev|image-prod)-[\w.-]+$/;

export const isBuildTask = (task) => BUILD_TASK.test(task);

/**
 * Splits `nx run-many --output-style=static --parallel=1` output into one section per task (`> nx run p:t`
 * headers). Nx replays a cached task's terminal output, compile lines included, so compiles are counted only in
 * the sections of tasks that ran. An image target always runs (it is never replayed: only the registry or the
 * engine can say that its image still exists) and says "not rebuilt" when it found its image there.
 * @returns {Map<string, { outcome: 'ran' | 'cache', compiles: number, store: boolean, registry: boolean, reused: boolean }>}
 */
export function nxTasks(output) {
  const tasks = new Map();
  let current;
  for (const line of plain(output).split('\n')) {
    const header = line.match(/^> nx run (\S+:\S+)(.*)$/);
    if (header) {
      current = { outcome: /cache/.test(header[2]) ? 'cache' : 'ran', compiles: 0, store: false, registry: false, reused: false, lines: 0 };
      tasks.set(header[1], current);
      continue;
    }
    if (!current) continue;
    current.lines += 1;
    if (current.outcome !== 'ran') continue;
    current.compiles += (line.match(COMPILE_LINE) ?? []).length;
    if (/is in the local wheel store: not compiled again/.test(line)) current.store = true;
    if (/is in the registry \(.*\): not compiled again/.test(line)) current.registry = true;
    if (/built from these exact inputs, not rebuilt/.test(line)) current.reused = true;
  }
  return tasks;
}

/** Summary of one Nx run of the image targets. */
export function summarizeNxRun(result) {
  const tasks = nxTasks(result.output);
  const ran = [];
  const replayed = [];
  let compiles = 0;
  const bookkeeping = { lock: 0, keys: 0 };
  const wheelReuse = [];
  for (const [task, info] of tasks) {
    compiles += info.compiles;
    if (isBuildTask(task)) {
      (info.outcome === 'ran' && !info.reused ? ran : replayed).push(task);
      if (info.outcome === 'ran' && (info.store || info.registry)) wheelReuse.push(`${task} (${info.store ? 'local store' : 'registry'})`);
    } else if (info.outcome === 'ran') {
      if (/:lock-/.test(task)) bookkeeping.lock += 1;
      if (/:keys-/.test(task)) bookkeeping.keys += 1;
    }
  }
  return {
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    wall: result.wall,
    ran: ran.sort(),
    replayed: replayed.sort(),
    compiles,
    bookkeeping,
    wheelReuse: wheelReuse.sort(),
    failure: result.exitCode === 0 ? undefined : failureTail(result.output),
  };
}

function failureTail(output) {
  const text = plain(output);
  const failed = text.match(/Failed tasks:[\s\S]*?(?=\n\n)/)?.[0];
  const errors = [...text.matchAll(/^.*(?:NX {2}|Error|error:|failed).*$/gm)].map((match) => match[0].trim()).slice(-8);
  return [failed, ...errors].filter(Boolean).join('\n');
}

/**
 * False misses and false hits of one run against the expected set. `ran`/`replayed` are the build tasks the run
 * executed / took from the cache; an expected task absent from both is an error of the expectations (reported).
 */
export function classify({ ran, replayed }, mustRebuild) {
  const must = new Set(mustRebuild);
  const ranSet = new Set(ran);
  const replayedSet = new Set(replayed);
  return {
    rebuilt: ran.length,
    falseMisses: ran.filter((task) => !must.has(task)),
    falseHits: replayed.filter((task) => must.has(task)),
    notInRun: [...must].filter((task) => !ranSet.has(task) && !replayedSet.has(task)),
  };
}

/** The wheel/dev/prod key files of every project under `dist/` of a workspace: `<project>:<backend>-<kind>` → text. */
export function keySnapshot(root) {
  const snapshot = {};
  const services = join(root, 'dist', 'services');
  if (!existsSync(services)) return snapshot;
  for (const project of readdirSync(services)) {
    const dir = join(services, project, 'keys');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const match = file.match(/^(.+)-(wheel|dev|prod)\.json$/);
      if (match) snapshot[`${project}:${match[1]}-${match[2]}`] = readFileSync(join(dir, file), 'utf8');
    }
  }
  return snapshot;
}

/** `ml-service:image-dev-cu124` → `ml-service:cu124-dev`: the key file a build task hashes. */
export function keyOfTask(task) {
  const [project, target] = task.split(':');
  const match = target.match(/^(wheel-flash-attn|image-dev|image-prod)-(.+)$/);
  const kind = match[1] === 'wheel-flash-attn' ? 'wheel' : match[1].slice('image-'.length);
  return `${project}:${match[2]}-${kind}`;
}

export function digest(text) {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * What differs between two key files: JSON paths of changed leaves (a few), e.g.
 * `files["services/ml-service/pyproject.toml"]`, `args.FLASH_ATTN_CUDA_ARCHS`, `stages[2].text`.
 */
export function keyDiff(before, after, limit = 6) {
  if (before === undefined) return ['(no key file before)'];
  if (after === undefined) return ['(no key file after)'];
  const paths = [];
  const walk = (a, b, path) => {
    if (paths.length > limit) return;
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
      for (const key of keys) {
        const step = Array.isArray(a) ? `[${key}]` : /^[A-Za-z_][\w]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
        walk(a[key], b[key], `${path}${step}`);
      }
      return;
    }
    paths.push(path.replace(/^\./, '') || '(root)');
  };
  walk(JSON.parse(before), JSON.parse(after), '');
  return paths.length > limit ? [...paths.slice(0, limit), '…'] : paths;
}

/**
 * For the plugin variant: why each false miss ran and why each false hit was replayed, from its key file before
 * and after the edit. A false miss whose key did not change ran for a reason outside the key (Nx's task hash).
 */
export function explain(classification, keysBefore, keysAfter) {
  const why = (task) => {
    const key = keyOfTask(task);
    const changed = keysBefore[key] !== keysAfter[key];
    return { task, keyFile: key, keyChanged: changed, diff: changed ? keyDiff(keysBefore[key], keysAfter[key]) : [] };
  };
  return { falseMisses: classification.falseMisses.map(why), falseHits: classification.falseHits.map(why) };
}

/** Build tasks whose key file changed between two snapshots (what the plugin's keys say must rebuild). */
export function changedKeys(before, after) {
  return Object.keys({ ...before, ...after })
    .filter((key) => before[key] !== after[key])
    .sort();
}

/**
 * BuildKit's `--progress plain` output of one build: the instruction steps it executed (not CACHED) and the
 * stand-in's compile lines. Steps are `#N [stage i/n] INSTRUCTION ...` followed later by `#N DONE` or `#N CACHED`.
 */
export function buildkitSteps(output) {
  const names = new Map();
  const status = new Map();
  for (const line of plain(output).split('\n')) {
    const step = line.match(/^#(\d+) \[([^\]]+)\] (\S+)/);
    if (step && !names.has(step[1])) names.set(step[1], { stage: step[2], instruction: step[3] });
    const done = line.match(/^#(\d+) (DONE|CACHED|ERROR)\b/);
    if (done) status.set(done[1], done[2]);
  }
  const executed = [];
  for (const [id, { stage, instruction }] of names) {
    if (!/^\S+ \d+\/\d+$/.test(stage)) continue; // [internal] steps, exporting
    if (!/^(RUN|COPY|ADD|WORKDIR)$/.test(instruction)) continue; // FROM resolves, it builds nothing
    if (status.get(id) === 'DONE') executed.push(`${stage} ${instruction}`);
  }
  return { executed, compiles: (plain(output).match(COMPILE_LINE) ?? []).length };
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * Image metadata files (dist/<root>/images/*.json) whose digest is not what the registry serves for their tag
 * now: after Nx replays an image task, its metadata pins the digest built for these inputs, while the tag still
 * names whatever was pushed last.
 */
export async function tagDrift(root) {
  const drift = [];
  const services = join(root, 'dist', 'services');
  if (!existsSync(services)) return drift;
  for (const project of readdirSync(services)) {
    const dir = join(services, project, 'images');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const metadata = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (!metadata.pushed || !metadata.digest) continue;
      for (const tag of metadata.tags ?? []) {
        const match = tag.match(/^([^/]+)\/(.+):([^:/]+)$/);
        if (!match) continue;
        const response = await fetch(`http://${match[1]}/v2/${match[2]}/manifests/${match[3]}`, {
          method: 'HEAD',
          headers: { Accept: MANIFEST_TYPES },
          signal: AbortSignal.timeout(30_000),
        });
        const served = response.headers.get('docker-content-digest');
        if (served !== metadata.digest) drift.push(`${project}:image-${file.replace(/\.json$/, '')}`);
      }
    }
  }
  return drift.sort();
}
