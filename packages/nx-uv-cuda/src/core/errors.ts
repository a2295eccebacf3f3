/**
 * What went wrong, in the user's terms. Every error the plugin raises on purpose is a `PluginError`: its message
 * names the file (and line or key) and what was expected, and it is printed as that one message. Anything else
 * that escapes is a bug, and is printed with its stack.
 */
export type PluginErrorKind =
  /** nx.json plugin options, `[tool.nx-uv-cuda]`, executor or generator options. */
  | 'options'
  | 'pyproject'
  | 'dockerfile'
  | 'uv-lock'
  | 'marker'
  /** The lock does not hold what a slice asks for (`detail` says which part). */
  | 'lock-slice'
  | 'backend'
  /** The engine, buildx, a builder or a registry is not there or not able. */
  | 'preflight'
  /** A file another task writes is missing or unreadable: run that task first. */
  | 'missing-input'
  /** A docker or uv command failed; its own output says why. */
  | 'command'
  | 'interrupted';

export class PluginError extends Error {
  override readonly name = 'PluginError';
  constructor(
    readonly kind: PluginErrorKind,
    message: string,
    /** Where, when the error is about a file: workspace-relative path and 1-based line. */
    readonly where: { file?: string; line?: number } = {},
    /** A finer reason for callers that recover from some errors (e.g. `extra-not-in-lock`). */
    readonly detail?: string,
  ) {
    super(message);
  }
}

export function isPluginError(error: unknown, kind?: PluginErrorKind): error is PluginError {
  return error instanceof PluginError && (kind === undefined || error.kind === kind);
}

/** `file:line: reason`, the form editors and terminals turn into links. */
export function fileError(kind: PluginErrorKind, file: string, line: number | undefined, reason: string): PluginError {
  return new PluginError(kind, line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`, { file, line });
}
