// Every command-line tool of the repository answers --help with its usage, and starts nothing doing so.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from './cli.mjs';

const REPO_ROOT = join(__dirname, '..');
const TIMEOUT_MS = 20_000;
/** Well under the timeout: a --help that takes longer is doing something. */
const QUICK_MS = 5_000;

/**
 * The node CLIs: every file under tools/ whose source calls parseCommandLine (tools/cli.mjs), found rather than
 * listed, so a new tool is checked too. Their options need no list here: parseCommandLine throws (and --help
 * fails) when the usage misses one.
 */
const NODE_CLIS = nodeClis(join(REPO_ROOT, 'tools'));
const SHELL_CLIS = [
  'tools/docker/provision.sh',
  'tools/docker/second-engine.sh',
  'tools/gpu/pack-for-device.sh',
  'tools/gpu/run-gpu-e2e.sh',
  'tools/nx-cache/serve.sh',
  '.ci/run',
];

// Stand-ins first on PATH for what a tool that did start would run: each notes its name in CALLS.
const STUBS = mkdtempSync(join(tmpdir(), 'nx-uv-cuda-cli-help-'));
const CALLS = join(STUBS, 'calls');
for (const name of ['docker', 'dockerd', 'nginx', 'apt-get', 'npm', 'npx']) {
  writeFileSync(join(STUBS, name), `#!/bin/sh\necho ${name} >> '${CALLS}'\nexit 1\n`);
  chmodSync(join(STUBS, name), 0o755);
}
afterAll(() => rmSync(STUBS, { recursive: true, force: true }));

function help(file: string, args: string[]): string {
  const started = Date.now();
  const output = execFileSync(file, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    env: { ...process.env, PATH: `${STUBS}${delimiter}${process.env.PATH}` },
  });
  expect(Date.now() - started).toBeLessThan(QUICK_MS);
  expect(existsSync(CALLS) ? readFileSync(CALLS, 'utf8') : '').toBe('');
  expect(output.split('\n')[0]).toMatch(/^Usage:/);
  return output;
}

/** Relative to the repository, sorted: the .mjs/.cjs/.js files under `dir` (not in node_modules, not specs) that call parseCommandLine( (not its definition). */
function nodeClis(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : nodeClis(path);
      if (!entry.isFile() || !/\.(?:mjs|cjs|js)$/.test(entry.name) || /\.spec\./.test(entry.name)) return [];
      return /(?<!function\s+)\bparseCommandLine\(/.test(readFileSync(path, 'utf8')) ? [relative(REPO_ROOT, path).split(sep).join('/')] : [];
    })
    .sort();
}

it('finds the node CLIs under tools/, not parseCommandLine itself', () => {
  expect(NODE_CLIS.length).toBeGreaterThan(0);
  expect(NODE_CLIS).not.toContain('tools/cli.mjs');
});

describe.each(NODE_CLIS)('%s --help', (cli) => {
  it('prints the usage', () => {
    const output = help(process.execPath, [cli, '--help']);
    expect(output).toMatch(/--help(?![\w-])/);
  });
});

describe.each(SHELL_CLIS)('%s --help', (cli) => {
  it('prints the usage', () => {
    help('bash', [cli, '--help']);
  });
});

describe('parseCommandLine', () => {
  const usage = 'Usage: node x.mjs [options]\n\nOptions:\n  --json FILE   write JSON\n  -h, --help    show this help';

  it('exits 2 with the error and the usage on stderr for an unknown option', () => {
    const script = `import { parseCommandLine } from ${JSON.stringify(pathToFileURL(join(__dirname, 'cli.mjs')).href)};
parseCommandLine({ usage: ${JSON.stringify(usage)}, options: { json: { type: 'string' } } });
console.log('parsed');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, '--', '--jsn', 'out.json'], {
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: Unknown option '--jsn'/);
    expect(result.stderr).toContain(usage);
  });

  it('throws when the usage does not describe a declared option', () => {
    expect(() => parseCommandLine({ usage, options: { json: { type: 'string' }, keep: { type: 'boolean' } } })).toThrow(
      'the usage text does not describe --keep',
    );
    // --json-file does not describe --json.
    expect(() => parseCommandLine({ usage: usage.replace('--json', '--json-file'), options: { json: { type: 'string' } } })).toThrow(
      '--json',
    );
  });
});
