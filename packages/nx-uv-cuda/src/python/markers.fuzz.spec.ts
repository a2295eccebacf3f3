import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueOrPluginError } from '../__fixtures__/fuzz';
import { evaluateMarker, markerMayHold, parseMarker, type MarkerContext, type MarkerTruth } from './markers';

const NUM_RUNS = 300;

const expectValueOrMarkerError = (run: () => unknown) => valueOrPluginError('marker', undefined, run);

const ITEMS = ['cu124', 'CU_124', 'cpu', 'dev', 'lint', 'extra-10-ml-service-cu124', 'group-10-ml-service-dev'];
const item = fc.constantFrom(...ITEMS);
const quoted = (text: string) => fc.constantFrom(`'${text}'`, `"${text}"`);

/** A marker as tokens, so that the same marker can be written with other spacing. */
const decidedAtom = fc
  .tuple(fc.constantFrom('extra', 'group'), fc.constantFrom('==', '!='), item.chain(quoted), fc.boolean())
  .map(([variable, operator, literal, reversed]) => (reversed ? [literal, operator, variable] : [variable, operator, literal]));
const platformAtom = fc
  .tuple(
    fc.constantFrom('sys_platform', 'python_version', 'platform_machine', 'implementation_name', 'extra', 'group'),
    fc.constantFrom('==', '!=', '<', '>=', '~=', '===', 'in', 'not in'),
    fc.constantFrom('linux', '3.10', 'x86_64', 'win32', 'cu124').chain(quoted),
  )
  .map(([variable, operator, literal]) => [variable, ...operator.split(' '), literal]);

const { marker: markerTokens } = fc.letrec<{ marker: string[] }>((tie) => ({
  marker: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    decidedAtom,
    platformAtom,
    fc
      .tuple(tie('marker'), fc.constantFrom('and', 'or'), tie('marker'))
      .map(([left, keyword, right]) => ['(', ...left, ')', keyword, '(', ...right, ')']),
  ),
}));
const marker = markerTokens.map((tokens) => tokens.join(' '));

const context: fc.Arbitrary<MarkerContext> = fc
  .tuple(fc.subarray(ITEMS), fc.subarray(ITEMS))
  .map(([extras, groups]) => ({
    extras: new Set(extras.map((name) => name.toLowerCase().replace(/_/g, '-'))),
    groups: new Set(groups.map((name) => name.toLowerCase().replace(/_/g, '-'))),
  }));

/** Kleene's three-valued `and` and `or`. */
function and3(a: MarkerTruth, b: MarkerTruth): MarkerTruth {
  if (a === false || b === false) return false;
  return a === true && b === true ? true : 'unknown';
}
function or3(a: MarkerTruth, b: MarkerTruth): MarkerTruth {
  if (a === true || b === true) return true;
  return a === false && b === false ? false : 'unknown';
}

/** A valid marker broken in the ways hand edits and bad tools break them. */
const brokenMarker = fc
  .tuple(marker, fc.nat(), fc.constantFrom('', "'", '"', '(', ')', 'and', 'or', 'not', '==', '\0', '\uFFFD', ' in', 'extra'))
  .map(([text, at, insert]) => {
    const position = at % (text.length + 1);
    return text.slice(0, position) + insert + text.slice(position + (at % 3));
  });

const deeplyNested = fc
  .tuple(fc.nat({ max: 20000 }), marker)
  .map(([depth, inner]) => `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`);

describe('marker fuzzing', () => {
  it('parses and evaluates any text, or throws a marker PluginError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), brokenMarker, marker, deeplyNested), context, (text, activeSet) => {
        expectValueOrMarkerError(() => evaluateMarker(text, activeSet));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives the same answer twice, for the text and for its parsed form', () => {
    fc.assert(
      fc.property(marker, context, (text, activeSet) => {
        const answer = evaluateMarker(text, activeSet);
        expect(evaluateMarker(text, activeSet)).toBe(answer);
        expect(evaluateMarker(parseMarker(text), activeSet)).toBe(answer);
        expect(markerMayHold(text, activeSet)).toBe(answer !== false);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('combines operands with three-valued and / or', () => {
    fc.assert(
      fc.property(marker, marker, context, (a, b, activeSet) => {
        const [left, right] = [evaluateMarker(a, activeSet), evaluateMarker(b, activeSet)];
        expect(evaluateMarker(`(${a}) and (${b})`, activeSet)).toBe(and3(left, right));
        expect(evaluateMarker(`(${a}) or (${b})`, activeSet)).toBe(or3(left, right));
        expect(evaluateMarker(`(${a})`, activeSet)).toBe(left);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reads `!=` as the negation of `==` on extras and groups', () => {
    fc.assert(
      fc.property(fc.constantFrom('extra', 'group'), item, context, (variable, name, activeSet) => {
        const equal = evaluateMarker(`${variable} == '${name}'`, activeSet);
        expect(typeof equal).toBe('boolean');
        expect(evaluateMarker(`${variable} != '${name}'`, activeSet)).toBe(!equal);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('compares names normalized: case and separators do not matter', () => {
    const separator = fc.constantFrom('-', '_', '.', '--', '_.');
    fc.assert(
      fc.property(item, separator, fc.boolean(), context, (name, sep, upper, activeSet) => {
        const variant = name.replace(/[-_.]/g, sep);
        expect(evaluateMarker(`extra == '${upper ? variant.toUpperCase() : variant}'`, activeSet)).toBe(
          evaluateMarker(`extra == '${name}'`, activeSet),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('does not depend on the spacing between tokens', () => {
    const space = fc.stringMatching(/^[ \t\n]{1,3}$/);
    fc.assert(
      fc.property(markerTokens, fc.array(space, { minLength: 64, maxLength: 64 }), (tokens, spaces) => {
        const respaced = tokens.map((token, index) => token + spaces[index % spaces.length]).join('');
        expect(parseMarker(respaced)).toEqual(parseMarker(tokens.join(' ')));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
