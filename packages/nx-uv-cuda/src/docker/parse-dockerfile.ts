import { Arg, DockerfileParser, From, Instruction, Keyword, Onbuild, Run } from 'dockerfile-ast';
import { fileError } from '../core/errors';
import { expandArgs } from './expand-args';
import { lineOf, readInstruction, removeLineContinuations, unquote, type InstructionReads } from './instruction-sources';
import { SourceText } from './source-text';
import { globalArgValues } from './stage-graph';

import type { ArgDeclaration, DockerfileModel, RunCommand, Stage, StageSource } from './dockerfile-model';
/** Docker's rule for `AS` names (checked after lowercasing). */
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
const KNOWN_KEYWORDS = new Set<string>(Object.values(Keyword));
const HEREDOC_KEYWORDS = new Set<string>([Keyword.RUN, Keyword.COPY, Keyword.ADD]);
const LINE_BREAK = /\r\n|\r|\n/;

interface StageHeader {
  index: number;
  name?: string;
  baseImage: string;
  platform?: string;
  line: number;
}

/** A stage, named context or image that a stage reads; `stage` is set when it is a stage. */
interface Reference {
  ref: string;
  stage?: number;
  line: number;
}

/** A reference from one stage to another, kept with its line to report cycles. */
interface StageDependency {
  stage: number;
  line: number;
}

interface BuiltStage {
  stage: Stage;
  dependencies: StageDependency[];
}

interface ParseContext {
  file: string;
  source: SourceText;
  escapeChar: string;
  headers: StageHeader[];
  globalDefaults: Record<string, string>;
}

/** Parses a Dockerfile into its global ARGs and stages; throws a `dockerfile` PluginError on what Docker would reject. */
export function parseDockerfile(text: string, file: string): DockerfileModel {
  const dockerfile = DockerfileParser.parse(text);
  const escapeChar = dockerfile.getEscapeCharacter();
  const instructions = dockerfile.getInstructions();
  instructions.forEach((instruction) => assertKnownKeyword(instruction, file));
  const source = new SourceText(text);
  instructions.forEach((instruction) => assertHeredocsClosed(instruction, source, file));

  const firstFrom = instructions.findIndex((instruction) => instruction instanceof From);
  if (firstFrom === -1) {
    throw fileError('dockerfile', file, 1, 'no FROM instruction: a Dockerfile needs at least one build stage');
  }
  const preamble = instructions.slice(0, firstFrom);
  const globalArgs = preamble.flatMap((instruction) => globalArgDeclarations(instruction, file));
  const groups = groupByStage(instructions.slice(firstFrom));
  const headers = groups.map((group, index) => readStageHeader(group[0] as From, index, file));
  assertUniqueStageNames(headers, file);

  const context: ParseContext = {
    file,
    source,
    escapeChar,
    headers,
    globalDefaults: globalArgDefaults(globalArgs, escapeChar, file),
  };
  const built = groups.map((group, index) => buildStage(group, headers[index], context));
  assertNoCycles(built, file);

  const syntax = dockerfile.getDirectives().find((directive) => directive.getName().toLowerCase() === 'syntax');
  return {
    file,
    escapeChar,
    ...(syntax && { syntax: syntax.getValue() }),
    globalArgs,
    stages: built.map(({ stage }) => stage),
  };
}

function assertKnownKeyword(instruction: Instruction, file: string): void {
  if (!KNOWN_KEYWORDS.has(instruction.getKeyword())) {
    throw fileError('dockerfile', file, lineOf(instruction), `unknown instruction "${instruction.getInstruction()}"`);
  }
}

/**
 * dockerfile-ast reads a heredoc whose terminator line never comes up to the end of the file, taking every
 * instruction after it for heredoc content; Docker refuses the file. The heredocs are those the operands of the
 * opening line name; their terminators are looked for in order, in the lines after it.
 */
