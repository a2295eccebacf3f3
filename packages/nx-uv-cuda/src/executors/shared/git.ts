import { runCommand } from '../../process/run-command';

export interface GitFacts {
  sha?: string;
  /** The origin URL without any credentials it may carry. */
  sourceUrl?: string;
}

export async function readGitFacts(cwd: string): Promise<GitFacts> {
  const [sha, remote] = await Promise.all([
    runCommand('git', ['rev-parse', 'HEAD'], { cwd, stdio: 'pipe', timeoutMs: 10_000 }),
    runCommand('git', ['config', '--get', 'remote.origin.url'], { cwd, stdio: 'pipe', timeoutMs: 10_000 }),
  ]);
  return {
    sha: sha.exitCode === 0 ? sha.stdout.trim() : undefined,
    sourceUrl: remote.exitCode === 0 && remote.stdout.trim() ? withoutCredentials(remote.stdout.trim()) : undefined,
  };
}

/** `https://user:token@host/repo.git` → `https://host/repo.git`: tokens never reach image labels. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
