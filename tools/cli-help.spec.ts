// Every command-line tool of the repository answers --help with its usage, and starts nothing doing so.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from './cli.mjs';

const REPO_ROOT = join(__dirname, '..');
const TIMEOUT_MS = 20_000;
/** Well under the timeout: a --help that takes longer is doing something. */
const QUICK_MS = 5_000;

/** Each node CLI with the options it declares (its --help must name every one). */
const NODE_CLIS: Record<string, string[]> = {
  'tools/bench/graph/run.mjs': ['services', 'runs', 'libs', 'lock-packages', 'json', 'keep', 'install-dir', 'cpu'],
  'tools/bench/graph/profile.mjs': ['services', 'libs', 'lock-packages', 'out', 'install-dir', 'keep'],
  'tools/bench/cache-scenarios/run.mjs': [
    'scenarios',
    'variants',
    'scaling',
    'compile-seconds',
    'json',
    'markdown',
    'keep',
    'install-dir',
    'work-dir',
  ],
  'tools/bench/fleet.mjs': ['compile-seconds', 'parallel', 'parts', 'json', 'keep'],
  'tools/bench/slim-prod.mjs': ['service', 'backend', 'json', 'keep'],
  'tools/demo/run-demo.mjs': [],
  'tools/realcases/run.mjs': ['repos', 'only', 'json', 'markdown', 'runs', 'timeout', 'expected', 'install-dir', 'keep'],
  'tools/build-plugin.mjs': [],
  'tools/nx/hash-fixture-manifests.mjs': [],
};
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

describe.each(Object.entries(NODE_CLIS))('%s --help', (cli, options) => {
  it('prints the usage with every option it declares', () => {
    const output = help(process.execPath, [cli, '--help']);
    for (const option of [...options, 'help']) expect(output).toMatch(new RegExp(`--${option}(?![\\w-])`));
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
