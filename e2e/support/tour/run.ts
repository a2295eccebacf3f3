import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBounded } from '../../../tools/bounded-process.mjs';
import { nxBin } from '../../../tools/example-workspace.mjs';
import { plain } from '../output';

/** What a command did: its exit code and its output. */
export interface Ran {
  argv: string[];
  exitCode: number;
  timedOut: boolean;
  /** stdout and stderr as they were written, interleaved (with `stdoutApart`: stdout, then stderr). */
  output: string;
  /** stdout alone when `stdoutApart`, else the same as `output`. */
  stdout: string;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** The workspace whose node_modules holds the `nx` a reader's `npx nx` (or a global nx) would run. */
  nxRoot: string;
  /** Folder for the output files (kept with the workspace until the file's tests end). */
  logDir: string;
  /** stdout to a file of its own (for `--json`); otherwise stdout and stderr share one, as `2>&1` does. */
  stdoutApart?: boolean;
}

let counter = 0;

/**
 * Runs one argv, never through a shell, with the repository's bounded runner (tools/bounded-process.mjs: a timeout
 * that stops the whole process group, output in files, since nx 24 cuts a piped stdout short). `nx` is the
 * workspace's own nx (its CLI from node_modules, what `npx nx` starts); any other program is looked up on `env.PATH`.
 */
export async function runArgv(argv: string[], options: RunOptions): Promise<Ran> {
  const [program, ...args] = argv;
  const [file, fileArgs] = program === 'nx' ? [process.execPath, [nxBin(options.nxRoot), ...args]] : [program, args];
  mkdirSync(options.logDir, { recursive: true });
  counter += 1;
  const base = join(options.logDir, `${String(counter).padStart(3, '0')}-${program}`);
  const log = `${base}.log`;
  const stdoutFile = options.stdoutApart ? `${base}.stdout` : log;
  const result = await runBounded(file, fileArgs, { cwd: options.cwd, env: options.env, timeoutMs: options.timeoutMs, stdoutFile, stderrFile: log });
  const stdout = readFileSync(stdoutFile, 'utf8');
  return {
    argv,
    exitCode: result.exitCode ?? 1,
    timedOut: result.timedOut,
    output: options.stdoutApart ? `${stdout}${readFileSync(log, 'utf8')}` : stdout,
    stdout,
  };
}

/** `uv` on PATH: a two-line shell wrapper that runs the stand-in (uv-stand-in.mjs) with this Node.js. */
export function installUvStandIn(binDir: string): string {
  mkdirSync(binDir, { recursive: true });
  const script = join(__dirname, 'uv-stand-in.mjs');
  if (!existsSync(script)) throw new Error(`${script} is missing`);
  const uv = join(binDir, 'uv');
  writeFileSync(uv, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`);
  chmodSync(uv, 0o755);
  return uv;
}

/** The `docker buildx build` argv each task printed in a dry run, by task id (from the `> nx run <task>` headers). */
export function dryRunArgv(output: string): Record<string, string[]> {
  const byTask: Record<string, string[]> = {};
  let task: string | undefined;
  for (const line of plain(output).split('\n')) {
    const header = /^> nx run (\S+:\S+)/.exec(line.trim());
    if (header) task = header[1];
    else if (task && line.startsWith('docker buildx build ')) (byTask[task] ??= []).push(line.trim());
  }
  return byTask;
}

/** The tasks Nx lists under "Failed tasks:" at the end of a run. */
export function failedTasks(output: string): string[] {
  const section = /Failed tasks:\s*\n((?:\s*- \S+\s*\n?)+)/.exec(plain(output));
  return section ? [...section[1].matchAll(/- (\S+)/g)].map((match) => match[1]).sort() : [];
}
