import type { ExecutorContext } from '@nx/devkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { PluginError } from '../../core/errors';
import { runExecutor } from './run-executor';

const context = { root: '/ws', projectName: 'svc', targetName: 'wheel-flash-attn-cu124', cwd: '/ws', isVerbose: false } as ExecutorContext;

afterEach(() => vi.restoreAllMocks());

function capturedStderr(): string[] {
  const writes: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true));
  return writes;
}

describe('runExecutor', () => {
  it('says at once that SIGINT interrupted the task, then fails it with the executor own message', async () => {
    const executor = runExecutor({ schema: z.object({}) }, ({ scope }) =>
      new Promise<void>((_, reject) =>
        scope.signal.addEventListener('abort', () => reject(new PluginError('interrupted', 'wheel build interrupted: nothing was written'))),
      ),
    );
    const writes = capturedStderr();
    const running = executor({}, context);
    setTimeout(() => process.emit('SIGINT', 'SIGINT'), 10);
    expect(await running).toEqual({ success: false });
    expect(writes).toEqual([
      '[nx-uv-cuda] interrupted by SIGINT: stopping; temporary files go, earlier outputs stay as they were\n',
      '[nx-uv-cuda] error: wheel build interrupted: nothing was written\n',
    ]);
  });

  it('reports invalid options in one message naming the task, and a bug with its stack', async () => {
    const writes = capturedStderr();
    const strict = runExecutor({ schema: z.object({ backend: z.string() }).strict() }, async () => {});
    expect(await strict({ backend: 3 } as never, context)).toEqual({ success: false });
    expect(writes.pop()).toBe('[nx-uv-cuda] error: options of svc:wheel-flash-attn-cu124: backend: expected string, received number\n');
    const buggy = runExecutor({ schema: z.object({}) }, async () => {
      throw new TypeError('x is undefined');
    });
    expect(await buggy({}, context)).toEqual({ success: false });
    expect(writes.pop()).toMatch(/^\[nx-uv-cuda\] error: unexpected error in svc:wheel-flash-attn-cu124 \(a bug in nx-uv-cuda, please report it\):\nTypeError: x is undefined/);
  });
});
