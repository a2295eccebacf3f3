/** PEP 503 normalization of a package, extra or group name: lowercase, runs of `-`, `_`, `.` become `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}
