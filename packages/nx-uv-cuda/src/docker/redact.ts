/** Build-arg names that usually carry credentials: their values are never printed or stored. */
const SECRET_NAME = /(token|password|passwd|secret|credential|api[_-]?key|private[_-]?key|auth)/i;

export const REDACTED = '***';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export function redactBuildArgs(buildArgs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(buildArgs).map(([name, value]) => [name, isSecretName(name) ? REDACTED : value]),
  );
}

/** A docker argv as one line a person can read, with secret-looking `--build-arg` values masked. */
export function describeArgv(argv: string[]): string {
  return argv
    .map((arg, index) => (argv[index - 1] === '--build-arg' ? redactAssignment(arg) : arg))
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

function redactAssignment(assignment: string): string {
  const [name] = assignment.split('=', 1);
  return assignment.includes('=') && isSecretName(name) ? `${name}=${REDACTED}` : assignment;
}
