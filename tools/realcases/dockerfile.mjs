// Just enough of a Dockerfile reader to judge the plugin independently of it: stages (FROM … AS name), ARGs
// with their defaults, and which stages a stage needs (FROM <stage>, COPY --from, RUN --mount=…,from=), so that
// the final stage, a stage's existence and the ARGs a build of it leaves empty can be told from the text.

/** ARGs BuildKit fills itself (https://docs.docker.com/build/building/variables/#pre-defined-build-arguments). */
const PREDEFINED = new Set([
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT',
  'TARGETSTAGE', 'HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY',
  'http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy',
]);

/**
 * @typedef {{ name: string, default?: string, line: number }} Arg
 * @typedef {{ index: number, name?: string, base: string, line: number, args: Arg[], refs: string[] }} Stage
 * @typedef {{ globalArgs: Arg[], stages: Stage[] }} DockerfileModel
 */

/** @returns {DockerfileModel} */
export function parseDockerfile(text) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const directive = lines.slice(0, 5).map((line) => /^#\s*escape\s*=\s*(\S)/i.exec(line)).find(Boolean);
  const escape = directive ? directive[1] : '\\';
  const globalArgs = [];
  const stages = [];
  for (const { keyword, rest, line } of instructions(lines, escape)) {
    const stage = stages.at(-1);
    if (keyword === 'FROM') {
      const words = rest.split(/\s+/).filter((word) => word && !word.startsWith('--'));
      const name = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
      stages.push({ index: stages.length, name, base: words[0] ?? '', line, args: [], refs: [] });
    } else if (keyword === 'ARG') {
      (stage ? stage.args : globalArgs).push(...parseArgs(rest, line));
    } else if (stage && (keyword === 'COPY' || keyword === 'ADD' || keyword === 'RUN')) {
      for (const match of rest.matchAll(/--from=("[^"]*"|'[^']*'|\S+)/g)) stage.refs.push(unquote(match[1]));
      for (const match of rest.matchAll(/--mount=(\S+)/g)) {
        const from = match[1].split(',').find((part) => part.startsWith('from='));
        if (from) stage.refs.push(unquote(from.slice('from='.length)));
      }
    }
  }
  return { globalArgs, stages };
}

/** Logical instructions: continuation lines joined, comments and heredoc bodies skipped; `line` is 1-based. */
function* instructions(lines, escape) {
  let index = 0;
  while (index < lines.length) {
    const start = index;
    let text = lines[index];
    index += 1;
    if (/^\s*(#|$)/.test(text)) continue;
    while (text.trimEnd().endsWith(escape) && index < lines.length) {
      text = text.trimEnd().slice(0, -1);
      // Comment and empty lines inside a continued instruction are dropped, as BuildKit does.
      while (index < lines.length && /^\s*(#|$)/.test(lines[index])) index += 1;
      if (index < lines.length) text += ` ${lines[index]}`;
      index += 1;
    }
    const match = /^\s*(\S+)\s*(.*)$/s.exec(text);
    if (!match) continue;
    const keyword = match[1].toUpperCase();
    // Heredocs (RUN <<EOF … EOF): their bodies are not instructions.
    for (const heredoc of match[2].matchAll(/<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g)) {
      while (index < lines.length && (heredoc[1] ? lines[index].replace(/^\t+/, '') : lines[index]) !== heredoc[3]) index += 1;
      index += 1;
    }
    yield { keyword, rest: match[2].trim(), line: start + 1 };
  }
}

function parseArgs(rest, line) {
  const args = [];
  for (const match of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g)) {
    args.push({ name: match[1], ...(match[2] !== undefined ? { default: unquote(match[3]) } : {}), line });
  }
  return args;
}

const unquote = (value) => (/^(["']).*\1$/s.test(value) ? value.slice(1, -1) : value);

/** The index of the stage `ref` names (a name, case-insensitive, or an index); undefined or null: the final stage. */
export function resolveStage(model, ref) {
  if (model.stages.length === 0) return undefined;
  if (ref === undefined || ref === null || ref === '') return model.stages.length - 1;
  const byName = model.stages.find((stage) => stage.name && stage.name.toLowerCase() === String(ref).toLowerCase());
  if (byName) return byName.index;
  return /^\d+$/.test(String(ref)) && Number(ref) < model.stages.length ? Number(ref) : undefined;
}

/** The final stage as `docker build` without --target builds it: its name, else its index. */
export function finalStageName(model) {
  const last = model.stages.at(-1);
  return last ? (last.name ?? String(last.index)) : undefined;
}

/** `$X`, `${X}`, `${X:-d}` with the global ARG defaults (what FROM and --from may use). */
function expand(value, model) {
  const defaults = new Map(model.globalArgs.filter((arg) => arg.default !== undefined).map((arg) => [arg.name, arg.default]));
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}?/g, (_, name, fallback) => defaults.get(name) ?? fallback ?? '');
}

/** Indices of the stages a build of stage `index` runs: it and every stage it needs, transitively. */
export function reachedStages(model, index) {
  const reached = new Set();
  const visit = (current) => {
    if (current === undefined || reached.has(current)) return;
    reached.add(current);
    const stage = model.stages[current];
    for (const ref of [stage.base, ...stage.refs]) {
      const expanded = expand(ref, model);
      const target = expanded === '' ? undefined : resolveStage(model, expanded);
      // Only earlier stages: a later one of the same name would be an image, and this keeps cycles out.
      if (target !== undefined && target < current) visit(target);
    }
  };
  visit(index);
  return [...reached].sort((a, b) => a - b);
}

/** The stage `index` is built FROM, if it is an earlier stage of the file. */
function parentStage(model, index) {
  const base = expand(model.stages[index].base, model);
  const parent = base === '' ? undefined : resolveStage(model, base);
  return parent !== undefined && parent < index ? parent : undefined;
}

/**
 * The value stage `index` gives ARG `name` without build args: its own declaration's default, the global default
 * when it redeclares a global ARG, else what the stage it is built FROM gave it (a stage inherits its parent's
 * ARGs: https://docs.docker.com/build/building/variables/#scoping).
 */
function valueIn(model, index, name) {
  const declared = model.stages[index].args.filter((arg) => arg.name === name);
  const own = declared.find((arg) => arg.default !== undefined);
  if (own) return own.default;
  const global = model.globalArgs.find((arg) => arg.name === name && arg.default !== undefined);
  if (declared.length > 0 && global) return global.default;
  const parent = parentStage(model, index);
  return parent === undefined ? undefined : valueIn(model, parent, name);
}

/** The default a build of stage `index` gives ARG `name`: along its FROM chain, else in a stage it copies from. */
export function argDefault(model, index, name) {
  const direct = valueIn(model, index, name);
  if (direct !== undefined) return direct;
  for (const stageIndex of reachedStages(model, index)) {
    const value = valueIn(model, stageIndex, name);
    if (value !== undefined) return value;
  }
  return model.globalArgs.find((arg) => arg.name === name && arg.default !== undefined)?.default;
}

/**
 * ARGs a build of stage `index` leaves empty: declared without a default in a stage it runs, with no value there
 * (no global default, nothing inherited from its FROM chain), or global without a default and used by the FROM of
 * a stage it runs; minus `filled` and BuildKit's own ARGs.
 */
export function unfilledArgs(model, index, filled) {
  const globalDefault = new Set(model.globalArgs.filter((arg) => arg.default !== undefined).map((arg) => arg.name));
  const unfilled = new Set();
  for (const stageIndex of reachedStages(model, index)) {
    const stage = model.stages[stageIndex];
    for (const arg of stage.args) {
      if (arg.default === undefined && valueIn(model, stageIndex, arg.name) === undefined) unfilled.add(arg.name);
    }
    for (const arg of model.globalArgs) {
      if (arg.default === undefined && !globalDefault.has(arg.name) && new RegExp(`\\$\\{?${arg.name}\\b`).test(stage.base)) unfilled.add(arg.name);
    }
  }
  return [...unfilled].filter((name) => !PREDEFINED.has(name) && !filled.has(name)).sort();
}
