// docs/reference.md is written by hand and checked here against the zod schemas the plugin validates with:
// every option of every schema has a row, no row names an option that no longer exists, and every default the
// schema fills in is the one the row shows. New executors and generators are picked up from their folders.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pluginOptionsSchema, stageNamesSchema, targetNamesSchema } from '../../packages/nx-uv-cuda/src/config/plugin-options';
import { projectConfigSchema } from '../../packages/nx-uv-cuda/src/config/project-config';

const REPO_ROOT = join(__dirname, '..', '..');
const SRC = join(REPO_ROOT, 'packages', 'nx-uv-cuda', 'src');
const REFERENCE = join(REPO_ROOT, 'docs', 'reference.md');

interface Row {
  key: string;
  text: string;
}

/** The rows of the table after `<!-- reference: <id> -->` whose first cell is one option in backticks. */
export function referenceRows(markdown: string, id: string): Row[] | undefined {
  const marker = `<!-- reference: ${id} -->`;
  const start = markdown.indexOf(marker);
  if (start === -1) return undefined;
  const rest = markdown.slice(start + marker.length);
  const end = rest.search(/<!-- reference: |\n#{1,3} /);
  const section = end === -1 ? rest : rest.slice(0, end);
  return section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .flatMap((line) => {
      const key = /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1];
      // A `|` inside a cell is written `\|` (else it ends the cell).
      return key === undefined ? [] : [{ key, text: line.replaceAll('\\|', '|') }];
    });
}

/** How a default is written in a row: a string as is, anything else as JSON, in backticks. */
export function renderDefault(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

interface SchemaFacts {
  keys: string[];
  defaults: Record<string, unknown>;
}

/** The options of a zod object schema (its input side) and the defaults zod fills in. */
function schemaFacts(schema: z.ZodType): SchemaFacts {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema & {
    properties?: Record<string, JsonSchema & { default?: unknown }>;
  };
  const properties = json.properties ?? {};
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) if ('default' in property) defaults[key] = property.default;
  // Defaults behind a preprocess or transform step do not reach the JSON schema: parse a minimal input to see them.
  const minimal = dummyFor(json) as Record<string, unknown>;
  const parsed = schema.safeParse(minimal);
  if (parsed.success && parsed.data && typeof parsed.data === 'object') {
    for (const key of Object.keys(properties)) {
      const value = (parsed.data as Record<string, unknown>)[key];
      if (!(key in minimal) && value !== undefined && !(key in defaults)) defaults[key] = value;
    }
  }
  return { keys: Object.keys(properties), defaults };
}

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

/** The smallest value of a JSON schema's shape: required properties only, the first enum value, 'x', 1, false. */
function dummyFor(schema: JsonSchema): unknown {
  if (schema.enum) return schema.enum[0];
  if (schema.type === 'object' || schema.properties) {
    return Object.fromEntries((schema.required ?? []).map((key) => [key, dummyFor(schema.properties?.[key] ?? {})]));
  }
  const byType: Record<string, unknown> = { number: 1, integer: 1, boolean: false, array: [] };
  return schema.type !== undefined && schema.type in byType ? byType[schema.type] : 'x';
}

/** The zod schema a module exports, found as the build's schema.json step finds it: the first zod export. */
async function exportedSchema(file: string): Promise<z.ZodType> {
  const module = (await import(file)) as Record<string, unknown>;
  const schema = Object.values(module).find((value): value is z.ZodType => value instanceof z.ZodType);
  if (!schema) throw new Error(`${file} exports no zod schema`);
  return schema;
}

function folders(dir: string, file: string): string[] {
  return readdirSync(dir).filter((name) => existsSync(join(dir, name, file))).sort();
}

