import { parse, TomlError } from 'smol-toml';
import { fileError, PluginError, type PluginErrorKind } from '../core/errors';

/**
 * The data of a TOML file (pyproject.toml, uv.lock), or a PluginError of `kind` naming the file and the line.
 * Files are read as UTF-8, which turns every byte that is not UTF-8 into U+FFFD: a text holding one is reported
 * as not UTF-8 here, where every reader of TOML passes, rather than read with the replacement character in it.
 */
export function parseTomlFile(text: string, file: string, kind: PluginErrorKind): unknown {
  const replaced = text.indexOf('\uFFFD');
  if (replaced !== -1) {
    const line = text.slice(0, replaced).split('\n').length;
    const reason = 'the file is not UTF-8: this line holds bytes that are not UTF-8 text (read as U+FFFD); save it as UTF-8';
    throw fileError(kind, file, line, reason);
  }
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const problem = error.message.replace(/^Invalid TOML document: /, '').split('\n')[0];
      throw new PluginError(kind, `${file}:${error.line}:${error.column}: invalid TOML: ${problem}`, { file, line: error.line });
    }
    throw error;
  }
}
