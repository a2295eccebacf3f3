// Text edits of uv.lock files, shaped the way `uv lock` would write them, for the cache-scenario benchmark.
// There is no uv here (and no network): each function rewrites the lock the way uv would after the matching
// pyproject.toml edit, keeping the file otherwise byte-identical, so that only the intended change reaches the
// plugin's lock slices. Fake hashes are derived deterministically (sha256 of a label), as in the fixture.
import { createHash } from 'node:crypto';

/** The header (everything before the first `[[package]]`) and the package blocks, each with its name and version. */
export function parseLock(text) {
  const marker = '\n[[package]]\n';
  const first = text.indexOf(marker);
  if (first < 0) throw new Error('uv.lock: no [[package]] block');
  const head = text.slice(0, first + 1);
  const blocks = text
    .slice(first + 1)
    .split(/\n(?=\[\[package\]\]\n)/)
    .map((block) => (block.endsWith('\n') ? block : `${block}\n`))
    .map((block) => ({ name: field(block, 'name'), version: field(block, 'version'), text: block }));
  return { head, blocks };
}

export function serializeLock({ head, blocks }) {
  const sorted = [...blocks].sort((a, b) => compare(a.name, b.name) || compare(a.version ?? '', b.version ?? ''));
  return head + sorted.map((block) => block.text.replace(/\n+$/, '\n')).join('\n');
}

function field(block, key) {
  return block.match(new RegExp(`^${key} = "([^"]*)"$`, 'm'))?.[1];
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** uv's marker name of a conflicting extra: `extra-<len(package)>-<package>-<extra>`. */
export function conflictExtra(packageName, extra) {
  return `extra-${packageName.length}-${packageName}-${extra}`;
}

export function fakeHash(label) {
  return `sha256:${createHash('sha256').update(label).digest('hex')}`;
}

/**
 * Renames a whole lock's own project (a prod lock, or a copied service): the package name, its editable or
 * virtual path, uv's conflict markers and `conflict = { package = ... }` references.
 */
export function renameProject(text, from, to) {
  return text
    .replaceAll(conflictExtra(from, ''), conflictExtra(to, ''))
    .replaceAll(`"${from}"`, `"${to}"`)
    .replaceAll(`services/${from}`, `services/${to}`);
}

/**
 * Adds a workspace member to the root lock as a copy of an existing member's block (what `uv lock` writes after
 * `cp -r services/<from> services/<to>` and a rename): the block, the manifest member list, and `or` clauses
 * for the new member's extras on every marker that names the template's extras.
 */
export function addMemberLike(text, { from, to }) {
  const lock = parseLock(text);
  const template = lock.blocks.find((block) => block.name === from);
  if (!template) throw new Error(`uv.lock: no member ${from}`);
  const extraMarker = new RegExp(`extra == '${escape(conflictExtra(from, ''))}([\\w.-]+)'`, 'g');
  for (const block of lock.blocks) {
    if (block.name === from) continue;
    block.text = block.text.replace(/marker = "([^"]*)"/g, (whole, marker) => {
      if (!extraMarker.test(marker)) return whole;
      extraMarker.lastIndex = 0;
      const added = [...marker.matchAll(extraMarker)].map((match) => `extra == '${conflictExtra(to, '')}${match[1]}'`);
      return `marker = "${[marker, ...added].join(' or ')}"`;
    });
  }
  const copy = template.text
    .replace(/^name = "[^"]*"$/m, `name = "${to}"`)
    .replace(`"services/${from}"`, `"services/${to}"`)
    .replaceAll(`conflict = { package = "${from}"`, `conflict = { package = "${to}"`);
  lock.blocks.push({ name: to, version: template.version, text: copy });
  lock.head = lock.head.replace(/^members = \[\n([\s\S]*?)^\]/m, (_, items) => {
    const names = [...items.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
    return `members = [\n${[...new Set([...names, to])].sort().map((name) => `    "${name}",\n`).join('')}]`;
  });
  return serializeLock(lock);
}

/**
 * The top-level `conflicts` of a workspace lock whose services each declare conflicting backend extras and whose
 * root pyproject.toml declares every cross-service pair of different backends as conflicting.
 */
export function lockConflicts(services, extras) {
  const pairs = [];
  for (const service of services) pairs.push([[service, extras[0]], [service, extras[1]]]);
  for (const [a, b] of crossPairs(services, extras)) pairs.push([a, b]);
  pairs.sort((x, y) => compare(JSON.stringify(x), JSON.stringify(y)));
  const item = ([pkg, extra]) => `    { package = "${pkg}", extra = "${extra}" },\n`;
  return `conflicts = [${pairs.map((pair) => `[\n${pair.map(item).join('')}]`).join(', ')}]\n`;
}

/** The same pairs, as the root pyproject.toml's `[tool.uv] conflicts` (cross-service pairs only). */
export function pyprojectConflicts(services, extras) {
  const item = ([pkg, extra]) => `        { package = "${pkg}", extra = "${extra}" },\n`;
  const pairs = crossPairs(services, extras).map((pair) => `    [\n${pair.map(item).join('')}    ],\n`);
  return `conflicts = [\n${pairs.join('')}]\n`;
}

function crossPairs(services, [first, second]) {
  const sorted = [...services].sort();
  const pairs = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      pairs.push([[sorted[i], first], [sorted[j], second]]);
      pairs.push([[sorted[i], second], [sorted[j], first]]);
    }
  }
  return pairs;
}

