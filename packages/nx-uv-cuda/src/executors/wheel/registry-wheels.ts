import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineEnv, type EngineEndpoint } from '../../docker/engine-endpoint';
import type { InterruptScope } from '../../process/interruptible';
import { runBuild } from '../shared/run-build';

/** Exports the files of a wheels image into `dest` (a build of `FROM <reference>` with a local output). */
export async function pullWheels(reference: string, dest: string, scope: InterruptScope, engine?: EngineEndpoint): Promise<boolean> {
  const emptyContext = scope.temporary(mkdtempSync(join(tmpdir(), 'nx-uv-cuda-context-')));
  const run = await runBuild(
    ['buildx', 'build', '--file', '-', '--progress', 'plain', '--output', `type=local,dest=${dest}`, emptyContext],
    { input: `FROM ${reference}\n`, scope, env: engineEnv(engine), what: `the pull of ${reference}` },
  );
  return run.exitCode === 0;
}

/** Pushes the .whl files of `wheelsDir` as a `FROM scratch` image, so other machines skip the compile. */
export async function pushWheels(reference: string, wheelsDir: string, scope: InterruptScope, engine?: EngineEndpoint): Promise<boolean> {
  const run = await runBuild(
    [
      'buildx', 'build', '--file', '-', '--progress', 'plain', '--provenance=false',
      '--output', `type=image,name=${reference},push=true`, wheelsDir,
    ],
    { input: 'FROM scratch\nCOPY *.whl /\n', scope, env: engineEnv(engine), what: `the push of ${reference}` },
  );
  return run.exitCode === 0;
}
