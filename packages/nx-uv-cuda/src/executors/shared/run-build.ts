import { snapshotRace } from '../../docker/transient-errors';
import type { InterruptScope } from '../../process/interruptible';
import { runCommand, type CommandResult } from '../../process/run-command';
import { info } from './log';

/** How many times a build that lost the engine's snapshot race runs again (it is cached by then: seconds). */
export const SNAPSHOT_RACE_RETRIES = 2;

export interface BuildRun {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  scope: InterruptScope;
  /** buildx's progress mode: with `tty` buildx wants the terminal itself, so its error cannot be read. */
  progress?: string;
  /** For the retry line: what is being built. */
  what: string;
  /** Credential values that the build's output must not show (see secretValues). */
  mask?: readonly string[];
}

/**
 * Runs one `docker buildx build` with the user watching its output, and runs it again, a bounded number of
 * times, when it failed on the containerd image store's snapshot race (docker/transient-errors.ts) and on
 * nothing else: parallel builds (`nx run-many --parallel`) that share layers then pass instead of failing.
 */
export async function runBuild(argv: string[], run: BuildRun): Promise<CommandResult> {
  for (let attempt = 0; ; attempt += 1) {
    const result = await runCommand('docker', argv, {
      cwd: run.cwd,
      env: run.env,
      stdio: 'inherit',
      keepStderr: run.progress !== 'tty',
      mask: run.mask,
      signal: run.scope.signal,
    });
    const race = result.exitCode !== 0 && !result.interrupted ? snapshotRace(result.stderr) : undefined;
    if (!race || attempt >= SNAPSHOT_RACE_RETRIES) return result;
    info(
      `${run.what} lost a race in the engine's containerd image store (${race}; moby/buildkit#6521): ` +
        `running it again (${attempt + 2} of ${SNAPSHOT_RACE_RETRIES + 1}), its layers are cached`,
    );
  }
}
