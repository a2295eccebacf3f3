import { compareCodeUnits } from '../core/compare';
import type { DockerfileModel, Stage } from '../docker/dockerfile-model';
import { argNamesIn } from '../docker/expand-args';
import { argsSeenBy, fromTemplate } from '../docker/stage-graph';
import { acceleratorFamily, cudaMajorOf, cudaVersionOfBackend, RECIPE_BUILD_ARGS, type Backend } from './backends';

/** One build arg a build passes, and why: the rule or option that set it, and the Dockerfile line it reads. */
export interface BuildArgSetting {
  name: string;
  value: string;
  rule: string;
  line?: number;
}

/** ARGs that BuildKit fills itself, or that belong to the machine (proxies): never a gap to warn about. */
const AUTOMATIC_ARGS = /^(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)$|^(HTTPS?|FTP|NO|ALL)_PROXY$/i;

/** `uv sync --extra ${X}`, `--extra=$X`, `--group "${X}"`: the ARG that picks an extra or a group. */
const UV_SELECTS = /--(extra|group)(?:=|\s+)["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?["']?/g;
/** `nvidia/cuda:${CUDA_VERSION}-cudnn-devel-ubuntu22.04`: the ARG that holds the CUDA version. */
const CUDA_TAG = /nvidia\/cuda:\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/;

/**
 * What the Dockerfile's own ARGs get for one backend, read from how the Dockerfile uses them:
 * the ARG that `uv sync --extra`/`--group` reads gets the backend's extra or group; the ARG in an `nvidia/cuda:`
 * tag gets its CUDA version; the ARG that picks the stage a FROM builds on gets the value naming its stage;
 * `LOCK_FILE` gets the backend's own `uv-<backend>.lock` where one exists.
 */
export function dockerfileRules(model: DockerfileModel, backend: Backend, ownLockFile?: string): BuildArgSetting[] {
  const rules = new Map<string, BuildArgSetting>();
  const set = (setting: BuildArgSetting) => {
    if (!rules.has(setting.name)) rules.set(setting.name, setting);
  };
  // The recipe copies the chosen lock as uv.lock through `--build-arg LOCK_FILE=...`.
  const lockArg = [...model.globalArgs, ...model.stages.flatMap((stage) => stage.args)].find((arg) => arg.name === 'LOCK_FILE');
  if (ownLockFile && lockArg) set({ name: 'LOCK_FILE', value: ownLockFile, rule: `the backend's own lock file`, line: lockArg.line });
  for (const stage of model.stages) {
    for (const run of stage.runs) {
      for (const [, flag, arg] of run.command.matchAll(UV_SELECTS)) {
        if (backend.via === flag) {
          set({ name: arg, value: backend.name, rule: `the ARG that \`uv sync --${flag}\` reads`, line: run.line });
        }
      }
    }
  }
  const cudaVersion = cudaVersionOfBackend(backend.torchTag ?? backend.name);
  if (cudaVersion) {
    const tagSites = [
      ...model.stages.map((stage) => ({ text: stage.baseImage, line: stage.startLine })),
      ...model.globalArgs.map((arg) => ({ text: arg.defaultValue ?? '', line: arg.line })),
    ];
    for (const site of tagSites) {
      const arg = CUDA_TAG.exec(site.text)?.[1];
      if (!arg) continue;
      const value = withDefaultPatch(cudaVersion, defaultOf(model, arg));
      set({ name: arg, value, rule: 'the CUDA version in the nvidia/cuda tag', line: site.line });
    }
  }
  for (const stage of model.stages) {
    const template = fromTemplate(model, stage);
    const value = template && pickStageValue(template.candidates.map((candidate) => candidate.value), backend);
    if (template && value !== undefined) {
      set({ name: template.arg, value, rule: `the ARG that picks the stage FROM builds on (${stage.baseImage})`, line: stage.startLine });
    }
  }
  return [...rules.values()];
}

/**
 * Every build arg a build passes, with where it came from, in the order they layer: the recipe's defaults and what
 * the backend implies, the Dockerfile rules, nx.json, then `[tool.nx-uv-cuda]` (which always wins). Only ARGs the
 * Dockerfile declares are passed.
 */
export function explainBuildArgs(model: DockerfileModel, backend: Backend, rules: BuildArgSetting[]): BuildArgSetting[] {
  const declared = new Set([...model.globalArgs, ...model.stages.flatMap((stage) => stage.args)].map((arg) => arg.name));
  const settings = new Map<string, BuildArgSetting>();
  const layer = (values: Record<string, string>, rule: (name: string) => string) => {
    for (const [name, value] of Object.entries(values)) settings.set(name, { name, value, rule: rule(name) });
  };
  layer(backend.derivedBuildArgs, (name) =>
    name in RECIPE_BUILD_ARGS ? "the recipe's default" : `from the backend (${backend.torchTag ?? backend.name})`,
  );
  for (const rule of rules) settings.set(rule.name, rule);
  layer(backend.workspaceBuildArgs, () => 'nx.json plugin options (buildArgs)');
  layer(backend.projectBuildArgs, () => '[tool.nx-uv-cuda] build-args');
  return [...settings.values()].filter((setting) => declared.has(setting.name)).sort((a, b) => compareCodeUnits(a.name, b.name));
}

/**
 * ARGs of the chain without a default that no rule or option fills, where an empty value breaks the build's
 * structure: in a FROM, a COPY/ADD source, a `--from`, or what `uv sync --extra`/`--group` reads. (An ARG a RUN
 * reads as `${X:-}` may well be empty on purpose.)
 */
export function unfilledArgs(
  model: DockerfileModel,
  chain: readonly Stage[],
  buildArgs: Record<string, string>,
): Array<{ name: string; line: number }> {
  const declarations = [...model.globalArgs, ...chain.flatMap((stage) => stage.args)];
  const structural = structuralArgs(model, chain);
  return argsSeenBy(model, chain).flatMap((name) => {
    if (name in buildArgs || AUTOMATIC_ARGS.test(name) || !structural.has(name)) return [];
    const mine = declarations.filter((arg) => arg.name === name);
    if (mine.length === 0 || mine.some((arg) => arg.defaultValue !== undefined)) return [];
    // A stage ARG without a default still inherits a global default of the same name.
    if (model.globalArgs.some((arg) => arg.name === name && arg.defaultValue !== undefined)) return [];
    return [{ name, line: mine[0].line }];
  });
}

function structuralArgs(model: DockerfileModel, chain: readonly Stage[]): Set<string> {
  const texts = chain.flatMap((stage) => [
    stage.baseImage,
    stage.platform ?? '',
    ...stage.sources.flatMap((source) => [...source.paths, source.from ?? '']),
  ]);
  const names = new Set(texts.flatMap((text) => namesIn(text, model.escapeChar)));
  for (const stage of chain) for (const run of stage.runs) for (const [, , arg] of run.command.matchAll(UV_SELECTS)) names.add(arg);
  return names;
}

/** The ARG names a text uses; none when it is not valid substitution syntax (the parser reports FROM lines). */
function namesIn(text: string, escapeChar: string): string[] {
  try {
    return argNamesIn(text, escapeChar);
  } catch {
    return [];
  }
}

/** The value among a FROM template's that names the backend's stage: its name, its family, or its CUDA major. */
function pickStageValue(values: string[], backend: Backend): string | undefined {
  const names = [backend.name, backend.torchTag].filter((name): name is string => name !== undefined);
  const exact = values.find((value) => names.includes(value));
  if (exact !== undefined) return exact;
  const families = new Set(names.map(acceleratorFamily));
  const byFamily = values.filter((value) => families.has(acceleratorFamily(value)));
  if (byFamily.length === 1) return byFamily[0];
  const major = cudaMajorOf(backend.torchTag) ?? cudaMajorOf(backend.name);
  const byMajor = values.filter((value) => major !== undefined && (value === String(major) || cudaMajorOf(value) === major));
  return byMajor.length === 1 ? byMajor[0] : undefined;
}

/** The Dockerfile's own patch release where major.minor agree (it is known to exist), else the table's. */
function withDefaultPatch(version: string, dockerfileDefault: string | undefined): string {
  const wanted = /^(\d+)\.(\d+)/.exec(version);
  const given = /^(\d+)\.(\d+)(\.\d+)?$/.exec(dockerfileDefault ?? '');
  if (wanted && given && wanted[1] === given[1] && wanted[2] === given[2]) return dockerfileDefault!;
  return given && given[3] === undefined && wanted ? `${wanted[1]}.${wanted[2]}` : version;
}

function defaultOf(model: DockerfileModel, name: string): string | undefined {
  return [...model.globalArgs, ...model.stages.flatMap((stage) => stage.args)].find(
    (arg) => arg.name === name && arg.defaultValue !== undefined,
  )?.defaultValue;
}
