/** `Speech Models/ASR` → `speech-models-asr`: lower-case letters and digits joined by single dashes. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}
