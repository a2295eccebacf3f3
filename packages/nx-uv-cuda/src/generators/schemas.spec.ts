import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dockerfileGeneratorSchema } from './dockerfile/schema';
import { initGeneratorSchema } from './init/schema';
import { serviceGeneratorSchema } from './service/schema';

const PACKAGE_DIR = join(__dirname, '..', '..');
const ZOD_SCHEMAS: Record<string, z.ZodType> = {
  init: initGeneratorSchema,
  service: serviceGeneratorSchema,
  dockerfile: dockerfileGeneratorSchema,
};
const generatorsJson = JSON.parse(readFileSync(join(PACKAGE_DIR, 'generators.json'), 'utf8')).generators as Record<
  string,
  { factory: string; schema: string }
>;

describe('generators.json', () => {
  it('lists init (run by `nx add`), service and dockerfile', () => {
    expect(Object.keys(generatorsJson).sort()).toEqual(['dockerfile', 'init', 'service']);
  });

  it.each(Object.entries(generatorsJson))('%s points at files the build produces from src/', (name, entry) => {
    expect(entry.factory).toBe(`./dist/generators/${name}/generator`);
    expect(entry.schema).toBe(`./dist/generators/${name}/schema.json`);
    expect(existsSync(join(PACKAGE_DIR, 'src', 'generators', name, 'generator.ts'))).toBe(true);
    expect(existsSync(join(PACKAGE_DIR, 'src', 'generators', name, 'schema.json'))).toBe(true);
  });

  it.each(Object.keys(generatorsJson))('%s exports its generator as the default export, where Nx looks', async (name) => {
    const module = await import(`./${name}/generator`);
    expect(typeof module.default).toBe('function');
  });

  it('is what package.json names', () => {
    const packageJson = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
    expect(packageJson.generators).toBe('./generators.json');
    expect(packageJson.files).toContain('generators.json');
  });
});

describe.each(Object.entries(ZOD_SCHEMAS))('the %s schema.json Nx reads', (name, schema) => {
  const nxSchema = JSON.parse(readFileSync(join(__dirname, name, 'schema.json'), 'utf8'));
  const zodJson = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, { default?: unknown }>;
    required?: string[];
  };

  it('has exactly the options the zod schema validates', () => {
    expect(Object.keys(nxSchema.properties).sort()).toEqual(Object.keys(zodJson.properties).sort());
    expect(nxSchema.additionalProperties).toBe(false);
  });

  it('has the same required options and defaults', () => {
    const required = zodJson.required ?? [];
    expect([...(nxSchema.required ?? [])].sort()).toEqual([...required].sort());
    // The defaults zod fills in when only the required options are given (a name for each).
    const defaults = schema.parse(Object.fromEntries(required.map((key) => [key, 'x']))) as Record<string, unknown>;
    for (const key of Object.keys(zodJson.properties).filter((key) => !required.includes(key))) {
      expect(nxSchema.properties[key].default, `${name}.${key}`).toEqual(defaults[key]);
    }
  });
});
