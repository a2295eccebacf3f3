import { describe, expect, it } from 'vitest';
import { isPluginError } from '../core/errors';
import {
  conflictItemName,
  evaluateMarker,
  markerMayHold,
  parseMarker,
  type MarkerContext,
} from './markers';

const CU124 = 'extra-10-ml-service-cu124';
const CU128 = 'extra-10-ml-service-cu128';

function context(extras: string[] = [], groups: string[] = []): MarkerContext {
  return { extras: new Set(extras), groups: new Set(groups) };
}

describe('conflictItemName', () => {
  it('encodes an extra or group the way uv writes it in lock markers', () => {
    expect(conflictItemName('extra', 'ml-service', 'cu124')).toBe(CU124);
    expect(conflictItemName('group', 'ml-service', 'dev')).toBe('group-10-ml-service-dev');
  });

  it('normalizes the package and item names first', () => {
    expect(conflictItemName('extra', 'ML_Service', 'CU.124')).toBe('extra-10-ml-service-cu-124');
  });
});

describe('parseMarker', () => {
  it('binds and tighter than or', () => {
    expect(parseMarker("sys_platform == 'linux' or extra == 'a' and extra == 'b'")).toEqual({
      kind: 'or',
      operands: [
        { kind: 'compare', left: { variable: 'sys_platform' }, operator: '==', right: { literal: 'linux' } },
        {
          kind: 'and',
          operands: [
            { kind: 'compare', left: { variable: 'extra' }, operator: '==', right: { literal: 'a' } },
            { kind: 'compare', left: { variable: 'extra' }, operator: '==', right: { literal: 'b' } },
          ],
        },
      ],
    });
  });

  it('reads every PEP 508 operator, double quotes and reversed operands', () => {
    const marker = parseMarker(
      `python_full_version >= "3.12" and '3.13' > python_version and platform_release ~= '6.1' and 'linux' in sys_platform and 'win' not in sys_platform and implementation_name === 'cpython'`,
    );
    expect(marker.kind).toBe('and');
    expect(marker.kind === 'and' && marker.operands.map((operand) => operand.kind === 'compare' && operand.operator)).toEqual([
      '>=',
      '>',
      '~=',
      'in',
      'not in',
      '===',
    ]);
  });

  it.each([
    ["extra == 'a' and", 'expected a variable or a quoted string'],
    ["(extra == 'a'", 'expected ")"'],
    ["extra = 'a'", 'expected a comparison operator'],
    ["extra == 'a", 'unterminated string'],
    ["extra == 'a' extra == 'b'", 'unexpected'],
  ])('rejects %s', (marker, problem) => {
    let thrown: unknown;
    try {
      parseMarker(marker);
    } catch (error) {
      thrown = error;
    }
    expect(isPluginError(thrown, 'marker')).toBe(true);
    expect(() => parseMarker(marker)).toThrow(problem);
  });

  it('names the marker and the column in syntax errors', () => {
    expect(() => parseMarker("extra == 'a' or or")).toThrow(`invalid marker "extra == 'a' or or" at column 17`);
  });
});

describe('evaluateMarker', () => {
  const cudaOnLinux = `(platform_machine == 'x86_64' and sys_platform == 'linux' and extra == '${CU124}') or (sys_platform != 'linux' and extra == '${CU124}')`;
  const onlyCu128 = `extra != '${CU124}' and extra == '${CU128}'`;

  it('is false when the conflict extra a uv marker needs is inactive', () => {
    expect(evaluateMarker(cudaOnLinux, context([CU128]))).toBe(false);
    expect(evaluateMarker(cudaOnLinux, context())).toBe(false);
  });

  it('leaves platform atoms unknown when the conflict extra is active', () => {
    expect(evaluateMarker(cudaOnLinux, context([CU124]))).toBe('unknown');
  });

  it('decides negated conflict extras', () => {
    expect(evaluateMarker(onlyCu128, context([CU128]))).toBe(true);
    expect(evaluateMarker(onlyCu128, context([CU124]))).toBe(false);
    expect(evaluateMarker(onlyCu128, context([CU124, CU128]))).toBe(false);
  });

  it("decides uv's 'neither or both' markers", () => {
    const neither = `(extra == '${CU124}' and extra == '${CU128}') or (extra != '${CU124}' and extra != '${CU128}')`;
    expect(evaluateMarker(neither, context())).toBe(true);
    expect(evaluateMarker(neither, context([CU124]))).toBe(false);
  });

  it('lets a decided operand settle and / or over unknown ones', () => {
    expect(evaluateMarker("sys_platform == 'win32' or extra == 'gpu'", context(['gpu']))).toBe(true);
    expect(evaluateMarker("sys_platform == 'win32' and extra == 'gpu'", context())).toBe(false);
    expect(evaluateMarker("sys_platform == 'win32' or extra == 'gpu'", context())).toBe('unknown');
  });

  it('treats every non-extra variable as unknown', () => {
    for (const marker of [
      "python_full_version < '3.13'",
      "implementation_name == 'cpython'",
      "'linux' in sys_platform",
      "extra > 'a'",
      "extra == group",
      "'a' == 'a'",
    ]) {
      expect(evaluateMarker(marker, context(['a']))).toBe('unknown');
    }
  });

  it('compares extra values after name normalization and in either order', () => {
    expect(evaluateMarker("extra == 'CU_124'", context(['cu-124']))).toBe(true);
    expect(evaluateMarker(`'${CU124}' == extra`, context([CU124]))).toBe(true);
  });

  it('evaluates group atoms against the active groups', () => {
    expect(evaluateMarker("group == 'dev'", context([], ['dev']))).toBe(true);
    expect(evaluateMarker("group != 'dev'", context([], ['dev']))).toBe(false);
    expect(evaluateMarker("group == 'lint'", context([], ['dev']))).toBe(false);
  });
});

describe('parseMarker nesting', () => {
  it('reads 64 levels of parentheses and refuses deeper ones with a marker error, not a stack overflow', () => {
    const nested = (depth: number) => `${'('.repeat(depth)}extra == 'a'${')'.repeat(depth)}`;
    expect(evaluateMarker(nested(64), context(['a']))).toBe(true);
    const error = (() => {
      try {
        return parseMarker(nested(20_000));
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(isPluginError(error, 'marker') && error.message).toMatch(/at column 65: parentheses nested more than 64 deep$/);
  });
});

describe('markerMayHold', () => {
  it('holds for a missing marker and for unknown ones, not for definitely false ones', () => {
    expect(markerMayHold(undefined, context())).toBe(true);
    expect(markerMayHold("sys_platform == 'win32'", context())).toBe(true);
    expect(markerMayHold(`extra == '${CU124}'`, context([CU128]))).toBe(false);
  });

  it('accepts a parsed expression', () => {
    expect(markerMayHold(parseMarker(`extra == '${CU124}'`), context([CU124]))).toBe(true);
  });
});
