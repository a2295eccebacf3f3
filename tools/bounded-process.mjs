// One way for the repository's tools (benchmarks, realcases) to run an external process: bounded by a timeout (the
// whole process group is stopped when it runs over, nx and its plugin workers together), output in files (nx 24
// cuts a piped stdout short, nrwl/nx#27968), wall time measured around it. Never throws for a failing exit.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Runs `command args` in `cwd`; stdout goes to `stdoutFile`, stderr to `stderrFile` (the same file interleaves them).
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs: number, stdoutFile: string, stderrFile: string, input?: string, killAfterMs?: number }} options
 * @returns {Promise<{ exitCode: number | null, signal: string | null, timedOut: boolean, wall: number }>}
 */
export function runBounded(command, args, { cwd, env = process.env, timeoutMs, stdoutFile, stderrFile, input, killAfterMs = 10_000 }) {
  for (const file of new Set([stdoutFile, stderrFile])) mkdirSync(dirname(file), { recursive: true });
  const out = openSync(stdoutFile, 'w');
  const err = stderrFile === stdoutFile ? out : openSync(stderrFile, 'w');
  const close = () => {
    closeSync(out);
    if (err !== out) closeSync(err);
  };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(command, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', out, err], detached: true });
    } catch (error) {
      close();
      reject(error);
      return;
    }
    if (input !== undefined) child.stdin.end(input);
    let timedOut = false;
    let killTimer;
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => stopGroup(child.pid, 'SIGKILL'), killAfterMs);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      close();
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      close();
      resolve({ exitCode, signal, timedOut, wall: (performance.now() - started) / 1000 });
    });
  });
}

/** Signals the process group a tool started (its leader's pid), never anything else. */
function stopGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
