// The command line of the repository's node tools: node:util parseArgs (strict) plus --help and usage errors
// that every tool answers the same way (tools/cli-help.spec.ts runs each with --help).
import { parseArgs } from 'node:util';

const HELP = { type: 'boolean', short: 'h' };

/**
 * --help/-h: the usage on stdout, exit 0. An unknown or malformed option: `error: <message>` and the usage on
 * stderr, exit 2. Throws when the usage does not name every option as --name, so the help cannot drift.
 * @param {{ usage: string, options: NonNullable<import('node:util').ParseArgsConfig['options']>, allowPositionals?: boolean }} config
 */
export function parseCommandLine({ usage, options, allowPositionals = false }) {
  const all = { ...options, help: HELP };
  const missing = Object.keys(all).filter((name) => !mentions(usage, name));
  if (missing.length > 0) throw new Error(`the usage text does not describe ${missing.map((name) => `--${name}`).join(', ')}`);

  let parsed;
  try {
    parsed = parseArgs({ options: all, allowPositionals, strict: true });
  } catch (error) {
    // Only the user's mistakes are usage errors; a bad option declaration stays a crash.
    if (!String(error?.code).startsWith('ERR_PARSE_ARGS_')) throw error;
    usageError(usage, error.message);
  }
  const { help, ...values } = parsed.values;
  if (help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return { values, positionals: parsed.positionals };
}

/**
 * A command line the tool cannot run with (also one parseArgs accepts, e.g. an unknown --backend): `error: <message>`
 * and the usage on stderr, exit 2.
 * @param {string} usage
 * @param {string} message
 * @returns {never}
 */
export function usageError(usage, message) {
  process.stderr.write(`error: ${message}\n\n${usage}\n`);
  process.exit(2);
}

/** `--name` as a whole word: --json does not count for --json-file. */
function mentions(usage, name) {
  return usage.split(`--${name}`).slice(1).some((after) => !/^[\w-]/.test(after));
}
