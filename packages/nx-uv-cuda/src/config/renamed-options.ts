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
  const copy = structuredClone(value) as Record<string, unknown>;
  const warnings: string[] = [];
  for (const [from, to] of Object.entries(renames)) {
    const fromPath = from.split('.');
    const toPath = to.split('.');
    const parent = tableAt(copy, fromPath.slice(0, -1));
    const oldKey = fromPath[fromPath.length - 1];
    if (!parent || !Object.hasOwn(parent, oldKey)) continue;
    const target = tableAt(copy, toPath.slice(0, -1), true);
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

function tableAt(root: Record<string, unknown>, path: string[], create = false): Record<string, unknown> | undefined {
  let table = root;
  for (const key of path) {
    if (!isTable(table[key])) {
      if (!create || table[key] !== undefined) return undefined;
      table[key] = {};
    }
    table = table[key] as Record<string, unknown>;
  }
  return table;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
