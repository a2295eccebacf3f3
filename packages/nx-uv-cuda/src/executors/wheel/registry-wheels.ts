import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../process/run-command';
import type { InterruptScope } from '../../process/interruptible';

/** Whether the registry already holds `reference`. */
export async function registryHas(reference: string): Promise<boolean> {
  const inspect = await runCommand('docker', ['buildx', 'imagetools', 'inspect', reference], { stdio: 'pipe', timeoutMs: 60_000 });
  return inspect.exitCode === 0;
}

/** Exports the files of a wheels image into `dest` (a build of `FROM <reference>` with a local output). */
export async function pullWheels(reference: string, dest: string, scope: InterruptScope): Promise<boolean> {
  const emptyContext = scope.temporary(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-context-')));
  const run = await runCommand(
    'docker',
    ['buildx', 'build', '--file', '-', '--progress', 'plain', '--output', `type=local,dest=${dest}`, emptyContext],
    { stdio: 'inherit', input: `FROM ${reference}\n`, signal: scope.signal },
  );
  return run.exitCode === 0;
}

/** Pushes the .whl files of `wheelsDir` as a `FROM scratch` image, so other machines skip the compile. */
export async function pushWheels(reference: string, wheelsDir: string, scope: InterruptScope): Promise<boolean> {
  const run = await runCommand(
    'docker',
    [
      'buildx', 'build', '--file', '-', '--progress', 'plain', '--provenance=false',
      '--output', `type=image,name=${reference},push=true`, wheelsDir,
    ],
    { stdio: 'inherit', input: 'FROM scratch\nCOPY *.whl /\n', signal: scope.signal },
  );
  return run.exitCode === 0;
}
