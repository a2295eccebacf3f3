/**
 * Options that were renamed keep working: the old key is moved to its new name before validation, and the user
 * is told once what to write instead. Paths are dotted (`stages.wheel`); both keys set keeps the new one.
 */
export type Renames = Readonly<Record<string, string>>;

export interface Renamed<T> {
  value: T;
  warnings: string[];
}

export function applyRenames<T>(value: T, renames: Renames, where: string): Renamed<T> {
  if (!isTable(value)) return { value, warnings: [] };
  // Tables are copied along the paths a rename walks, not cloned whole: the caller's value stays as it was, and a
  // table nested thousands deep costs nothing.
  const copy = { ...value } as Record<string, unknown>;
  const copied = new WeakSet<object>([copy]);
  const warnings: string[] = [];
  for (const [from, to] of Object.entries(renames)) {
    const fromPath = from.split('.');
    const toPath = to.split('.');
    const parent = tableAt(copy, fromPath.slice(0, -1), copied);
    const oldKey = fromPath[fromPath.length - 1];
    if (!parent || !Object.hasOwn(parent, oldKey)) continue;
    const target = tableAt(copy, toPath.slice(0, -1), copied, true);
    // The new key's parent is not a table: validation will report that; the old key is left for it to name.
    if (!target) continue;
    const newKey = toPath[toPath.length - 1];
    const old = parent[oldKey];
    delete parent[oldKey];
    if (Object.hasOwn(target, newKey)) {
      warnings.push(`${where}: ${from} is deprecated and ignored here, since ${to} is set too: remove ${from}`);
    } else {
      target[newKey] = old;
      warnings.push(`${where}: ${from} is deprecated: write ${to} instead`);
    }
  }
  return { value: copy as T, warnings };
}

/**
 * The table at `path` below `root`, each table on the way replaced once by a shallow copy (`copied` holds the
 * copies), or created when `create`.
 */
function tableAt(
  root: Record<string, unknown>,
  path: string[],
  copied: WeakSet<object>,
  create = false,
): Record<string, unknown> | undefined {
  let table = root;
  for (const key of path) {
    const next = table[key];
    if (isTable(next)) {
      if (!copied.has(next)) table[key] = { ...next };
    } else if (create && next === undefined) table[key] = {};
    else return undefined;
    table = table[key] as Record<string, unknown>;
    copied.add(table);
  }
  return table;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
