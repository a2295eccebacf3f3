import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineEnv, type EngineEndpoint } from '../../docker/engine-endpoint';
import type { InterruptScope } from '../../process/interruptible';
import { runBuild } from '../shared/run-build';
import { DIGESTS_FILE } from './wheel-digests';

/** Exports the files of a wheels image into `dest` (a build of `FROM <reference>` with a local output). */
export async function pullWheels(reference: string, dest: string, scope: InterruptScope, engine?: EngineEndpoint): Promise<boolean> {
  const emptyContext = scope.temporary(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-context-')));
  const run = await runBuild(
    ['buildx', 'build', '--file', dockerfileOf(`FROM ${reference}\n`, scope), '--progress', 'plain', '--output', `type=local,dest=${dest}`, emptyContext],
    { scope, env: engineEnv(engine), what: `the pull of ${reference}` },
  );
  return run.exitCode === 0;
}

/** Pushes the .whl files of `wheelsDir` and their digests as a `FROM scratch` image, so other machines skip the compile. */
export async function pushWheels(reference: string, wheelsDir: string, scope: InterruptScope, engine?: EngineEndpoint): Promise<boolean> {
  const run = await runBuild(
    [
      'buildx', 'build', '--file', dockerfileOf(`FROM scratch\nCOPY *.whl ${DIGESTS_FILE} /\n`, scope), '--progress', 'plain', '--provenance=false',
      '--output', `type=image,name=${reference},push=true`, wheelsDir,
    ],
    { scope, env: engineEnv(engine), what: `the push of ${reference}` },
  );
  return run.exitCode === 0;
}

/**
 * A Dockerfile of ours in a temporary folder that the scope removes. Not `--file -`: buildx 0.13 writes a stdin
 * Dockerfile to a /tmp/dockerfileNNNN folder and leaves it there.
 */
function dockerfileOf(text: string, scope: InterruptScope): string {
  const dir = scope.temporary(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-dockerfile-')));
  const file = join(dir, 'Dockerfile');
  writeFileSync(file, text);
  return file;
}
