/** A zero-based position, as dockerfile-ast reports them (line breaks: \r\n, \r or \n). */
export interface TextPosition {
  line: number;
  character: number;
}

export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

const LINE_BREAK = /\r\n|\r|\n/g;

/** The Dockerfile text, addressable by the positions dockerfile-ast reports. */
export class SourceText {
  private readonly lines: string[];
  private readonly lineStarts: number[];

  constructor(private readonly text: string) {
    this.lines = text.split(LINE_BREAK);
    this.lineStarts = [0, ...[...text.matchAll(LINE_BREAK)].map((match) => match.index + match[0].length)];
  }

  slice(range: TextRange): string {
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }

  /**
   * Lines `first`..`last` (1-based, inclusive) joined with '\n': line endings are
   * normalized so that a CRLF checkout hashes like an LF one.
   */
  lineSpan(first: number, last: number): string {
    return this.lines.slice(first - 1, last).join('\n');
  }

  private offsetAt(position: TextPosition): number {
    return this.lineStarts[position.line] + position.character;
  }
}
