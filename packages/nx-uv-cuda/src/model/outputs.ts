import { posix } from 'node:path';

/**
 * Every file and folder a project's tasks write, workspace-relative, under `dist/<project root>/`. Targets
 * declare these as outputs, executors write them, and the next task reads them (see task-files.ts).
 */
export function projectOutputs(root: string) {
  const base = posix.join('dist', root);
  const keysDir = posix.join(base, 'keys');
  return {
    /** The packages the backend's dev (all groups) or prod image installs, cut from uv.lock (lock-slice target). */
    lockSlice: (backend: string, slice: 'dev' | 'prod') => posix.join(base, 'locks', `${backend}-${slice}.json`),
    /**
     * What each build of one Dockerfile for one backend reads (keys target): the wheel and image targets hash only
     * these. `build` is `<label>-<backend>` (`<backend>` for the project's only or main Dockerfile).
     */
    keys: (build: string) => ({
      wheel: posix.join(keysDir, `${build}-wheel.json`),
      /** `dev` and `prod` for the recipe's images, `image-<stage>` for any other product stage. */
      image: (name: string) => posix.join(keysDir, `${build}-${name}.json`),
      /** The build args to pass (speed-only ones included): read by the executors, hashed by no target. */
      buildArgs: posix.join(keysDir, `${build}-build.json`),
    }),
    /** The wheel files of one Dockerfile's backend (wheel target). */
    wheels: (build: string) => posix.join(base, 'wheels', build),
    /** What an image build made: reference, digest, tags (image target); `name` is the image's kind or stage. */
    image: (build: string, name: string) => posix.join(base, 'images', `${name}-${build}.json`),
  };
}

export type ProjectOutputs = ReturnType<typeof projectOutputs>;
