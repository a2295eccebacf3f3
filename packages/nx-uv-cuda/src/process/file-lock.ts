import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { PluginError } from '../core/errors';
import type { InterruptScope } from './interruptible';

/** Who holds a lock: written into it, so that a waiter can say whom it waits for and tell a dead holder. */
export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface LockWaits {
  /** Called once, when the lock is held by another process. */
  onWait(owner: LockOwner | undefined): void;
  /** Called when the holder died without releasing it (same host, no such process): the lock is taken over. */
  onStale(owner: LockOwner | undefined): void;
  pollMs?: number;
}

/**
 * Runs `work` holding the lock at `path` (a folder: `mkdir` is atomic across processes), waiting while another
 * process holds it. A lock whose holder is gone (same host, pid not running) is taken over, by one waiter at a
 * time (see takeOverIfStale). The scope removes the lock on SIGINT/SIGTERM like any temporary path; otherwise it
 * is removed when `work` ends, however it ends.
 */
export async function withFileLock<T>(path: string, scope: InterruptScope, waits: LockWaits, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  let waited = false;
  while (!tryAcquire(path)) {
    if (takeOverIfStale(path, waits)) continue;
    const owner = readOwner(path);
    if (!waited) waits.onWait(owner);
    waited = true;
    await sleep(waits.pollMs ?? 1000, scope.signal);
  }
  scope.temporary(path);
  try {
    return await work();
  } finally {
    rmSync(path, { recursive: true, force: true });
    scope.keep(path);
  }
}

/** A holder writes its owner file right after taking the lock: a lock without one for this long was left by a crash. */
const UNOWNED_STALE_MS = 60_000;

/**
 * Removes the lock when its holder is gone. Two waiters could both find the same dead holder, and the second
 * would then remove the lock the first has just taken: so the check and the removal happen under a second lock
 * (`<path>.takeover`), held only for that moment, and the holder is read again under it.
 */
function takeOverIfStale(path: string, waits: LockWaits): boolean {
  const takeover = `${path}.takeover`;
  if (ageMs(takeover) > UNOWNED_STALE_MS) rmSync(takeover, { recursive: true, force: true });
  try {
    mkdirSync(takeover);
  } catch {
    return false;
  }
  try {
    const owner = readOwner(path);
    const stale = owner ? owner.host === hostname() && !isRunning(owner.pid) : ageMs(path) > UNOWNED_STALE_MS;
    if (stale) {
      waits.onStale(owner);
      rmSync(path, { recursive: true, force: true });
    }
    return stale;
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
}

/** How long ago `path` was made; 0 when it is not there. */
function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function tryAcquire(path: string): boolean {
  try {
    mkdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  try {
    writeFileSync(join(path, 'owner.json'), JSON.stringify(owner));
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    throw error;
  }
  return true;
}

/** The owner, or undefined while the holder has not written it yet (or wrote something else). */
function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(join(path, 'owner.json'), 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const interrupted = () => new PluginError('interrupted', 'interrupted while waiting for another process: nothing was written');
    if (signal.aborted) return reject(interrupted());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(interrupted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
