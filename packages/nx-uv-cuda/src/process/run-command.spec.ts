import { afterEach, describe, expect, it, vi } from 'vitest';
import { lastLine, runCommand } from './run-command';

describe('runCommand', () => {
  afterEach(() => vi.restoreAllMocks());

  it('relays stderr as it comes and keeps its tail when asked, so a caller can read why a command failed', async () => {
    const relayed: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      relayed.push(String(chunk));
      return true;
    });
    const script = 'for i in $(seq 1 20000); do echo "progress line $i" >&2; done; echo "ERROR: the reason" >&2; exit 3';
    const result = await runCommand('sh', ['-c', script], { stdio: 'inherit', keepStderr: true });
    expect(result.exitCode).toBe(3);
    expect(lastLine(result.stderr)).toBe('ERROR: the reason');
    expect(result.stderr.length).toBeLessThanOrEqual(64 * 1024);
    expect(relayed.join('')).toContain('progress line 1\n');
    expect(relayed.join('')).toContain('ERROR: the reason');
  });

  it('never throws for a command that is not there', async () => {
    const result = await runCommand('nx-uv-cuda-no-such-command', [], { stdio: 'pipe' });
    expect(result).toMatchObject({ notFound: true, exitCode: 127 });
  });
});
