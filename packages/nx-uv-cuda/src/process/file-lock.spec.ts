import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPluginError } from '../core/errors';
import { withFileLock, type LockOwner } from './file-lock';
import { interruptible } from './interruptible';

const root = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const lockPath = () => join(root, `locks-${count++}`, 'key');

describe('withFileLock', () => {
  it('runs one holder at a time: the second waits, says whom for, and runs after the first', async () => {
    const path = lockPath();
    const events: string[] = [];
    const waitedFor: Array<LockOwner | undefined> = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await interruptible(async (scope) => {
      const first = withFileLock(path, scope, { onWait: () => events.push('first waited'), onStale: () => {} }, async () => {
        events.push('first in');
        await released;
        events.push('first out');
      });
      const second = withFileLock(path, scope, { onWait: (owner) => waitedFor.push(owner), onStale: () => {}, pollMs: 10 }, async () => {
        events.push('second in');
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      await Promise.all([first, second]);
    });
    expect(events).toEqual(['first in', 'first out', 'second in']);
    expect(waitedFor).toEqual([expect.objectContaining({ pid: process.pid, host: hostname() })]);
    expect(existsSync(path)).toBe(false);
  });

  it('releases the lock when the work fails', async () => {
    const path = lockPath();
    await expect(
      interruptible((scope) => withFileLock(path, scope, { onWait: () => {}, onStale: () => {} }, async () => {
        throw new Error('compile failed');
      })),
    ).rejects.toThrow('compile failed');
    expect(existsSync(path)).toBe(false);
  });

  it('takes over a lock whose holder on this host is gone', async () => {
    const path = lockPath();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'owner.json'), JSON.stringify({ pid: dead, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    const stale: Array<LockOwner | undefined> = [];
    const ran = await interruptible((scope) =>
      withFileLock(path, scope, { onWait: () => stale.push(undefined), onStale: (owner) => stale.push(owner) }, async () => 'ran'),
    );
    expect(ran).toBe('ran');
    expect(stale).toEqual([expect.objectContaining({ pid: dead })]);
  });

  it('stops waiting on interruption with a PluginError of kind interrupted', async () => {
    const path = lockPath();
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname(), since: 'now' }));
    const waiting = interruptible((scope) => withFileLock(path, scope, { onWait: () => process.emit('SIGINT'), onStale: () => {}, pollMs: 10 }, async () => 'ran'));
    const error = await waiting.catch((caught: unknown) => caught);
    expect(isPluginError(error, 'interrupted')).toBe(true);
    expect(existsSync(path)).toBe(true);
  });
});

describe('withFileLock: locks left by a crash', () => {
  it('takes over a lock without an owner once it is older than a minute, and waits on a fresh one', async () => {
    const path = lockPath();
    mkdirSync(path, { recursive: true });
    const old = new Date(Date.now() - 120_000);
    utimesSync(path, old, old);
    const seen: Array<[string, LockOwner | undefined]> = [];
    const ran = await interruptible((scope) =>
      withFileLock(path, scope, { onWait: (owner) => seen.push(['wait', owner]), onStale: (owner) => seen.push(['stale', owner]) }, async () => 'ran'),
    );
    expect(ran).toBe('ran');
    expect(seen).toEqual([['stale', undefined]]);

    const fresh = lockPath();
    mkdirSync(fresh, { recursive: true });
    const waitedOn: Array<[string, LockOwner | undefined]> = [];
    const waiting = interruptible((scope) =>
      withFileLock(
        fresh,
        scope,
        {
          onWait: (owner) => {
            waitedOn.push(['wait', owner]);
            process.emit('SIGINT');
          },
          onStale: (owner) => waitedOn.push(['stale', owner]),
          pollMs: 10,
        },
        async () => 'ran',
      ),
    );
    const error = await waiting.catch((caught: unknown) => caught);
    expect(isPluginError(error, 'interrupted')).toBe(true);
    expect(waitedOn).toEqual([['wait', undefined]]);
    expect(existsSync(fresh)).toBe(true);
  });

  it('lets one of several waiters take over a dead holder: the others wait for it', async () => {
    const path = lockPath();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'owner.json'), JSON.stringify({ pid: dead, host: hostname(), since: 'then' }));
    const inside: number[] = [];
    let holders = 0;
    const takeovers: number[] = [];
    await interruptible((scope) =>
      Promise.all(
        [0, 1, 2, 3].map((index) =>
          withFileLock(path, scope, { onWait: () => {}, onStale: () => takeovers.push(index), pollMs: 5 }, async () => {
            holders += 1;
            inside.push(holders);
            await new Promise((resolve) => setTimeout(resolve, 20));
            holders -= 1;
          }),
        ),
      ),
    );
    expect(takeovers).toHaveLength(1);
    expect(inside).toEqual([1, 1, 1, 1]);
  });

  it('makes a waiter that comes while another takes over a dead holder wait for the one that took it over', async () => {
    // The second waiter starts from the first one's onStale: after the first has found the holder dead and
    // before it has removed the lock. Without one step for the check and the removal, the second would take
    // the lock over too, and the first would then remove the lock the second holds.
    const path = lockPath();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'owner.json'), JSON.stringify({ pid: dead, host: hostname(), since: 'then' }));
    let holders = 0;
    const inside: Record<string, number> = {};
    const work = (name: string) => async () => {
      holders += 1;
      inside[name] = holders;
      await new Promise((resolve) => setTimeout(resolve, 20));
      holders -= 1;
    };
    let second: Promise<void> | undefined;
    const secondWaits: string[] = [];
    await interruptible(async (scope) => {
      const first = withFileLock(
        path,
        scope,
        {
          onWait() {},
          onStale: () => {
            second ??= withFileLock(
              path,
              scope,
              { onWait: () => secondWaits.push('wait'), onStale: () => secondWaits.push('stale'), pollMs: 5 },
              work('second'),
            );
          },
          pollMs: 5,
        },
        work('first'),
      );
      await Promise.all([first, second]);
    });
    expect(second).toBeDefined();
    expect(inside).toEqual({ first: 1, second: 1 });
    expect(secondWaits).toEqual(['wait']);
    expect(existsSync(path)).toBe(false);
  });
});
