// Every external process of the benchmark goes through here: bounded by a timeout (the whole process group is
// stopped when it runs over), stdout and stderr interleaved into one log file (see tools/bounded-process.mjs).
import { readFileSync } from 'node:fs';
import { runBounded } from '../../bounded-process.mjs';

/**
 * Runs `command args` in `cwd` with its output going to `logFile`.
 * @returns {Promise<{ exitCode: number | null, signal: string | null, timedOut: boolean, wall: number, output: string }>}
 */
export async function runLogged(command, args, { cwd, env = process.env, timeoutMs, logFile, input }) {
  const result = await runBounded(command, args, { cwd, env, timeoutMs, input, stdoutFile: logFile, stderrFile: logFile, killAfterMs: 15_000 });
  return { ...result, output: readFileSync(logFile, 'utf8') };
}

/** Strips ANSI colour codes. */
export function plain(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}
