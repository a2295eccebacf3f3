import { fileError } from '../core/errors';
import type { ArgDeclaration, DockerfileModel, Stage } from './dockerfile-model';
import { argNamesIn, expandArgs } from './expand-args';

type BuildArgs = Readonly<Record<string, string>>;

/** Stages by name, per model (models are never changed): a lookup per reference stays cheap in long chains. */
const stagesByName = new WeakMap<DockerfileModel, Map<string, Stage>>();

/** A stage by name (case-insensitively) or by index, as `--from=0` allows. */
export function resolveStageRef(model: DockerfileModel, ref: string): Stage | undefined {
  if (/^\d+$/.test(ref)) return model.stages[Number(ref)];
  let byName = stagesByName.get(model);
  if (!byName) {
    byName = new Map();
    for (const stage of model.stages) if (stage.name !== undefined && !byName.has(stage.name)) byName.set(stage.name, stage);
    stagesByName.set(model, byName);
  }
  return byName.get(ref.toLowerCase());
}

/**
 * The target stage and every stage it transitively reads, in Dockerfile order. `replaced` names stages that
 * the build receives as named contexts (`--build-context wheels=DIR`): they, and what only they read, are not built.
 * With `buildArgs`, a FROM that uses a global ARG (`FROM base-${BACKEND}`) follows the stage those values name.
 */
export function stageChain(
  model: DockerfileModel,
  target: string,
  replaced: readonly string[] = [],
  buildArgs?: BuildArgs,
): Stage[] {
  const root = resolveStageRef(model, target);
  if (!root) {
    const names = model.stages.flatMap((stage) => stage.name ?? []);
    const available = names.length > 0 ? names.join(', ') : 'none (no stage has an AS name)';
    const reason = `target stage "${target}" not found; available stages: ${available}`;
    throw fileError('dockerfile', model.file, undefined, reason);
  }
  const replacedNames = new Set(replaced.map((name) => name.toLowerCase()));
  const values = buildArgs && globalArgValues(model, buildArgs);
  const refsOf = (stage: Stage): string[] => {
    if (!values) return stage.stageRefs;
    const base = baseStage(model, stage, values);
    return [...(base ? [base.name ?? String(base.index)] : []), ...stage.fromRefs];
  };
  const reached = new Set<Stage>();
  // A worklist rather than recursion: a chain of thousands of stages must not overflow the call stack.
  const pending = [root];
  for (let stage = pending.pop(); stage !== undefined; stage = pending.pop()) {
    if (reached.has(stage)) continue;
    reached.add(stage);
    for (const ref of refsOf(stage)) {
      const dependency = replacedNames.has(ref.toLowerCase()) ? undefined : resolveStageRef(model, ref);
      if (dependency) pending.push(dependency);
    }
  }
  return model.stages.filter((stage) => reached.has(stage));
}

/** The images the chain's root stages are built FROM (`scratch` excluded), global ARGs expanded (defaults overridden by `buildArgs`). */
export function baseImagesOf(model: DockerfileModel, chain: readonly Stage[], buildArgs: BuildArgs = {}): string[] {
  const values = globalArgValues(model, buildArgs);
  const images = chain
    .filter((stage) => !baseStage(model, stage, values))
    .map((stage) => expandArgs(stage.baseImage, values, model.escapeChar))
    .filter((image) => image !== 'scratch');
  return [...new Set(images)];
}

/**
 * The build args that can change what the chain builds, sorted: the ARGs its stages declare
 * (a global ARG is visible in a stage only where redeclared; a stage's ARGs are inherited by the
 * stages built FROM it, which the chain contains too), plus the global ARGs its FROM lines use,
 * directly or through another global ARG's default.
 */
export function argsSeenBy(model: DockerfileModel, chain: readonly Stage[]): string[] {
  const declared = chain.flatMap((stage) => stage.args.map((arg) => arg.name));
  return [...new Set([...declared, ...globalArgsUsedByFrom(model, chain)])].sort();
}

/** Global ARG values as Docker computes them: in order, each default expanded with the ones before. */
export function globalArgValues(
  model: Pick<DockerfileModel, 'globalArgs' | 'escapeChar'>,
  buildArgs: BuildArgs,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const { name, defaultValue } of model.globalArgs) {
    if (Object.hasOwn(buildArgs, name)) values[name] = buildArgs[name];
    else if (defaultValue !== undefined) values[name] = expandArgs(defaultValue, values, model.escapeChar);
  }
  return values;
}

/** The stage that `stage` is built FROM with these build args (global ARG defaults under them), if FROM names one. */
export function parentStage(model: DockerfileModel, stage: Stage, buildArgs: BuildArgs = {}): Stage | undefined {
  return baseStage(model, stage, globalArgValues(model, buildArgs));
}

/** The earlier stage that `stage` is built FROM, if its expanded FROM names one. */
function baseStage(model: DockerfileModel, stage: Stage, values: BuildArgs): Stage | undefined {
  const name = expandArgs(stage.baseImage, values, model.escapeChar).toLowerCase();
  return model.stages.slice(0, stage.index).find((earlier) => earlier.name === name);
}

function globalArgsUsedByFrom(model: DockerfileModel, chain: readonly Stage[]): string[] {
  const globals = new Map<string, ArgDeclaration>(model.globalArgs.map((arg) => [arg.name, arg]));
  const used = new Set<string>();
  const use = (text: string): void => {
    for (const name of argNamesIn(text, model.escapeChar)) {
      const arg = globals.get(name);
      if (!arg || used.has(name)) continue;
      used.add(name);
      if (arg.defaultValue !== undefined) use(arg.defaultValue);
    }
  };
  chain.forEach((stage) => [stage.baseImage, stage.platform ?? ''].forEach(use));
  return [...used];
}

/** A FROM that names its stage through one ARG: `FROM base-${BACKEND}` → ARG BACKEND, and the stages it can name. */
export interface FromTemplate {
  arg: string;
  /** Earlier stages whose name fits the template, with the ARG value that names each. */
  candidates: Array<{ value: string; stage: Stage }>;
}

const ONE_VARIABLE = /^([^$]*)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))([^$]*)$/;

export function fromTemplate(model: DockerfileModel, stage: Stage): FromTemplate | undefined {
  const match = ONE_VARIABLE.exec(stage.baseImage);
  if (!match) return undefined;
  const [, prefix, braced, bare, suffix] = match;
  const candidates = model.stages.slice(0, stage.index).flatMap((earlier) => {
    const name = earlier.name;
    if (!name || name.length <= prefix.length + suffix.length) return [];
    const fits = name.startsWith(prefix.toLowerCase()) && name.endsWith(suffix.toLowerCase());
    return fits ? [{ value: name.slice(prefix.length, name.length - suffix.length), stage: earlier }] : [];
  });
  return candidates.length > 0 ? { arg: braced ?? bare, candidates } : undefined;
}

/** The stages a FROM could build on, whatever value its ARG gets. */
export function stagesFromCanName(model: DockerfileModel, stage: Stage): Stage[] {
  return fromTemplate(model, stage)?.candidates.map((candidate) => candidate.stage) ?? [];
}
