import { Add, Argument, Copy, Flag, Instruction, JSONInstruction, Run } from 'dockerfile-ast';
import { fileError } from '../core/errors';
import { escapeRegExp } from '../core/regexp';
import type { StageSource } from './dockerfile-model';
import type { SourceText } from './source-text';

/** What one instruction reads. `from` values and `fromRefs` are raw: resolving them to stages is the caller's job. */
export interface InstructionReads {
  sources: StageSource[];
  /** Every `--from` this instruction names (COPY --from, RUN --mount=...,from=). */
  fromRefs: string[];
}

export interface ReadContext {
  file: string;
  source: SourceText;
  escapeChar: string;
}

const NOTHING_READ: InstructionReads = { sources: [], fromRefs: [] };

/** `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`: a heredoc operand, whose content is inline, not a context file. */
const HEREDOC_MARKER = /^<<-?(["']?)[A-Za-z_][A-Za-z0-9_]*\1$/;

/** ADD fetches these itself (URLs, `git@host:repo`); they are not build-context files. */
const REMOTE_SOURCE = /^([a-z][a-z0-9+.-]*:\/\/|[\w.-]+@[\w.-]+:)/i;

export function readInstruction(instruction: Instruction, context: ReadContext): InstructionReads {
  if (instruction instanceof Copy || instruction instanceof Add) return readCopyOrAdd(instruction, context);
  if (instruction instanceof Run) return readRunMounts(instruction);
  return NOTHING_READ;
}

export function lineOf(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

function readCopyOrAdd(instruction: Copy | Add, context: ReadContext): InstructionReads {
  const keyword = instruction instanceof Copy ? 'COPY' : 'ADD';
  const line = lineOf(instruction);
  const { words, heredocCount } = copyOperands(instruction, context);
  if (words.length + heredocCount < 2) {
    throw fileError('dockerfile', context.file, line, `${keyword} needs at least one source and a destination`);
  }
  const from = instruction instanceof Copy ? instruction.getFromFlag()?.getValue() : undefined;
  const sourceWords = words.slice(0, -1);
  const paths = keyword === 'ADD' ? sourceWords.filter((path) => !REMOTE_SOURCE.test(path)) : sourceWords;
  if (from) return { sources: [{ instruction: keyword, paths, from, line }], fromRefs: [from] };
  return { sources: paths.length > 0 ? [{ instruction: keyword, paths, line }] : [], fromRefs: [] };
}

/** Sources then destination, without flags; heredoc markers are counted, not listed. */
function copyOperands(instruction: Copy | Add, context: ReadContext): { words: string[]; heredocCount: number } {
  const args = instruction.getArguments();
  const isMarker = (arg: Argument) => HEREDOC_MARKER.test(arg.getValue());
  const firstMarker = args.find(isMarker);
  if (firstMarker) {
    // Operands end with the line that opens the heredocs; what follows is heredoc content.
    const headerEnd = firstMarker.getRange().start.line;
    const header = args.filter((arg) => arg.getRange().start.line <= headerEnd);
    const words = header.filter((arg) => !isMarker(arg)).map((arg) => unquote(arg.getValue()));
    return { words, heredocCount: header.length - words.length };
  }
  const words = jsonOperands(instruction, context) ?? args.map((arg) => unquote(arg.getValue()));
  return { words, heredocCount: 0 };
}

/**
 * The JSON form `["a b", "c"]`, parsed from the raw text: dockerfile-ast's own JSON strings
 * drop the spaces inside them. Undefined when the operands are not a JSON array of strings,
 * which Docker then reads as the shell form.
 */
function jsonOperands(instruction: JSONInstruction, context: ReadContext): string[] | undefined {
  const args = instruction.getArguments();
  const open = instruction.getOpeningBracket();
  const close = instruction.getClosingBracket();
  if (!open || !close || args.length === 0) return undefined;
  const spansAllOperands =
    samePosition(open.getRange().start, args[0].getRange().start) &&
    samePosition(close.getRange().end, args[args.length - 1].getRange().end);
  if (!spansAllOperands) return undefined;
  const raw = context.source.slice({ start: open.getRange().start, end: close.getRange().end });
  return parseStringArray(removeLineContinuations(raw, context.escapeChar));
}

function parseStringArray(json: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    const isStringArray = Array.isArray(parsed) && parsed.every((item) => typeof item === 'string');
    return isStringArray ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Joins the lines a Dockerfile continues with its escape character. */
export function removeLineContinuations(text: string, escapeChar: string): string {
  return text.replace(new RegExp(`${escapeRegExp(escapeChar)}[ \\t]*(\\r\\n|\\r|\\n)`, 'g'), '');
}

function samePosition(a: { line: number; character: number }, b: { line: number; character: number }): boolean {
  return a.line === b.line && a.character === b.character;
}

/** Docker strips the quotes of a quoted shell-form word: `COPY "a" /x` copies `a`. */
export function unquote(word: string): string {
  const quoted = /^(["'])(.*)\1$/s.exec(word);
  return quoted ? quoted[2] : word;
}

/**
 * `RUN --mount=...`: a bind mount (the default type) reads `source` (default `.`) from the
 * build context, or from the stage/context/image named by `from`. Any mount type may name `from`.
 */
function readRunMounts(run: Run): InstructionReads {
  const line = lineOf(run);
  const mounts = run
    .getFlags()
    .filter((flag) => flag.getName() === 'mount')
    .map(mountOptions);
  const sources = mounts
    .filter((options) => (options.get('type') ?? 'bind') === 'bind')
    .map((options): StageSource => {
      const paths = [options.get('source') ?? options.get('src') ?? '.'];
      const from = options.get('from');
      return from ? { instruction: 'RUN', paths, from, line } : { instruction: 'RUN', paths, line };
    });
  const fromRefs = mounts.map((options) => options.get('from')).filter((from): from is string => Boolean(from));
  return { sources, fromRefs };
}

/** Option names and `type` are case-insensitive for BuildKit; valueless options (`ro`) map to ''. */
function mountOptions(flag: Flag): Map<string, string> {
  return new Map(
    flag.getOptions().map((option) => {
      const name = option.getName().toLowerCase();
      const value = option.getValue() ?? '';
      return [name, name === 'type' ? value.toLowerCase() : value];
    }),
  );
}
