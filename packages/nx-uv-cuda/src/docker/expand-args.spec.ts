import { describe, expect, it } from 'vitest';
import { argNamesIn, expandArgs } from './expand-args';

describe('expandArgs', () => {
  const values = { CUDA_VERSION: '12.4.1', EMPTY: '' };

  it('expands $VAR and ${VAR}', () => {
    expect(expandArgs('nvidia/cuda:$CUDA_VERSION-devel', values)).toBe('nvidia/cuda:12.4.1-devel');
    expect(expandArgs('nvidia/cuda:${CUDA_VERSION}-devel', values)).toBe('nvidia/cuda:12.4.1-devel');
  });

  it('expands unset variables to nothing', () => {
    expect(expandArgs('a${MISSING}b$MISSING', values)).toBe('ab');
  });

  it('applies :- and - defaults (the colon form also replaces an empty value)', () => {
    expect(expandArgs('${MISSING:-22.04}', values)).toBe('22.04');
    expect(expandArgs('${EMPTY:-22.04}', values)).toBe('22.04');
    expect(expandArgs('${EMPTY-22.04}', values)).toBe('');
    expect(expandArgs('${CUDA_VERSION:-0}', values)).toBe('12.4.1');
  });

  it('applies :+ and + alternatives', () => {
    expect(expandArgs('${CUDA_VERSION:+set}', values)).toBe('set');
    expect(expandArgs('${EMPTY:+set}', values)).toBe('');
    expect(expandArgs('${EMPTY+set}', values)).toBe('set');
    expect(expandArgs('${MISSING+set}', values)).toBe('');
  });

  it('expands nested words', () => {
    expect(expandArgs('${MISSING:-cuda-${CUDA_VERSION}}', values)).toBe('cuda-12.4.1');
  });

  it('keeps an escaped $ and a $ that starts no name', () => {
    expect(expandArgs('\\$CUDA_VERSION costs $5', values)).toBe('$CUDA_VERSION costs $5');
    expect(expandArgs('`$CUDA_VERSION', values, '`')).toBe('$CUDA_VERSION');
  });

  it('rejects malformed and unsupported substitutions', () => {
    expect(() => expandArgs('${CUDA_VERSION', values)).toThrow(/missing '}'/);
    expect(() => expandArgs('${}', values)).toThrow(/bad substitution/);
    expect(() => expandArgs('${CUDA_VERSION%.*}', values)).toThrow(/unsupported substitution/);
  });

  it('refuses defaults nested deeper than 64 with an Error, not a stack overflow', () => {
    const nested = (depth: number) => `${'${A:-'.repeat(depth)}x${'}'.repeat(depth)}`;
    expect(expandArgs(nested(64), {})).toBe('x');
    expect(() => expandArgs(nested(20_000), {})).toThrow(/^substitutions nested more than 64 deep in /);
  });
});

describe('argNamesIn', () => {
  it('lists every name, including those inside unused defaults', () => {
    expect(argNamesIn('${REGISTRY:-docker.io}/cuda:${CUDA_VERSION:+${CUDA_VERSION}}-$VARIANT')).toEqual([
      'REGISTRY',
      'CUDA_VERSION',
      'VARIANT',
    ]);
  });
});
