/** Executors talk to the user through stderr lines with one prefix, so they stand out from docker's output. */
export function info(message: string): void {
  process.stderr.write(`[nx-uv-cuda] ${message}\n`);
}

export function fail(message: string): { success: false } {
  process.stderr.write(`[nx-uv-cuda] error: ${message}\n`);
  return { success: false };
}
