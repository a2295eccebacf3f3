import { rmSync } from 'node:fs';

/**
 * Runs `work` so that SIGINT/SIGTERM abort it: the signal passed to `work` aborts (which stops child
 * commands) and the registered temporary paths are removed at once, since the task runner may end this
 * process before `work` unwinds. Temporary paths are removed on every other exit path too, so a failed or
 * interrupted build leaves nothing behind.
 */
export async function interruptible<T>(
  work: (scope: InterruptScope) => Promise<T>,
  onSignal?: (signal: NodeJS.Signals) => void,
): Promise<T> {
  const controller = new AbortController();
  const temporaryPaths = new Set<string>();
  const removeTemporaryPaths = () => {
    for (const path of temporaryPaths) rmSync(path, { recursive: true, force: true });
    temporaryPaths.clear();
  };
  const abort = (signal: NodeJS.Signals) => {
    onSignal?.(signal);
    controller.abort(new Error(`interrupted by ${signal}`));
    removeTemporaryPaths();
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  process.once('exit', removeTemporaryPaths);
  try {
    return await work({
      signal: controller.signal,
      temporary: (path) => {
        temporaryPaths.add(path);
        return path;
      },
      keep: (path) => temporaryPaths.delete(path),
    });
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
    process.off('exit', removeTemporaryPaths);
    removeTemporaryPaths();
  }
}

export interface InterruptScope {
  signal: AbortSignal;
  /** Registers a path to delete when the work ends, however it ends. */
  temporary(path: string): string;
  /** The path was moved into place: nothing to delete any more. */
  keep(path: string): void;
}
