/**
 * `text` with the first `from` replaced by `to`, for fixtures edited in a test: throws when `from` is not in the
 * text (or the edit changes nothing), so that a fixture that drifted fails loudly instead of leaving the test
 * comparing a file with itself.
 */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`edit: ${JSON.stringify(from)} is not in the text`);
  const edited = text.replace(from, () => to);
  if (edited === text) throw new Error(`edit: replacing ${JSON.stringify(from)} with ${JSON.stringify(to)} changes nothing`);
  return edited;
}