function assertHeredocsClosed(instruction: Instruction, source: SourceText, file: string): void {
  const opener = instruction instanceof Onbuild ? instruction.getTriggerInstruction() : instruction;
  if (!opener || !HEREDOC_KEYWORDS.has(opener.getKeyword())) return;
  const markers = opener.getArguments().flatMap((argument) => {
    const heredoc = heredocOpenedBy(argument.getValue());
    return heredoc ? [{ ...heredoc, line: argument.getRange().start.line }] : [];
  });
  if (markers.length === 0) return;
  const range = instruction.getRange();
  const openingLine = markers[0].line;
  const body = source.slice(range).split(LINE_BREAK).slice(openingLine - range.start.line + 1);
  let searchFrom = 0;
  for (const { name, chomp, operand } of markers.filter((marker) => marker.line === openingLine)) {
    const where = `${opener.getKeyword()} ${operand}`;
    if (name === '') {
      throw fileError('dockerfile', file, lineOf(instruction), `${where}: a heredoc needs a name, as in <<EOF`);
    }
    const end = body.findIndex((line, index) => index >= searchFrom && (chomp ? line.replace(/^\t+/, '') : line) === name);
    if (end === -1) {
      const reason = `${where}: the heredoc terminator is missing: end the heredoc with a line holding only ${name}`;
      throw fileError('dockerfile', file, lineOf(instruction), reason);
    }
    searchFrom = end + 1;
  }
}

