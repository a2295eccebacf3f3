import { z } from 'zod';
import { GENERATOR_DEFAULTS } from '../shared/defaults';
import {
  backendListSchema,
  booleanFlagSchema,
  flashAttnBuildSchema,
  packageVersionSchema,
  pythonVersionSchema,
  uvVersionSchema,
} from '../shared/options';

/** A PEP 508 project name that also makes a Python package name: starts with a letter. */
const serviceNameSchema = z
  .string()
  .regex(
    /^[A-Za-z]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
    'expected a Python project name like ml-service: letters, digits, "-", "_" and ".", starting with a letter',
  );

const directorySchema = z
  .string()
  .min(1)
  .refine((dir) => !dir.startsWith('/') && !dir.split(/[\\/]/).includes('..'), 'expected a folder inside the workspace');

export const serviceGeneratorSchema = z
  .object({
    /** The Python project name (`[project].name`); the Nx project is named after it, normalized. */
    name: serviceNameSchema,
    /** The service folder, relative to the workspace root. Default: `services/<name>`. */
    directory: directorySchema.optional(),
    /** PyTorch CUDA backends: one extra, one PyTorch index and one set of image targets each. */
    backends: backendListSchema.default([...GENERATOR_DEFAULTS.backends]),
    pythonVersion: pythonVersionSchema.default(GENERATOR_DEFAULTS.pythonVersion),
    /** Compile flash-attn once per backend (the wheel targets); false: no flash-attn, FLASH_ATTN_VERSION=none. */
    flashAttn: booleanFlagSchema.default(true),
    flashAttnVersion: packageVersionSchema.default(GENERATOR_DEFAULTS.flashAttnVersion),
    /** How `uv sync` builds flash-attn against the environment's torch outside Docker. */
    flashAttnBuild: flashAttnBuildSchema.default(GENERATOR_DEFAULTS.flashAttnBuild),
    /** The uv release the image copies its binary from (and whose uv_build the project builds with). */
    uvVersion: uvVersionSchema.default(GENERATOR_DEFAULTS.uvVersion),
  })
  .strict();

export type ServiceGeneratorOptions = z.input<typeof serviceGeneratorSchema>;
export type NormalizedServiceOptions = z.output<typeof serviceGeneratorSchema>;
