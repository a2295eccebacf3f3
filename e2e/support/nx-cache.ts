import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../tools/example-workspace.mjs';
import { freePort } from '../../tools/free-port.mjs';
import { disposeLater } from './workspace';

const SERVE = join(REPO_ROOT, 'tools', 'nx-cache', 'serve.sh');

/** A real Nx self-hosted remote cache (nginx, tools/nx-cache/serve.sh) on 127.0.0.1, with its own data folder. */
export interface RemoteCache {
  url: string;
  dataDir: string;
  readWriteToken: string;
  readOnlyToken: string;
  /** The environment that points Nx at it, with either token. */
  env(access: 'read-write' | 'read-only'): Record<string, string>;
  /** The stored entries (one gzipped tar per task hash). */
  entries(): string[];
  /** The entries whose archives hold `text` anywhere (outputs and terminal output). */
  entriesHolding(text: string): string[];
  stop(): void;
}

export async function startRemoteCache(): Promise<RemoteCache> {
  const root = disposeLater(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-remote-cache-')));
  const dataDir = join(root, 'data');
  const suffix = Date.now().toString(36);
  const readWriteToken = `rw-${suffix}`;
  const readOnlyToken = `ro-${suffix}`;
  const port = await freePort();
  const url = execFileSync(
    'bash',
    [SERVE, 'start', '--port', String(port), '--data-dir', dataDir, '--token', readWriteToken, '--read-only-token', readOnlyToken],
    { encoding: 'utf8', timeout: 60_000 },
  ).trim();
  const entries = () => readdirSync(dataDir).filter((name) => /^\d+$/.test(name)).sort();
  return {
    url,
    dataDir,
    readWriteToken,
    readOnlyToken,
    env: (access) => ({
      NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url,
      NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: access === 'read-write' ? readWriteToken : readOnlyToken,
    }),
    entries,
    entriesHolding: (text) =>
      entries().filter((entry) => execFileSync('tar', ['-xOzf', join(dataDir, entry)], { timeout: 60_000, maxBuffer: 1 << 30 }).includes(text)),
    stop: () => {
      execFileSync('bash', [SERVE, 'stop', '--data-dir', dataDir], { stdio: 'pipe', timeout: 60_000 });
    },
  };
}
