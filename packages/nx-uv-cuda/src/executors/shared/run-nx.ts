import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PluginError } from '../../core/errors';
import type { InterruptScope } from '../../process/interruptible';
import { runCommand } from '../../process/run-command';

/**
 * Runs targets of one project through the workspace's own nx CLI (with their dependencies and Nx's cache), for
 * a task whose dependencies Nx left out of its graph. Output is relayed; unbounded, as the builds it runs.
 */
export async function runTargets(workspaceRoot: string, project: string, targets: string[], scope: InterruptScope): Promise<void> {
  const manifest = require.resolve('nx/package.json', { paths: [workspaceRoot] });
  // Where nx keeps its CLI moved between majors (bin/nx.js, later dist/bin/nx.js): its package.json says.
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  const cli = join(dirname(manifest), typeof bin === 'string' ? bin : bin.nx);
  const args = ['run-many', `--targets=${targets.join(',')}`, `--projects=${project}`, '--outputStyle=stream'];
  const run = await runCommand(process.execPath, [cli, ...args], { cwd: workspaceRoot, stdio: 'inherit', signal: scope.signal });
  if (run.interrupted) throw new PluginError('interrupted', `nx ${args.join(' ')} interrupted`);
  if (run.exitCode !== 0) throw new PluginError('command', `nx ${args.join(' ')} failed (exit ${run.exitCode}): nothing was released`);
}
