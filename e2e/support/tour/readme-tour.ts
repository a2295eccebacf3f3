/**
 * The README tour as commands: the lines of the ```sh blocks between `<!-- tour:start -->` and `<!-- tour:end -->`,
 * each split into argv arrays (one per `&&` link), never a shell string. Only plain words and quoting are accepted:
 * any other shell syntax (pipes, redirections, `;`, `||`, `$`, globs, `~`, a trailing `\`) is refused with its line,
 * so that the tour stays something a test can run exactly as a reader types it.
 */

export const TOUR_START = '<!-- tour:start -->';
export const TOUR_END = '<!-- tour:end -->';

export interface TourCommand {
  /** The words of the command, as the shell would pass them. */
  argv: string[];
  /** 1-based line in README.md. */
  line: number;
  /** The line's `#` comment, with the comment-only lines that continue it, whitespace-joined ('' when none). */
  comment: string;
  /** Which link of the line's `&&` chain (0 for the first). */
  link: number;
  /** The line's text as README has it, comment included. */
  text: string;
}

/** The text between the tour markers and the line the section starts on; each marker must be there exactly once, start first. */
export function tourSection(readme: string): { text: string; firstLine: number } {
  const count = (marker: string) => readme.split(marker).length - 1;
  if (count(TOUR_START) !== 1 || count(TOUR_END) !== 1) {
    throw new Error(`README.md must hold ${TOUR_START} and ${TOUR_END} once each (found ${count(TOUR_START)} and ${count(TOUR_END)})`);
  }
  const start = readme.indexOf(TOUR_START) + TOUR_START.length;
  const end = readme.indexOf(TOUR_END);
  if (end < start) throw new Error(`README.md: ${TOUR_END} comes before ${TOUR_START}`);
  return { text: readme.slice(start, end), firstLine: readme.slice(0, start).split('\n').length };
}

/** Every command of the tour's ```sh blocks, in README order. */
export function tourCommands(readme: string): TourCommand[] {
  const { text, firstLine } = tourSection(readme);
  const lines = text.split('\n');
  const commands: TourCommand[] = [];
  let inSh = false;
  let inOther = false;
  let last: TourCommand[] = [];
  lines.forEach((raw, index) => {
    const line = firstLine + index;
    const fence = /^\s*```(\S*)\s*$/.exec(raw);
    if (fence) {
      if (inSh || inOther) {
        inSh = inOther = false;
      } else if (fence[1] === 'sh') {
        inSh = true;
      } else {
        inOther = true;
      }
      last = [];
      return;
    }
    if (!inSh) return;
    const parsed = splitCommandLine(raw, line);
    if (parsed.commands.length === 0) {
      // A comment-only line goes on with the comment of the command above it; a blank line ends that.
      if (parsed.comment && last.length > 0) for (const command of last) command.comment = `${command.comment} ${parsed.comment}`.trim();
      else last = [];
      return;
    }
    last = parsed.commands.map((argv, link) => ({ argv, line, comment: parsed.comment, link, text: raw.trim() }));
    commands.push(...last);
  });
  if (inSh) throw new Error('README.md: the tour ends inside a ```sh block');
  return commands;
}

const REFUSED = new Set(['|', ';', '<', '>', '(', ')', '$', '`', '&', '\\', '*', '?', '[', ']', '{', '}']);

/**
 * One shell line as argv arrays: words split on blanks, `'...'` and `"..."` quoting, `#` at the start of a word
 * begins the comment, `&&` separates commands. Throws on anything else a shell would interpret.
 */
export function splitCommandLine(text: string, line = 0): { commands: string[][]; comment: string } {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  let comment = '';
  const refuse = (what: string): never => {
    throw new Error(`README.md:${line}: ${what} in \`${text.trim()}\`: the tour test runs plain argv only (no shell)`);
  };
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length === 0) refuse('an empty command around `&&`');
    commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t') {
      endWord();
    } else if (ch === '#' && word === undefined) {
      comment = text.slice(i + 1).trim();
      break;
    } else if (ch === '&' && text[i + 1] === '&' && word === undefined) {
      endCommand();
      i += 1;
    } else if (ch === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) refuse('an unclosed single quote');
      word = (word ?? '') + text.slice(i + 1, close);
      i = close;
    } else if (ch === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j += 1) {
        if (text[j] === '$' || text[j] === '`') refuse(`\`${text[j]}\` inside double quotes`);
        if (text[j] === '\\' && '"\\'.includes(text[j + 1] ?? '')) j += 1;
        value += text[j];
      }
      if (j >= text.length) refuse('an unclosed double quote');
      word = (word ?? '') + value;
      i = j;
    } else if (REFUSED.has(ch) || (ch === '~' && word === undefined)) {
      refuse(`\`${ch}\``);
    } else {
      word = (word ?? '') + ch;
    }
  }
  endWord();
  if (words.length > 0) commands.push(words);
  else if (commands.length > 0) refuse('a trailing `&&`');
  return { commands, comment };
}
