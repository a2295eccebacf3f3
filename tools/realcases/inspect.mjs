// What nx and the plugin make of a workspace: `nx show projects --json`, `nx show project <name> --json`,
// the image targets with their build args (from the plugin's metadata["nx-uv-cuda"] contract when it publishes
// it), and the plugin's warnings as nx prints them.
import { join } from 'node:path';
import { nxBin } from '../example-workspace.mjs';
import { runProcess, workspaceEnv } from './workspace.mjs';

export const IMAGE_EXECUTOR = 'nx-uv-cuda:image';

/** Runs nx in `root`; stdout and stderr go to files under `scratch` (named by `label`). */
export async function nx(root, args, { scratch, label, timeoutMs }) {
  const result = await runProcess(process.execPath, [nxBin(root), ...args], {
    cwd: root,
    env: workspaceEnv(root),
    timeoutMs,
    stdoutFile: join(scratch, `${label}.stdout`),
    stderrFile: join(scratch, `${label}.stderr`),
  });
  const ok = result.code === 0 && !result.timedOut;
  const error = ok
    ? undefined
    : `${result.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${result.code ?? result.signal}`}: ${summary(plain(result.stderr || result.stdout))}`;
  return { ...result, ok, error };
}

/** `nx show projects --json`: the project names (sorted), or why there are none. */
export async function showProjects(root, options) {
  const result = await nx(root, ['show', 'projects', '--json'], options);
  if (!result.ok) return { ...result, projects: undefined };
  try {
    return { ...result, projects: JSON.parse(result.stdout).sort() };
  } catch (error) {
    return { ...result, ok: false, projects: undefined, error: `unreadable output of nx show projects --json (${error.message})` };
  }
}

/** `nx show project <name> --json`: the project's configuration as nx resolved it. */
export async function showProject(root, name, options) {
  const result = await nx(root, ['show', 'project', name, '--json'], options);
  if (!result.ok) return { ...result, project: undefined };
  try {
    return { ...result, project: JSON.parse(result.stdout) };
  } catch (error) {
    return { ...result, ok: false, project: undefined, error: `unreadable output of nx show project ${name} --json (${error.message})` };
  }
}

/** Strips ANSI colour codes and carriage returns. */
export function plain(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** nx's error message on one line: its non-empty lines, without the advice to pass --verbose, at most 600 characters. */
function summary(text) {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line && !/^Pass --verbose/.test(line));
  const joined = lines.join(' | ');
  return joined.length > 600 ? `${joined.slice(0, 600)}…` : joined;
}

/**
 * The plugin's warnings in nx's output: lines that start with a marker (⚠, !, >, NX, WARN, warning…, or
 * nothing: nx's logger.warn only colours) followed by `nx-uv-cuda:`, with the indented lines that continue them.
 */
export function extractWarnings(output) {
  const warnings = [];
  const lines = plain(output).split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const match = /^\s*(?:(?:[^\w\s]+|NX|WARN(?:ING)?|warning)[:\s]*)*\[?nx-uv-cuda\]?:?\s+(.*)$/i.exec(lines[index]);
    if (!match) continue;
    let message = match[1].trim();
    while (index + 1 < lines.length && /^\s+\S/.test(lines[index + 1])) message += ` ${lines[++index].trim()}`;
    warnings.push(message);
  }
  return warnings;
}

/**
 * A project as this tool reports it. Without metadata["nx-uv-cuda"] (an older plugin), backends come from the
 * image targets' `backend` options and build args from their `buildArgs` options; stage existence and unfilled
 * ARGs are then left for the caller to check against the Dockerfile (`checkedBy: undefined`).
 */
export function readProject(config) {
  const contract = config.metadata?.['nx-uv-cuda'];
  const published = isRecord(contract) && Array.isArray(contract.images);
  const byTarget = new Map((published ? contract.images : []).map((image) => [image.target, image]));
  const images = [];
  for (const [target, targetConfig] of Object.entries(config.targets ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (targetConfig.executor !== IMAGE_EXECUTOR) continue;
    const options = targetConfig.options ?? {};
    const meta = byTarget.get(target);
    byTarget.delete(target);
    images.push({
      project: config.name,
      target,
      dockerfile: options.dockerfile ?? meta?.dockerfile,
      context: options.context,
      stage: options.target ?? meta?.stage,
      backend: options.backend ?? meta?.backend,
      buildArgs: meta
        ? (meta.buildArgs ?? []).map(({ name, value, rule, line }) => ({ name, value: String(value), rule, line }))
        : Object.entries(options.buildArgs ?? {}).map(([name, value]) => ({ name, value: String(value), rule: 'buildArgs option' })),
      ...(meta ? { stageExists: meta.stageExists, unfilledArgs: meta.unfilledArgs ?? [], checkedBy: 'plugin' } : {}),
    });
  }
  const notes = [...byTarget.keys()].map((target) => `metadata["nx-uv-cuda"].images names ${target}, which is no ${IMAGE_EXECUTOR} target`);
  const backends =
    isRecord(contract) && Array.isArray(contract.backends)
      ? contract.backends.map(({ name, source, cudaVersion }) => ({ name, source, cudaVersion }))
      : [...new Set(images.map((image) => image.backend).filter(Boolean))].map((name) => ({ name, source: 'image target backend option' }));
  return {
    name: config.name,
    root: config.root,
    contract: published,
    backends,
    images,
    warnings: isRecord(contract) && Array.isArray(contract.warnings) ? contract.warnings.map(String) : [],
    notes,
  };
}

function isRecord(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
