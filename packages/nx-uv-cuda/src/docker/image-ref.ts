/**
 * Docker's grammar for one component of an image name (`ml`, `ml-service`, `my__app`): lowercase letters and
 * digits, separated by `.`, `_`, `__` or dashes. A regex body, to compose: anchor it where used.
 */
export const IMAGE_COMPONENT_PATTERN = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';

/** Docker's grammar for a tag (after the `:`): a word character, then up to 127 of word characters, `.` and `-`. A regex body. */
export const IMAGE_TAG_PATTERN = '[\\w][\\w.-]{0,127}';

/** `127.0.0.1:5000/ml/svc:prod-cu124` → `127.0.0.1:5000/ml/svc` (a registry port is not a tag). */
export function repositoryOf(reference: string): string {
  const withoutDigest = reference.split('@')[0];
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** A reference pinned to its content: `<repository>@<digest>`. */
export function pinnedReference(tag: string, digest: string): string {
  return `${repositoryOf(tag)}@${digest}`;
}
