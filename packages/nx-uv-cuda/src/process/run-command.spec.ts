import { afterEach, describe, expect, it, vi } from 'vitest';
import { lastLine, masker, runCommand } from './run-command';

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

describe('masker', () => {
  const run = (values: string[], pieces: string[]) => {
    const masked = masker(values);
    return pieces.map((piece) => masked.push(piece)).join('') + masked.flush();
  };

  it('replaces every value, the longest first, and passes other text through unchanged', () => {
    expect(run(['hf_canary', 'hf_canary_long'], ['RUN test -n "hf_canary_long" && echo hf_canary\n'])).toBe('RUN test -n "***" && echo ***\n');
    expect(run([], ['plain text'])).toBe('plain text');
  });

  it('masks a value split across pieces, at every split point', () => {
    const text = '#8 [4/4] RUN test -n "hf_canary"\n';
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(run(['hf_canary'], [text.slice(0, cut), text.slice(cut)])).toBe('#8 [4/4] RUN test -n "***"\n');
    }
    expect(run(['hf_canary'], [...text])).toBe('#8 [4/4] RUN test -n "***"\n');
  });
});

describe('runCommand with mask', () => {
  it('keeps a masked value out of the relayed stdout and stderr and the kept tail', async () => {
    const writes: string[] = [];
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true));
    try {
      const script = 'process.stdout.write("tok"); setTimeout(() => { process.stdout.write("en_canary\\n"); process.stderr.write("err token_canary\\n"); }, 50);';
      const result = await runCommand(process.execPath, ['-e', script], { stdio: 'inherit', mask: ['token_canary'] });
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toBe('err ***\n');
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(writes.join('')).not.toContain('token_canary');
    expect(writes.join('')).toContain('***');
  });
});
