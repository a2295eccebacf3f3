import { rmSync } from 'node:fs';

/**
 * Runs `work` so that SIGINT/SIGTERM abort it: the signal passed to `work` aborts (which stops child
 * commands), the registered temporary paths are removed, and the process exits with the signal's code.
 * Temporary paths are removed on every exit path, so a failed or interrupted build leaves nothing behind.
 */
export async function interruptible<T>(work: (scope: InterruptScope) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const temporaryPaths = new Set<string>();
  const removeTemporaryPaths = () => {
    for (const path of temporaryPaths) rmSync(path, { recursive: true, force: true });
    temporaryPaths.clear();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
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
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
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
