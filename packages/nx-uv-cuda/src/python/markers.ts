import { PluginError } from '../core/errors';
import { normalizeName } from './names';

/**
 * A PEP 508 environment marker evaluator, just enough to slice a uv.lock: it decides the
 * `extra` and `group` atoms (including uv's encoded conflict names) and leaves every
 * atom about the platform or the interpreter unknown.
 */

export type MarkerOperand = { readonly variable: string } | { readonly literal: string };

export type MarkerExpression =
  | { readonly kind: 'and' | 'or'; readonly operands: readonly MarkerExpression[] }
  | {
      readonly kind: 'compare';
      readonly left: MarkerOperand;
      readonly operator: string;
      readonly right: MarkerOperand;
    };

/** Three-valued: `'unknown'` when the answer depends on the platform or the interpreter. */
export type MarkerTruth = boolean | 'unknown';

export interface MarkerContext {
  /**
   * Active extras: plain names (`cu124`) and uv's encoded conflict names
   * (`extra-10-ml-service-cu124`, and `group-10-ml-service-dev` for groups).
   */
  readonly extras: ReadonlySet<string>;
  /** Active dependency groups, for markers written `group == 'dev'`. */
  readonly groups: ReadonlySet<string>;
}

/** uv's name for a conflicting extra or group in markers: `extra-<len(package)>-<package>-<extra>`. */
export function conflictItemName(kind: 'extra' | 'group', packageName: string, item: string): string {
  const normalizedPackage = normalizeName(packageName);
  return `${kind}-${normalizedPackage.length}-${normalizedPackage}-${normalizeName(item)}`;
}

export function parseMarker(text: string): MarkerExpression {
  const parser = new MarkerParser(text);
  const expression = parser.parseOr();
  parser.expectEnd();
  return expression;
}

export function evaluateMarker(marker: MarkerExpression | string, context: MarkerContext): MarkerTruth {
  const expression = typeof marker === 'string' ? parseMarker(marker) : marker;
  switch (expression.kind) {
    case 'and':
      return combine(expression.operands, context, false);
    case 'or':
      return combine(expression.operands, context, true);
    case 'compare':
      return evaluateComparison(expression.left, expression.operator, expression.right, context);
  }
}

/** Whether an edge guarded by this marker may be installed: true unless the marker is definitely false. */
export function markerMayHold(marker: MarkerExpression | string | undefined, context: MarkerContext): boolean {
  return marker === undefined || evaluateMarker(marker, context) !== false;
}

/** `and` is decided by the first false operand, `or` by the first true one. */
function combine(operands: readonly MarkerExpression[], context: MarkerContext, decisive: boolean): MarkerTruth {
  let result: MarkerTruth = !decisive;
  for (const operand of operands) {
    const value = evaluateMarker(operand, context);
    if (value === decisive) return decisive;
    if (value === 'unknown') result = 'unknown';
  }
  return result;
}

function evaluateComparison(
  left: MarkerOperand,
  operator: string,
  right: MarkerOperand,
  context: MarkerContext,
): MarkerTruth {
  if (operator !== '==' && operator !== '!=') return 'unknown';
  const [variable, literal] = 'variable' in left ? [left, right] : [right, left];
  if (!('variable' in variable) || !('literal' in literal)) return 'unknown';
  const active = activeSetOf(variable.variable, context);
  if (active === undefined) return 'unknown';
  const isActive = active.has(normalizeName(literal.literal));
  return operator === '==' ? isActive : !isActive;
}

function activeSetOf(variable: string, context: MarkerContext): ReadonlySet<string> | undefined {
  if (variable === 'extra') return context.extras;
  if (variable === 'group') return context.groups;
  return undefined;
}

const COMPARISON_OPERATORS = ['===', '==', '!=', '<=', '>=', '~=', '<', '>'];
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_.]*/y;
const WHITESPACE = /\s*/y;
/** Parentheses nest by recursion: refuse what no lock writes before it overflows the call stack. */
const MAX_NESTING = 64;

/**
 * Recursive descent over
 * or := and ('or' and)*; and := atom ('and' atom)*; atom := '(' or ')' | operand operator operand.
 */
class MarkerParser {
  private position = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parseOr(): MarkerExpression {
    return this.parseChain('or', () => this.parseAnd());
  }

  expectEnd(): void {
    this.skipWhitespace();
    if (this.position < this.text.length) this.fail(`unexpected "${this.text.slice(this.position)}"`);
  }

  private parseAnd(): MarkerExpression {
    return this.parseChain('and', () => this.parseAtom());
  }

  private parseChain(keyword: 'and' | 'or', parseOperand: () => MarkerExpression): MarkerExpression {
    const operands = [parseOperand()];
    while (this.acceptKeyword(keyword)) operands.push(parseOperand());
    return operands.length === 1 ? operands[0] : { kind: keyword, operands };
  }

  private parseAtom(): MarkerExpression {
    this.skipWhitespace();
    if (this.text[this.position] === '(') {
      if (++this.depth > MAX_NESTING) this.fail(`parentheses nested more than ${MAX_NESTING} deep`);
      this.position++;
      const inner = this.parseOr();
      this.depth--;
      this.skipWhitespace();
      if (this.text[this.position] !== ')') this.fail('expected ")"');
      this.position++;
      return inner;
    }
    const left = this.parseOperand();
    const operator = this.parseOperator();
    const right = this.parseOperand();
    return { kind: 'compare', left, operator, right };
  }

  private parseOperand(): MarkerOperand {
    this.skipWhitespace();
    const quote = this.text[this.position];
    if (quote === "'" || quote === '"') {
      const end = this.text.indexOf(quote, this.position + 1);
      if (end < 0) this.fail('unterminated string');
      const literal = this.text.slice(this.position + 1, end);
      this.position = end + 1;
      return { literal };
    }
    const start = this.position;
    const variable = this.match(IDENTIFIER);
    if (variable === undefined || variable === 'and' || variable === 'or') {
      this.position = start;
      this.fail('expected a variable or a quoted string');
    }
    return { variable };
  }

  private parseOperator(): string {
    this.skipWhitespace();
    const symbol = COMPARISON_OPERATORS.find((operator) => this.text.startsWith(operator, this.position));
    if (symbol !== undefined) {
      this.position += symbol.length;
      return symbol;
    }
    if (this.acceptKeyword('in')) return 'in';
    if (this.acceptKeyword('not') && this.acceptKeyword('in')) return 'not in';
    return this.fail('expected a comparison operator');
  }

  private acceptKeyword(keyword: string): boolean {
    this.skipWhitespace();
    const start = this.position;
    if (this.match(IDENTIFIER) === keyword) return true;
    this.position = start;
    return false;
  }

  private match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.position;
    const found = pattern.exec(this.text);
    if (found === null) return undefined;
    this.position = pattern.lastIndex;
    return found[0];
  }

  private skipWhitespace(): void {
    this.match(WHITESPACE);
  }

  private fail(problem: string): never {
    throw new PluginError('marker', `invalid marker "${this.text}" at column ${this.position + 1}: ${problem}`);
  }
}
