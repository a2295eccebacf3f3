// Builds packages/nx-uv-cuda (--help says how). Each executor's schema.json is generated from its zod schema so
// that Nx's schema and the executor's validation cannot drift apart.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from './cli.mjs';

parseCommandLine({
  usage: `Usage: node tools/build-plugin.mjs [options]

Builds packages/nx-uv-cuda: a clean TypeScript compile into dist/, then each executor's schema.json generated
from its zod schema, then the generator templates that tsc does not copy.

Options:
  -h, --help   show this help`,
  options: {},
});

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = join(repoRoot, 'packages', 'nx-uv-cuda');
const srcDir = join(packageDir, 'src');
const distDir = join(packageDir, 'dist');
const require = createRequire(join(packageDir, 'package.json'));

rmSync(distDir, { recursive: true, force: true });
execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(packageDir, 'tsconfig.json')], {
  stdio: 'inherit',
});

const { z } = require('zod');
const executorsDir = join(distDir, 'executors');
for (const name of readdirSync(executorsDir)) {
  const schemaModule = join(executorsDir, name, 'schema.js');
  if (!existsSync(schemaModule)) continue;
  const schema = Object.values(require(schemaModule)).find((value) => value instanceof z.ZodType);
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  delete jsonSchema.$schema;
  const nxSchema = { $schema: 'https://json-schema.org/schema', version: 2, title: `nx-uv-cuda:${name}`, ...jsonSchema };
  writeFileSync(join(executorsDir, name, 'schema.json'), `${JSON.stringify(nxSchema, null, 2)}\n`);
}

for (const file of walk(srcDir)) {
  if (/\/generators\/[^/]+\/(files\/.*|schema\.json)$/.test(file)) {
    cpSync(file, join(distDir, relative(srcDir, file)), { recursive: true });
  }
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
