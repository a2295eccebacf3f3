import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startDetached, startWatchdog, WATCHDOG_SCRIPT } from './container-process';

let dir: string;
let env: NodeJS.ProcessEnv;
const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8') : '');
const until = async (condition: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return condition();
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'container-process-'));
  // A docker that only records how it was called.
  writeFileSync(join(dir, 'docker'), `#!/bin/sh\necho "$@" >> "${join(dir, 'calls')}"\n`);
  chmodSync(join(dir, 'docker'), 0o755);
  env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('startDetached', () => {
  it('reports the exit status of the command', async () => {
    expect(await startDetached('sh', ['-c', 'exit 7'], { env, stdio: 'ignore' }).done).toBe(7);
    expect(await startDetached('true', [], { env, stdio: 'ignore' }).done).toBe(0);
  });

  it('relays stdout in whole lines, and runs the command outside the executor process tree', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const run = startDetached('sh', ['-c', 'printf "a "; printf "b\\nparent "; ps -o ppid= -p $PPID | tr -d " "'], { env, stdio: 'pipe' });
      expect(await run.done).toBe(0);
      const lines = write.mock.calls.map(([text]) => String(text));
      expect(lines[0]).toBe('a b\n');
      const parent = Number(/parent (\d+)/.exec(lines.join(''))?.[1]);
      expect(parent).not.toBe(process.pid);
    } finally {
      write.mockRestore();
    }
  });
});

describe('startWatchdog', () => {
  it('release: ends without stopping anything', async () => {
    const watchdog = startWatchdog('svc-cpu', 10, env);
    watchdog.release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls()).toBe('');
  });

  it('stop: docker stop --time <grace> <name>, resolved once done', async () => {
    const watchdog = startWatchdog('svc-cpu', 7, env);
    await watchdog.stop();
    expect(calls()).toBe('stop --time 7 svc-cpu\n');
  });

  it('stops the container when the executor end of its socket closes (the executor was killed)', async () => {
    const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'sh', 'svc-cpu', '10'], { env, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    (child.stdio[3] as Duplex).destroy();
    expect(await until(() => calls() !== '')).toBe(true);
    expect(calls()).toBe('stop --time 10 svc-cpu\n');
  });
});
