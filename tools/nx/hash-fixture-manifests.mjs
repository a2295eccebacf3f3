// Runtime input of the `unit` target (--help says what it prints). .nxignore hides the fixture manifests from Nx
// so that they cannot become projects of this repository; Nx therefore cannot hash them itself. The rule here
// must match .nxignore's.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../cli.mjs';

parseCommandLine({
  usage: `Usage: node tools/nx/hash-fixture-manifests.mjs [options]

Prints one sha256 over the path and content of every fixture manifest (package.json, project.json,
pyproject.toml, nx.json under a fixtures/ or __fixtures__/ folder) that .nxignore hides from Nx: the runtime
input of the unit target.

Options:
  -h, --help   show this help`,
  options: {},
});

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE_FOLDERS = new Set(['fixtures', '__fixtures__']);
const MANIFESTS = new Set(['package.json', 'project.json', 'pyproject.toml', 'nx.json']);
const SKIPPED = new Set(['node_modules', '.git', '.nx', 'dist', 'tmp', 'coverage', '.cache']);

const hash = createHash('sha256');
for (const file of walk(REPO_ROOT, false)) {
  hash.update(`${relative(REPO_ROOT, file).split(sep).join('/')}\0`);
  hash.update(readFileSync(file));
  hash.update('\0');
}
console.log(hash.digest('hex'));

/** The manifests below a fixture folder, in a stable order. */
function* walk(dir, inFixture) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (!SKIPPED.has(entry.name)) yield* walk(join(dir, entry.name), inFixture || FIXTURE_FOLDERS.has(entry.name));
    } else if (inFixture && entry.isFile() && MANIFESTS.has(entry.name)) {
      yield join(dir, entry.name);
    }
  }
}
