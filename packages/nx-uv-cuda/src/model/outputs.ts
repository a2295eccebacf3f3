import { posix } from 'node:path';

export type ImageKind = 'dev' | 'prod';
export const IMAGE_KINDS: readonly ImageKind[] = ['dev', 'prod'];

/**
 * Every file and folder a project's tasks write, workspace-relative, under `dist/<project root>/`. Targets
 * declare these as outputs, executors write them, and the next task reads them (see task-files.ts).
 */
export function projectOutputs(root: string) {
  const base = posix.join('dist', root);
  const keysDir = posix.join(base, 'keys');
  return {
    /** The packages the backend's dev or prod image installs, cut from uv.lock (lock-slice target). */
    lockSlice: (backend: string, kind: ImageKind) => posix.join(base, 'locks', `${backend}-${kind}.json`),
    /** What each build of a backend reads (keys target): the wheel and image targets hash only these. */
    keys: (backend: string) => ({
      wheel: posix.join(keysDir, `${backend}-wheel.json`),
      dev: posix.join(keysDir, `${backend}-dev.json`),
      prod: posix.join(keysDir, `${backend}-prod.json`),
      /** The build args to pass (speed-only ones included): read by the executors, hashed by no target. */
      buildArgs: posix.join(keysDir, `${backend}-build.json`),
    }),
    /** The wheel files of a backend (wheel target). */
    wheels: (backend: string) => posix.join(base, 'wheels', backend),
    /** What an image build made: reference, digest, tags (image target). */
    image: (backend: string, kind: ImageKind) => posix.join(base, 'images', `${kind}-${backend}.json`),
  };
}

export type ProjectOutputs = ReturnType<typeof projectOutputs>;
