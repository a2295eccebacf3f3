/**
 * `@acme/Speech` → `acme-speech`: a name Docker accepts as a container name or an image repository component
 * (lower case, starting with a letter or digit); `fallback` when nothing of the text survives.
 */
export function dockerSafeName(text: string, fallback: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '') || fallback;
}
