import { z } from 'zod';
import { GENERATOR_DEFAULTS } from '../shared/defaults';
import {
  booleanFlagSchema,
  cudaBackendSchema,
  packageVersionSchema,
  pythonVersionSchema,
  uvVersionSchema,
} from '../shared/options';

export const dockerfileGeneratorSchema = z
  .object({
    /** The project: its Nx name, its normalized `[project].name`, or the folder holding its pyproject.toml. */
    project: z.string().min(1),
    /** The backend a plain `docker buildx build` builds (CUDA_VERSION, TORCH_BACKEND). Default: the first CUDA extra, else cu124. */
    defaultBackend: cudaBackendSchema.optional(),
    /** Default: `.python-version`, else the lowest `requires-python`, else 3.12. */
    pythonVersion: pythonVersionSchema.optional(),
    /** Compile flash-attn in the wheel stages. Default: whether the project requires flash-attn. */
    flashAttn: booleanFlagSchema.optional(),
    /** Default: the version the project pins (`flash-attn==X`), else the generators' default. */
    flashAttnVersion: packageVersionSchema.optional(),
    uvVersion: uvVersionSchema.default(GENERATOR_DEFAULTS.uvVersion),
    /** Replace an existing `docker/Dockerfile-cu124-uv`. */
    overwrite: booleanFlagSchema.default(false),
  })
  .strict();

export type DockerfileGeneratorOptions = z.input<typeof dockerfileGeneratorSchema>;
