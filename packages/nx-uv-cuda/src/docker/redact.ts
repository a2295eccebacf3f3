import { isSecretName, REDACTED } from '../core/secret-names';

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
