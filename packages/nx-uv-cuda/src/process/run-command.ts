import type { Options, Result } from 'execa';
import { REDACTED } from '../core/secret-names';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this many milliseconds (preflight probes); builds run unbounded unless set. */
  timeoutMs?: number;
  /**
   * `inherit`: the user sees the command's own output (builds, smoke runs); `pipe`: captured (probes).
   * With `inherit`, stderr (buildx's progress, which wants the terminal) is the parent's own, while stdout is
   * relayed through `process.stdout`: Nx captures a task's output there when it runs tasks in parallel.
   */
  stdio?: 'inherit' | 'pipe';
  /**
   * With `inherit`: relay stderr as it comes and keep its last 64 KiB in the result, so that the caller can read
   * why the command failed (buildx prints the build's error there). The command's stderr is then not a terminal.
   */
  keepStderr?: boolean;
  /**
   * With `inherit`: values (tokens) replaced by *** in everything relayed and kept, whatever splits them across
   * chunks: BuildKit prints a RUN with its build args expanded. Stderr is then piped, as with `keepStderr`.
   */
  mask?: readonly string[];
  /** Text for the command's standard input (e.g. a Dockerfile for `docker buildx build -f -`). */
  input?: string;
  /** Aborting stops the command: SIGINT first (buildx then cancels its build), SIGKILL 10 s later. */
  signal?: AbortSignal;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (ENOENT: not installed). */
  notFound: boolean;
  timedOut: boolean;
  interrupted: boolean;
}

/** Runs a program with an argv array, never through a shell; never throws for a failed command. */
export async function runCommand(file: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  const { execa } = await import('execa');
  const mask = options.mask?.filter((value) => value.length > 0) ?? [];
  const relayStderr = options.keepStderr === true || mask.length > 0;
  const execaOptions: Options = {
    cwd: options.cwd,
    env: options.env,
    timeout: options.timeoutMs,
    reject: false,
    shell: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    stdout: 'pipe',
    stderr: options.stdio === 'inherit' && !relayStderr ? 'inherit' : 'pipe',
    // A relayed stderr is kept as a tail, not buffered whole: a long build prints megabytes of progress.
    ...(options.stdio === 'inherit' && relayStderr && { buffer: { stdout: true, stderr: false } }),
    cancelSignal: options.signal,
    killSignal: 'SIGINT',
    forceKillAfterDelay: 10_000,
  };
  const subprocess = execa(file, args, execaOptions);
  const relay = options.stdio === 'inherit' ? relayLines(subprocess.stdout, mask) : undefined;
  const tail = options.stdio === 'inherit' && relayStderr ? relayTail(subprocess.stderr, mask) : undefined;
  const result = (await subprocess) as Result;
  relay?.flush();
  tail?.flush();
  const notFound = (result as { code?: string }).code === 'ENOENT';
  return {
    exitCode: result.exitCode ?? (notFound ? 127 : 1),
    stdout: options.stdio !== 'inherit' && typeof result.stdout === 'string' ? result.stdout : '',
    stderr: tail ? tail.text() : typeof result.stderr === 'string' ? result.stderr : '',
    notFound,
    timedOut: result.timedOut,
    interrupted: result.isCanceled,
  };
}

/**
 * Relays a stream to `process.stdout` in whole lines: a program writing unbuffered (`print("a", "b")` under
 * PYTHONUNBUFFERED) sends pieces of a line, and a task runner that captures output may print each piece apart.
 */
export function relayLines(stream: NodeJS.ReadableStream | null, mask: readonly string[] = []) {
  const masked = masker(mask);
  let pending = '';
  // Decoded as a stream: a character split across two chunks stays whole.
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    pending += masked.push(chunk);
    const end = pending.lastIndexOf('\n');
    if (end === -1) return;
    process.stdout.write(pending.slice(0, end + 1));
    pending = pending.slice(end + 1);
  });
  return {
    flush: () => {
      pending += masked.flush();
      if (pending) process.stdout.write(`${pending}\n`);
      pending = '';
    },
  };
}

const STDERR_TAIL_BYTES = 64 * 1024;

/** Relays a stream to `process.stderr` as it comes (progress output is not line-based) and keeps its tail. */
function relayTail(stream: NodeJS.ReadableStream | null, mask: readonly string[]) {
  const masked = masker(mask);
  let tail = '';
  const relay = (text: string) => {
    process.stderr.write(text);
    tail = (tail + text).slice(-STDERR_TAIL_BYTES);
  };
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => relay(masked.push(chunk)));
  return { text: () => tail, flush: () => relay(masked.flush()) };
}

/**
 * Replaces each of `values` by *** in a stream of text pieces. The last (longest value − 1) characters are held
 * back until the next piece: a value split across two pieces is whole by then.
 */
export function masker(values: readonly string[]) {
  const sorted = [...values].sort((a, b) => b.length - a.length);
  const holdBack = sorted.length > 0 ? sorted[0].length - 1 : 0;
  const replace = (text: string) => sorted.reduce((result, value) => result.split(value).join(REDACTED), text);
  let pending = '';
  return {
    push(piece: string): string {
      if (sorted.length === 0) return piece;
      pending = replace(pending + piece);
      const ready = pending.slice(0, Math.max(0, pending.length - holdBack));
      pending = pending.slice(ready.length);
      return ready;
    },
    flush(): string {
      const rest = replace(pending);
      pending = '';
      return rest;
    },
  };
}

/** The last line of a command's output: where docker and buildx put the reason they failed. */
export function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
