import { spawn, type StdioOptions } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { relayLines } from '../../process/run-command';

/**
 * Starts `"$@"` in a background subshell of a `/bin/sh` that exits at once, so that the command is not a
 * descendant of the executor. Why: Nx stops a task by signalling its process tree leaves first, waiting for them,
 * then their parents, and kills what is left after a grace period. `docker run` (like `docker attach`) does not
 * exit on SIGTERM while its container runs, so as a leaf it would hold the executor's signal back until everything
 * is killed, leaving the container running. Out of the tree, the executor is the leaf: it gets the signal and
 * stops the container by name. The subshell keeps the executor's stdin (fd 4 hands it over: a background job's
 * stdin is otherwise /dev/null), and reports the exit status on fd 3, which the command itself does not hold.
 */
const SCRIPT = 'exec 4<&0; ( "$@" <&4 4<&- 3>&-; echo $? >&3 ) & exit 0';

export interface DetachedCommand {
  /**
   * The command's exit status once it and its subshell are done (their output closed); undefined when the
   * subshell ended without reporting one (killed).
   */
  done: Promise<number | undefined>;
}

export interface DetachedOptions {
  env: NodeJS.ProcessEnv;
  /** `inherit`: stdin, stdout and stderr are the executor's (a terminal for `-it`); `pipe`: stdin closed, stdout relayed. */
  stdio: 'inherit' | 'pipe' | 'ignore';
}

export function startDetached(file: string, args: string[], options: DetachedOptions): DetachedCommand {
  const stdio: StdioOptions =
    options.stdio === 'inherit'
      ? ['inherit', 'inherit', 'inherit', 'pipe']
      : options.stdio === 'pipe'
        ? ['ignore', 'pipe', 'inherit', 'pipe']
        : ['ignore', 'ignore', 'ignore', 'pipe'];
  const child = spawn('/bin/sh', ['-c', SCRIPT, 'sh', file, ...args], { env: options.env, stdio });
  let status = '';
  child.stdio[3]?.on('data', (chunk: Buffer) => (status += chunk.toString('utf8')));
  const relay = relayLines(child.stdout);
  const done = new Promise<number | undefined>((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`/bin/sh: ${error.message}\n`);
      resolve(undefined);
    });
    // `close`: the shell exited and every stream closed, i.e. the background subshell is done too.
    child.once('close', () => {
      relay.flush();
      const code = Number.parseInt(status.trim(), 10);
      resolve(Number.isNaN(code) ? undefined : code);
    });
  });
  return { done };
}

/**
 * Out of the executor's process tree (as above), waits on fd 3 for a line: `done` leaves the container alone;
 * anything else, or the executor's end of the socket closing (the executor killed: Nx kills a task moments after
 * signalling it), runs `docker stop --time <grace> <name>` and answers `stopped`. Started before the container,
 * so no signal can come between: a container is never left running by a killed executor.
 */
export const WATCHDOG_SCRIPT = '( IFS= read -r what <&3; if [ "$what" != done ]; then docker stop --time "$2" "$1" 3>&- >/dev/null 2>&1; echo stopped >&3; fi ) & exit 0';

export interface Watchdog {
  /** Stops the container now; resolves once it is stopped (or the watchdog is gone). */
  stop(): Promise<void>;
  /** The container ended by itself: the watchdog ends without stopping anything. */
  release(): void;
}

export function startWatchdog(name: string, graceSeconds: number, env: NodeJS.ProcessEnv): Watchdog {
  const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'sh', name, String(graceSeconds)], {
    env,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const socket = child.stdio[3] as Duplex;
  let answered = false;
  const stopped = new Promise<void>((resolve) => {
    socket.on('data', () => {
      answered = true;
      resolve();
    });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
    child.once('error', () => resolve());
  });
  let told = false;
  const tell = (line: string) => {
    if (told) return;
    told = true;
    socket.write(`${line}\n`);
  };
  return {
    stop: () => {
      tell('stop');
      return answered ? Promise.resolve() : stopped;
    },
    release: () => {
      tell('done');
      socket.end();
    },
  };
}