/** Replaces the lock's top-level `conflicts = [[...]]` (it ends with `]]` on its own line). */
export function replaceLockConflicts(text, conflicts) {
  const replaced = text.replace(/^conflicts = \[\[[\s\S]*?^\]\]\n/m, conflicts);
  if (replaced === text && !text.includes(conflicts)) throw new Error('uv.lock: no top-level conflicts');
  return replaced;
}

/** Replaces `conflicts = [ ... ]` in a pyproject.toml's `[tool.uv]` table (the list closes with `]` alone). */
export function replacePyprojectConflicts(text, conflicts) {
  const replaced = text.replace(/^conflicts = \[\n[\s\S]*?^\]\n/m, conflicts);
  if (replaced === text && !text.includes(conflicts)) throw new Error('pyproject.toml: no [tool.uv] conflicts');
  return replaced;
}

/** A registry package block as uv writes it for a pure-Python wheel (fake but stable hashes). */
export function registryPackage({ name, version, dependencies = [] }) {
  const file = name.replaceAll('-', '_');
  const deps = dependencies.length ? `dependencies = [\n${dependencies.map((dep) => `    { name = "${dep}" },\n`).join('')}]\n` : '';
  const url = (suffix) => `https://files.pythonhosted.org/packages/bench/${file}-${version}${suffix}`;
  return {
    name,
    version,
    text:
      `[[package]]\nname = "${name}"\nversion = "${version}"\nsource = { registry = "https://pypi.org/simple" }\n${deps}` +
      `sdist = { url = "${url('.tar.gz')}", hash = "${fakeHash(`${name}-${version}.tar.gz`)}", size = 54321, upload-time = "2025-04-01T00:00:00.000Z" }\n` +
      `wheels = [\n    { url = "${url('-py3-none-any.whl')}", hash = "${fakeHash(`${name}-${version}.whl`)}", size = 12345, upload-time = "2025-04-01T00:00:00.000Z" },\n]\n`,
  };
}

/** Adds a package block (no-op when a block of that name and version exists). */
export function addPackage(text, pkg) {
  const lock = parseLock(text);
  if (!lock.blocks.some((block) => block.name === pkg.name && block.version === pkg.version)) lock.blocks.push(pkg);
  return serializeLock(lock);
}

/**
 * Adds `{ name = "<dep>" }` to a list of one package's block: `table` is '' for the block's top level
 * (`dependencies`), or a sub-table header such as `[package.dev-dependencies]`; `key` the list's key. Items stay
 * sorted by name; an inline list (`dev = [{ ... }]`) becomes a multi-line one.
 */
export function addToList(text, { pkg, table = '', key, item }) {
  const lock = parseLock(text);
  const block = lock.blocks.find((candidate) => candidate.name === pkg);
  if (!block) throw new Error(`uv.lock: no package ${pkg}`);
  const lines = block.text.replace(/\n$/, '').split('\n');
  const start = table ? lines.indexOf(table) : 0;
  if (start < 0) throw new Error(`uv.lock: ${pkg} has no ${table}`);
  let end = lines.findIndex((line, index) => index > start && line.startsWith('['));
  if (end < 0) end = lines.length;
  const at = lines.findIndex((line, index) => index > start && index < end && line.startsWith(`${key} = [`));
  if (at < 0) {
    lines.splice(start + 1, 0, `${key} = [`, `    ${item},`, ']');
  } else {
    let items;
    let close;
    const inline = lines[at].match(new RegExp(`^${escape(key)} = \\[(.+)\\]$`));
    if (inline) {
      items = inline[1].split(/(?<=\}),\s*/).map((entry) => entry.trim().replace(/,$/, '')).filter(Boolean);
      close = at;
    } else {
      close = lines.findIndex((line, index) => index > at && line === ']');
      items = lines.slice(at + 1, close).map((line) => line.trim().replace(/,$/, ''));
    }
    const byName = (entry) => entry.match(/name = "([^"]+)"/)?.[1] ?? entry;
    const merged = [...items.filter((entry) => byName(entry) !== byName(item)), item].sort(
      (a, b) => compare(byName(a), byName(b)) || compare(a, b),
    );
    lines.splice(at, close - at + 1, `${key} = [`, ...merged.map((entry) => `    ${entry},`), ']');
  }
  block.text = `${lines.join('\n')}\n`;
  return serializeLock(lock);
}

/**
 * `uv lock --upgrade-package torch` for one backend index: the torch version pinned for `backend` moves from
 * `from` to `to` everywhere (package block, wheel URLs, references); the block's hashes change with it.
 */
export function bumpBackendTorch(text, { backend, from, to }) {
  const lock = parseLock(text);
  const oldLocal = `${from}+${backend}`;
  const newLocal = `${to}+${backend}`;
  for (const block of lock.blocks) {
    if (block.name === 'torch' && block.version === oldLocal) {
      block.text = block.text.replace(/hash = "(sha256:[0-9a-f]{64})"/g, (_, hash) => `hash = "${fakeHash(`${hash}/${newLocal}`)}"`);
      block.version = newLocal;
    }
    block.text = block.text.replaceAll(oldLocal, newLocal).replaceAll(`${from}%2B${backend}`, `${to}%2B${backend}`);
  }
  return serializeLock(lock);
}

/**
 * A refresh that changes nothing: the lock re-serialized without the optional `upload-time` fields (what a uv
 * release that does not record them writes when it re-locks): same packages, versions, sources and hashes.
 */
export function reserializeWithoutUploadTimes(text) {
  return text.replace(/, upload-time = "[^"]*"/g, '');
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
