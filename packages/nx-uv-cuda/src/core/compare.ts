/** Code-unit order, independent of the machine's locale: every sorted list the plugin writes or hashes uses it. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Entries of a record sorted by key in code-unit order. */
export function sortedEntries<T>(record: Readonly<Record<string, T>>): Array<[string, T]> {
  return Object.entries(record).sort(([a], [b]) => compareCodeUnits(a, b));
}
