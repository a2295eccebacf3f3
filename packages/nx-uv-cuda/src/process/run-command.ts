import type { Options, Result } from 'execa';

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
  const execaOptions: Options = {
    cwd: options.cwd,
    env: options.env,
    timeout: options.timeoutMs,
    reject: false,
    shell: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: options.stdio === 'inherit' ? 'inherit' : 'pipe',
    cancelSignal: options.signal,
    killSignal: 'SIGINT',
    forceKillAfterDelay: 10_000,
  };
  const subprocess = execa(file, args, execaOptions);
  if (options.stdio === 'inherit') subprocess.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  const result = (await subprocess) as Result;
  const notFound = (result as { code?: string }).code === 'ENOENT';
  return {
    exitCode: result.exitCode ?? (notFound ? 127 : 1),
    stdout: options.stdio !== 'inherit' && typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    notFound,
    timedOut: result.timedOut,
    interrupted: result.isCanceled,
  };
}
