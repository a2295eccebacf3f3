import { describe, expect, it } from 'vitest';
import { edit } from './edit';

describe('edit (fixture helper)', () => {
  it('replaces the first occurrence only, taking `to` literally', () => {
    expect(edit('a b a', 'a', 'c')).toBe('c b a');
    expect(edit('x', 'x', '$&$&')).toBe('$&$&');
  });

  it('throws when the text to replace is absent or the edit changes nothing', () => {
    expect(() => edit('USER app', 'USER root', 'USER nobody')).toThrow('edit: "USER root" is not in the text');
    expect(() => edit('USER app', 'app', 'app')).toThrow('changes nothing');
  });
});
