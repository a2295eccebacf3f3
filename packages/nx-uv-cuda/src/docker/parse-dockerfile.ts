import { Arg, DockerfileParser, From, Instruction, Keyword, Run } from 'dockerfile-ast';
import { fileError } from '../core/errors';
import { expandArgs } from './expand-args';
import { lineOf, readInstruction, removeLineContinuations, unquote, type InstructionReads } from './instruction-sources';
import { SourceText } from './source-text';
import { globalArgValues } from './stage-graph';

import type { ArgDeclaration, DockerfileModel, RunCommand, Stage, StageSource } from './dockerfile-model';
/** Docker's rule for `AS` names (checked after lowercasing). */
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
const KNOWN_KEYWORDS = new Set<string>(Object.values(Keyword));

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
    source: new SourceText(text),
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
  let expanded: string;
  try {
    expanded = expandArgs(header.baseImage, context.globalDefaults, context.escapeChar).toLowerCase();
  } catch (error) {
    throw fileError('dockerfile', context.file, header.line, `cannot expand the FROM image: ${(error as Error).message}`);
  }
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

/** Docker refuses stages that read each other in a loop; report the reference that closes it. */
function assertNoCycles(built: BuiltStage[], file: string): void {
  const done = new Set<number>();
  const path: number[] = [];
  const visit = (index: number): void => {
    if (done.has(index)) return;
    path.push(index);
    for (const dependency of built[index].dependencies) {
      const loopStart = path.indexOf(dependency.stage);
      if (loopStart !== -1) {
        const loop = [...path.slice(loopStart), dependency.stage].map((stage) => refName(built[stage].stage));
        throw fileError('dockerfile', file, dependency.line, `circular dependency between stages: ${loop.join(' -> ')}`);
      }
      visit(dependency.stage);
    }
    path.pop();
    done.add(index);
  };
  built.forEach((_, index) => visit(index));
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
