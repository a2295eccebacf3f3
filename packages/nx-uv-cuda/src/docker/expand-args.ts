type Lookup = (name: string) => string | undefined;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const MODIFIERS = [':-', ':+', '-', '+'] as const;
type Modifier = (typeof MODIFIERS)[number];
/** `${A:-${B:-...}}` nests by recursion: refuse what no Dockerfile writes before it overflows the call stack. */
const MAX_NESTING = 64;

/**
 * Docker-style variable expansion as applied to FROM lines: `$VAR`, `${VAR}`,
 * `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}` (words nest).
 * Unset variables expand to ''. `<escape>$` is a literal `$`; quotes are left as they are.
 * Throws an Error on a malformed or unsupported `${...}`.
 */
export function expandArgs(text: string, values: Readonly<Record<string, string>>, escapeChar = '\\'): string {
  const lookup: Lookup = (name) => (Object.hasOwn(values, name) ? values[name] : undefined);
  return new Expander(text, lookup, escapeChar).expand();
}

/** The variable names that `text` refers to, in order of appearance. */
export function argNamesIn(text: string, escapeChar = '\\'): string[] {
  const names = new Set<string>();
  new Expander(text, (name) => void names.add(name), escapeChar).expand();
  return [...names];
}

class Expander {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly lookup: Lookup,
    private readonly escapeChar: string,
  ) {}

  expand(): string {
    return this.expandWord(false);
  }

  /** Expands up to the end of the text, or up to the `}` closing the enclosing `${...}`. */
  private expandWord(insideBraces: boolean): string {
    let out = '';
    while (this.pos < this.text.length) {
      const char = this.text[this.pos];
      if (insideBraces && char === '}') return out;
      if (char === this.escapeChar && this.text[this.pos + 1] === '$') {
        out += '$';
        this.pos += 2;
      } else if (char === '$') {
        this.pos++;
        out += this.text[this.pos] === '{' ? this.expandBraced() : this.expandBare();
      } else {
        out += char;
        this.pos++;
      }
    }
    if (insideBraces) throw this.error("missing '}'");
    return out;
  }

  private expandBare(): string {
    const name = this.readName();
    return name === '' ? '$' : (this.lookup(name) ?? '');
  }

  private expandBraced(): string {
    this.pos++; // '{'
    const name = this.readName();
    if (name === '') throw this.error('bad substitution');
    const modifier = this.readModifier();
    if (++this.depth > MAX_NESTING) throw this.error(`substitutions nested more than ${MAX_NESTING} deep`);
    // The word is expanded even when unused, so that argNamesIn sees every name.
    const word = modifier === undefined ? '' : this.expandWord(true);
    this.depth--;
    if (this.pos >= this.text.length) throw this.error("missing '}'");
    if (this.text[this.pos] !== '}') throw this.error(`unsupported substitution after "\${${name}"`);
    this.pos++;
    return applyModifier(this.lookup(name), modifier, word);
  }

  private readName(): string {
    const start = this.pos;
    if (!NAME_START.test(this.text[this.pos] ?? '')) return '';
    while (NAME_CHAR.test(this.text[this.pos] ?? '')) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private readModifier(): Modifier | undefined {
    const modifier = MODIFIERS.find((candidate) => this.text.startsWith(candidate, this.pos));
    if (modifier) this.pos += modifier.length;
    return modifier;
  }

  private error(what: string): Error {
    return new Error(`${what} in "${this.text}"`);
  }
}

function applyModifier(value: string | undefined, modifier: Modifier | undefined, word: string): string {
  switch (modifier) {
    case undefined:
      return value ?? '';
    case ':-':
      return value ? value : word;
    case '-':
      return value ?? word;
    case ':+':
      return value ? word : '';
    case '+':
      return value === undefined ? '' : word;
  }
}