/** The heredoc an operand opens, read as dockerfile-ast does: `<<EOF`, `<<-EOF` (tabs stripped), `<<"EOF"`, `<<'EOF'`. */
function heredocOpenedBy(operand: string): { name: string; chomp: boolean; operand: string } | undefined {
  if (!operand.startsWith('<<') || operand.length === 2) return undefined;
  const chomp = operand[2] === '-';
  const word = operand.slice(chomp ? 3 : 2);
  const quoted = /^(["'])(.*)\1$/s.exec(word);
  // An unbalanced quote or a third `<` (a here-string) opens no heredoc.
  if ((/^["']/.test(word) && !quoted) || word.startsWith('<')) return undefined;
  return { name: quoted ? quoted[2] : word, chomp, operand };
}

function globalArgDeclarations(instruction: Instruction, file: string): ArgDeclaration[] {
  if (!(instruction instanceof Arg)) {
    const keyword = instruction.getKeyword();
    const reason = `${keyword} before the first FROM: only ARG may come before FROM`;
    throw fileError('dockerfile', file, lineOf(instruction), reason);
  }
  return argDeclarations(instruction, file);
}

/** `ARG A=1 B` declares A (default 1) and B (no default). */
function argDeclarations(arg: Arg, file: string): ArgDeclaration[] {
  const properties = arg.getProperties();
  if (properties.length === 0) throw fileError('dockerfile', file, lineOf(arg), 'ARG needs a name');
  // dockerfile-ast reads `ARG A B=1` like ENV's legacy `name value` form; Docker reads two declarations.
  const readAsNameValue = properties[0].getAssignmentOperator() === null && properties[0].getValue() !== null;
  const line = lineOf(arg);
  if (readAsNameValue) return arg.getArguments().map((word) => declarationOf(word.getValue(), line));
  return properties.map((property) => {
    const value = property.getValue();
    return value === null ? { name: property.getName(), line } : { name: property.getName(), defaultValue: value, line };
  });
}

/** `NAME` or `NAME=value`, the value unquoted. */
function declarationOf(word: string, line: number): ArgDeclaration {
  const equals = word.indexOf('=');
  if (equals === -1) return { name: word, line };
  return { name: word.slice(0, equals), defaultValue: unquote(word.slice(equals + 1)), line };
}

function globalArgDefaults(globalArgs: ArgDeclaration[], escapeChar: string, file: string): Record<string, string> {
  try {
    return globalArgValues({ globalArgs, escapeChar }, {});
  } catch (error) {
    throw fileError('dockerfile', file, undefined, `cannot expand the global ARG defaults: ${(error as Error).message}`);
  }
}

/** Splits the instructions from the first FROM on into one group per stage, each starting with its FROM. */
function groupByStage(instructions: Instruction[]): Instruction[][] {
  const groups: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction instanceof From) groups.push([instruction]);
    else groups[groups.length - 1].push(instruction);
  }
  return groups;
}

/** `FROM [--platform=<p>] <image> [AS <name>]` */
function readStageHeader(from: From, index: number, file: string): StageHeader {
  const line = lineOf(from);
  const operands = from.getArguments().map((argument) => argument.getValue());
  if (operands.length === 0) throw fileError('dockerfile', file, line, 'FROM needs a base image');
  const hasAlias = operands.length === 3 && operands[1].toLowerCase() === 'as';
  if (operands.length !== 1 && !hasAlias) {
    throw fileError('dockerfile', file, line, `FROM expects "<image> [AS <name>]", got "${operands.join(' ')}"`);
  }
  const name = hasAlias ? operands[2].toLowerCase() : undefined;
  if (name !== undefined && !STAGE_NAME.test(name)) {
    throw fileError('dockerfile', file, line, `invalid stage name "${operands[2]}": it must match ${STAGE_NAME.source}`);
  }
  const platform = from.getPlatformFlag()?.getValue();
  return { index, ...(name && { name }), baseImage: operands[0], ...(platform && { platform }), line };
}

function assertUniqueStageNames(headers: StageHeader[], file: string): void {
  const firstLineByName = new Map<string, number>();
  for (const { name, line } of headers) {
    if (name === undefined) continue;
    const firstLine = firstLineByName.get(name);
    if (firstLine !== undefined) {
      throw fileError('dockerfile', file, line, `duplicate stage name "${name}" (first defined on line ${firstLine})`);
    }
    firstLineByName.set(name, line);
  }
}

function buildStage(group: Instruction[], header: StageHeader, context: ParseContext): BuiltStage {
  const body = group.slice(1);
  const reads = body.map((instruction) => ({ line: lineOf(instruction), ...readInstruction(instruction, context) }));
  const references = stageReferences(header, reads, context);
  const baseStage = resolveBaseStage(header, context);
  // Only checked: the model keeps the platform as written, and stage-graph expands it with the build args.
  if (header.platform !== undefined) expandFromOperand(header.platform, 'the FROM --platform value', header, context);
  const { line: startLine, ...identity } = header;
  const endLine = group[group.length - 1].getRange().end.line + 1;
  const stage: Stage = {
    ...identity,
    args: body.flatMap((instruction) => (instruction instanceof Arg ? argDeclarations(instruction, context.file) : [])),
    sources: reads.flatMap(({ sources }) => sources.map((source) => withResolvedFrom(source, context))),
    runs: body.flatMap((instruction) => (instruction instanceof Run ? [runCommand(instruction, context)] : [])),
    stageRefs: [...new Set(references.map(({ ref }) => ref))],
    ...(baseStage ? { baseRef: refName(baseStage) } : {}),
    fromRefs: [...new Set(references.slice(baseStage ? 1 : 0).map(({ ref }) => ref))],
    startLine,
    endLine,
    text: context.source.lineSpan(startLine, endLine),
  };
  const dependencies = references.flatMap(({ stage, line }) => (stage === undefined ? [] : [{ stage, line }]));
  return { stage, dependencies };
}

/** What a stage reads, in order: the stage it is built FROM, then each `--from`. */
function stageReferences(
  header: StageHeader,
  reads: (InstructionReads & { line: number })[],
  context: ParseContext,
): Reference[] {
  const baseStage = resolveBaseStage(header, context);
  const base = baseStage ? [{ ref: refName(baseStage), stage: baseStage.index, line: header.line }] : [];
  const fromFlags = reads.flatMap(({ line, fromRefs }) => fromRefs.map((raw) => resolveFromFlag(raw, line, context)));
  return [...base, ...fromFlags];
}

function withResolvedFrom(source: StageSource, context: ParseContext): StageSource {
  if (source.from === undefined) return source;
  return { ...source, from: resolveFromFlag(source.from, source.line, context).ref };
}

/**
 * `FROM <name>` builds on an earlier stage of that name, after expanding global ARGs
 * (with their defaults: a build arg can still point FROM elsewhere, see baseImagesOf).
 */
function resolveBaseStage(header: StageHeader, context: ParseContext): StageHeader | undefined {
  const expanded = expandFromOperand(header.baseImage, 'the FROM image', header, context).toLowerCase();
  const earlier = context.headers.slice(0, header.index).find((stage) => stage.name === expanded);
  if (earlier) return earlier;
  // BuildKit reads a name that only a later stage has as an image, and tries to pull docker.io/library/<name>.
  const later = context.headers.slice(header.index + 1).find((stage) => stage.name === expanded);
  if (later) {
    const reason =
      `FROM ${header.baseImage}: stage "${later.name}" is defined further down (line ${later.line}); a stage can only ` +
      `build FROM an earlier one (BuildKit would pull an image named ${later.name}): move it above`;
    throw fileError('dockerfile', context.file, header.line, reason);
  }
  return undefined;
}

/** A FROM operand with the global ARG defaults; Docker refuses the build when it cannot expand one. */
function expandFromOperand(operand: string, what: string, header: StageHeader, context: ParseContext): string {
  try {
    return expandArgs(operand, context.globalDefaults, context.escapeChar);
  } catch (error) {
    throw fileError('dockerfile', context.file, header.line, `cannot expand ${what}: ${(error as Error).message}`);
  }
}

/**
 * `--from` names a stage by index (any stage, as in BuildKit) or by name (case-insensitively,
 * earlier or later), or else a named build context or an image.
 */
function resolveFromFlag(raw: string, line: number, context: ParseContext): Reference {
  if (/^\d+$/.test(raw)) {
    const stage = context.headers[Number(raw)];
    if (!stage) {
      const reason = `--from=${raw}: there is no stage ${raw} (stages are numbered 0 to ${context.headers.length - 1})`;
      throw fileError('dockerfile', context.file, line, reason);
    }
    return { ref: refName(stage), stage: stage.index, line };
  }
  const stage = context.headers.find((header) => header.name === raw.toLowerCase());
  return stage ? { ref: refName(stage), stage: stage.index, line } : { ref: raw, line };
}

function refName(stage: { name?: string; index: number }): string {
  return stage.name ?? String(stage.index);
}

/**
 * Docker refuses stages that read each other in a loop; report the reference that closes it. The depth-first
 * search keeps its own stack: a chain of thousands of stages must not overflow the call stack.
 */
function assertNoCycles(built: BuiltStage[], file: string): void {
  const done = new Set<number>();
  built.forEach((_, root) => {
    if (done.has(root)) return;
    const path = [{ stage: root, next: 0 }];
    while (path.length > 0) {
      const top = path[path.length - 1];
      const dependency = built[top.stage].dependencies[top.next++];
      if (dependency === undefined) {
        done.add(top.stage);
        path.pop();
        continue;
      }
      if (done.has(dependency.stage)) continue;
      const loopStart = path.findIndex(({ stage }) => stage === dependency.stage);
      if (loopStart !== -1) {
        const loop = [...path.slice(loopStart).map(({ stage }) => stage), dependency.stage].map((stage) => refName(built[stage].stage));
        throw fileError('dockerfile', file, dependency.line, `circular dependency between stages: ${loop.join(' -> ')}`);
      }
      path.push({ stage: dependency.stage, next: 0 });
    }
  });
}

/**
 * The command text of a RUN, from the source: from the end of its flags to the end of the instruction, line
 * continuations joined. Read from the text rather than from dockerfile-ast's arguments, which cost more to build.
 */
function runCommand(run: Run, context: ParseContext): RunCommand {
  const range = run.getRange();
  const flags = run.getFlags();
  const start = flags.length > 0 ? flags[flags.length - 1].getRange().end : run.getInstructionRange().end;
  const text = removeLineContinuations(context.source.slice({ start, end: range.end }), context.escapeChar);
  return { line: lineOf(run), command: text.replace(/\s+/g, ' ').trim() };
}