const sections: Array<[string, () => Promise<z.ZodType> | z.ZodType]> = [
  ['plugin-options', () => pluginOptionsSchema],
  ['target-names', () => targetNamesSchema],
  ['stage-names', () => stageNamesSchema],
  ['project-config', () => projectConfigSchema],
  ...folders(join(SRC, 'executors'), 'schema.ts').map(
    (name): [string, () => Promise<z.ZodType>] => [`executor:${name}`, () => exportedSchema(join(SRC, 'executors', name, 'schema.ts'))],
  ),
  ...folders(join(SRC, 'generators'), 'schema.ts').map(
    (name): [string, () => Promise<z.ZodType>] => [`generator:${name}`, () => exportedSchema(join(SRC, 'generators', name, 'schema.ts'))],
  ),
];

describe('docs/reference.md', () => {
  const markdown = readFileSync(REFERENCE, 'utf8');

  it.each(sections)('documents every option of %s, and no other', async (id, load) => {
    const rows = referenceRows(markdown, id);
    expect(rows, `docs/reference.md has no "<!-- reference: ${id} -->" table`).toBeDefined();
    const { keys } = schemaFacts(await load());
    const documented = rows!.map((row) => row.key);
    expect(documented.filter((key) => !keys.includes(key)), `${id}: rows for options that do not exist`).toEqual([]);
    expect(keys.filter((key) => !documented.includes(key)), `${id}: options without a row`).toEqual([]);
    expect(new Set(documented).size, `${id}: an option has two rows`).toBe(documented.length);
  });

  it.each(sections)('shows the defaults of %s as the schema fills them in', async (id, load) => {
    const rows = referenceRows(markdown, id) ?? [];
    const { defaults } = schemaFacts(await load());
    for (const [key, value] of Object.entries(defaults)) {
      const row = rows.find((candidate) => candidate.key === key);
      expect(row?.text ?? '(no row)', `${id}.${key}: the row should show the default ${renderDefault(value)}`).toContain(renderDefault(value));
    }
  });

  it('has a section for every executor and generator the package declares', () => {
    const packageDir = join(REPO_ROOT, 'packages', 'nx-uv-cuda');
    const executors = Object.keys(JSON.parse(readFileSync(join(packageDir, 'executors.json'), 'utf8')).executors);
    const generators = Object.keys(JSON.parse(readFileSync(join(packageDir, 'generators.json'), 'utf8')).generators);
    for (const name of executors) expect(markdown, `executor ${name}`).toContain(`<!-- reference: executor:${name} -->`);
    for (const name of generators) expect(markdown, `generator ${name}`).toContain(`<!-- reference: generator:${name} -->`);
  });

  it('names each inferred target by its default name', () => {
    const names = targetNamesSchema.parse({}) as Record<string, string>;
    const targets = referenceRows(markdown, 'targets')?.map((row) => row.key) ?? [];
    for (const name of new Set(Object.values(names))) {
      expect(targets.some((target) => target === name || target === `${name}-<backend>`), `target ${name}`).toBe(true);
    }
  });
});

describe('the reference checker', () => {
  const markdown = [
    '## A',
    '<!-- reference: a -->',
    '| option | default |',
    '| --- | --- |',
    '| `x` | `1` |',
    '| `y` | – |',
    '## B',
    '| `z` | |',
  ].join('\n');

  it('reads the rows of one section, up to the next heading', () => {
    expect(referenceRows(markdown, 'a')?.map((row) => row.key)).toEqual(['x', 'y']);
    expect(referenceRows(markdown, 'b')).toBeUndefined();
  });

  it('writes defaults as the docs do', () => {
    expect(renderDefault('none')).toBe('`none`');
    expect(renderDefault(600)).toBe('`600`');
    expect(renderDefault(['a'])).toBe('`["a"]`');
  });

  it('sees the keys and defaults of a schema, also behind a preprocess step', () => {
    const schema = z
      .object({
        name: z.string(),
        count: z.number().default(3),
        flag: z.preprocess((value) => value, z.boolean()).default(true),
        pipe: z.object({ 'kebab-key': z.string().optional() }).transform((value) => value),
      })
      .strict();
    expect(schemaFacts(schema)).toEqual({ keys: ['name', 'count', 'flag', 'pipe'], defaults: { count: 3, flag: true } });
  });
});
