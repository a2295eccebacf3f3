// A stand-in for `uv lock`, for e2e/tour.e2e.ts only: the README tour runs `uv lock --directory DIR`, and the
// machines the e2e tests run on reach neither PyPI nor download.pytorch.org and have no uv binary. It answers only
// that command, and writes the lock that uv would write as far as nx-uv-cuda reads it: the ml-monorepo fixture's
// production lock (e2e/fixtures/ml-monorepo/services/ml-service/prod/uv.lock: torch 2.5.1+cu124 / 2.7.0+cu128 from
// the PyTorch indexes, flash-attn, their dependencies, conflicting extras), adapted to DIR/pyproject.toml: its
// project name (and uv's `extra-<length>-<name>-<extra>` encoding of it), its requires-python, and the root
// package's source (`virtual` for `[tool.uv] package = false`, else `editable`). The package versions stay the
// fixture's: this resolves nothing. It refuses a project whose extras are not the fixture's, since the lock would
// then name backends the project does not have. Each call is appended, as JSON, to $NX_UV_CUDA_TOUR_UV_LOG.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';

const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ml-monorepo', 'services', 'ml-service', 'prod', 'uv.lock');
const TEMPLATE_NAME = 'ml-service';

function fail(message) {
  process.stderr.write(`uv (stand-in of e2e/support/tour/uv-stand-in.mjs): ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (process.env.NX_UV_CUDA_TOUR_UV_LOG) {
  appendFileSync(process.env.NX_UV_CUDA_TOUR_UV_LOG, `${JSON.stringify({ args, cwd: process.cwd() })}\n`);
}
let directory = '.';
if (args[0] !== 'lock') fail(`only \`uv lock [--directory DIR]\` is stood in, not \`uv ${args.join(' ')}\``);
for (let i = 1; i < args.length; i += 1) {
  if (args[i] === '--directory' && args[i + 1] !== undefined) directory = args[++i];
  else if (args[i].startsWith('--directory=')) directory = args[i].slice('--directory='.length);
  else fail(`only \`uv lock [--directory DIR]\` is stood in, not the option ${args[i]}`);
}

const dir = resolve(directory);
const manifest = join(dir, 'pyproject.toml');
if (!existsSync(manifest)) fail(`No \`pyproject.toml\` found in ${dir}`);
const pyproject = parse(readFileSync(manifest, 'utf8'));
const name = String(pyproject.project?.name ?? '')
  .toLowerCase()
  .replace(/[-_.]+/g, '-');
if (!name) fail(`${manifest} has no [project].name`);

const template = readFileSync(TEMPLATE, 'utf8');
const root = parse(template).package.find((pkg) => pkg.name === TEMPLATE_NAME);
const extras = Object.keys(pyproject.project['optional-dependencies'] ?? {}).sort();
const templateExtras = Object.keys(root['optional-dependencies'] ?? {}).sort();
if (extras.join() !== templateExtras.join()) {
  fail(`${manifest} declares the extras [${extras}], the stand-in's lock holds [${templateExtras}]: it cannot stand in for this project`);
}

const virtual = pyproject.tool?.uv?.package === false;
const requiresPython = pyproject.project['requires-python'];
let lock = template
  .replaceAll(`extra-${TEMPLATE_NAME.length}-${TEMPLATE_NAME}-`, `extra-${name.length}-${name}-`)
  .replaceAll(`"${TEMPLATE_NAME}"`, `"${name}"`)
  .replace('source = { virtual = "." }', virtual ? 'source = { virtual = "." }' : 'source = { editable = "." }');
if (requiresPython) lock = lock.replace(/^requires-python = .*$/m, `requires-python = ${JSON.stringify(requiresPython)}`);
writeFileSync(join(dir, 'uv.lock'), lock);
process.stderr.write(`Resolved ${parse(lock).package.length} packages (stand-in: the ml-monorepo fixture's lock, for ${name})\n`);
