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
