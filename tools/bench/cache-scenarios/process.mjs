// Every external process of the benchmark goes through here: bounded by a timeout (the whole process group is
// stopped when it runs over), stdout and stderr interleaved into one log file, wall time measured around it.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Runs `command args` in `cwd` with its output going to `logFile`.
 * @returns {Promise<{ exitCode: number | null, signal: string | null, timedOut: boolean, wall: number, output: string }>}
 */
export function runLogged(command, args, { cwd, env = process.env, timeoutMs, logFile, input }) {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'w');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(command, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', fd, fd], detached: true });
    } catch (error) {
      closeSync(fd);
      reject(error);
      return;
    }
    if (input !== undefined) child.stdin.end(input);
    let timedOut = false;
    let killTimer;
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => stopGroup(child.pid, 'SIGKILL'), 15_000);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      closeSync(fd);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      const wall = (performance.now() - started) / 1000;
      closeSync(fd);
      resolve({ exitCode, signal, timedOut, wall, output: readFileSync(logFile, 'utf8') });
    });
  });
}

/** Signals the process group this benchmark started (its leader's pid), never anything else. */
function stopGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Strips ANSI colour codes. */
export function plain(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}
