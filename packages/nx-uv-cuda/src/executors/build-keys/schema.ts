import { z } from 'zod';

export const buildKeysExecutorSchema = z
  .object({
    /** The project's pyproject.toml, workspace-relative: build args and stages are resolved from it at run time. */
    pyproject: z.string().min(1),
    backend: z.string().min(1),
    /**
     * The plugin's options from nx.json, as inference saw them, as JSON text: Nx validates executor options
     * against schema.json and rejects nested objects under a property of free-form shape.
     */
    pluginOptions: z.string().default('{}'),
    lockSlices: z.object({ dev: z.string().min(1), prod: z.string().min(1) }).strict(),
    /** Folder of the key files: `<backend>-wheel.json`, `-dev.json`, `-prod.json` and `-build.json`. */
    keysDir: z.string().min(1),
  })
  .strict();

export type BuildKeysExecutorOptions = z.input<typeof buildKeysExecutorSchema>;
