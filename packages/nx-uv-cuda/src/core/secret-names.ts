/**
 * Names that usually carry credentials (build args, env variables): their values are never printed, stored or
 * written into a build key. `AUTH` only as a whole word at the end, so that `AUTH_MODE` stays an ordinary arg.
 */
const SECRET_NAME = /token|passw(or)?d|secret|credential|api[_-]?key|private[_-]?key|(^|[_-])auth(orization)?$/i;

export const REDACTED = '***';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}
