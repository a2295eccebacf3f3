import { describe, expect, it } from 'vitest';
import { applyRenames } from './renamed-options';

const RENAMES = { 'stages.wheel': 'stages.wheelBuild', 'stages.wheels': 'stages.wheelExport' };

describe('applyRenames', () => {
  it('moves an old key to its new name, with a warning naming both', () => {
    expect(applyRenames({ stages: { dev: 'dev', wheel: 'build' } }, RENAMES, 'nx.json')).toEqual({
      value: { stages: { dev: 'dev', wheelBuild: 'build' } },
      warnings: ['nx.json: stages.wheel is deprecated: write stages.wheelBuild instead'],
    });
  });

  it('keeps the new key when both are set, drops the old one and says it is ignored', () => {
    expect(applyRenames({ stages: { wheel: 'old', wheelBuild: 'new' } }, RENAMES, 'svc/pyproject.toml')).toEqual({
      value: { stages: { wheelBuild: 'new' } },
      warnings: [
        'svc/pyproject.toml: stages.wheel is deprecated and ignored here, since stages.wheelBuild is set too: ' +
          'remove stages.wheel',
      ],
    });
  });

  it('applies every rename, one warning each, in the order of the renames', () => {
    const { value, warnings } = applyRenames({ stages: { wheels: 'out', wheel: 'build' } }, RENAMES, 'w');
    expect(value).toEqual({ stages: { wheelBuild: 'build', wheelExport: 'out' } });
    expect(warnings).toEqual([
      'w: stages.wheel is deprecated: write stages.wheelBuild instead',
      'w: stages.wheels is deprecated: write stages.wheelExport instead',
    ]);
  });

  it('moves a key across tables, creating the new parent table', () => {
    expect(applyRenames({ old: { name: 'x' } }, { 'old.name': 'fresh.inner.name' }, 'w')).toEqual({
      value: { old: {}, fresh: { inner: { name: 'x' } } },
      warnings: ['w: old.name is deprecated: write fresh.inner.name instead'],
    });
  });

  it('moves a top-level key', () => {
    expect(applyRenames({ buildFile: 'a.json' }, { buildFile: 'buildArgsFile' }, 'w').value).toEqual({
      buildArgsFile: 'a.json',
    });
  });

  it('leaves the input untouched and returns a copy', () => {
    const input = { stages: { wheel: 'build' } };
    const { value } = applyRenames(input, RENAMES, 'w');
    expect(input).toEqual({ stages: { wheel: 'build' } });
    expect(value).not.toBe(input);
  });

  it('warns about nothing when no old key is set, even a key of the same name elsewhere', () => {
    expect(applyRenames({ stages: { wheelBuild: 'b' }, wheel: 'top' }, RENAMES, 'w')).toEqual({
      value: { stages: { wheelBuild: 'b' }, wheel: 'top' },
      warnings: [],
    });
    expect(applyRenames({}, RENAMES, 'w')).toEqual({ value: {}, warnings: [] });
  });

  it('passes through values that are not tables, for the schema to reject', () => {
    expect(applyRenames('cu124', RENAMES, 'w')).toEqual({ value: 'cu124', warnings: [] });
    expect(applyRenames(null, RENAMES, 'w')).toEqual({ value: null, warnings: [] });
    expect(applyRenames([1], RENAMES, 'w')).toEqual({ value: [1], warnings: [] });
    expect(applyRenames({ stages: 'wheel' }, RENAMES, 'w')).toEqual({ value: { stages: 'wheel' }, warnings: [] });
  });
});
