import { z } from 'zod';
import { PluginError } from '../../core/errors';
import { formatZodIssues } from '../../core/zod-message';
import { CUDA_BACKEND } from '../../model/backends';

/** `--backends=cu124,cu128` reaches a generator as an array from Nx's CLI, as a string from some callers. */
const commaSeparated = (value: unknown) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : value;

export const cudaBackendSchema = z
  .string()
  .regex(CUDA_BACKEND, 'expected a PyTorch CUDA backend like cu124, cu126 or cu128');

export const backendListSchema = z.preprocess(
  commaSeparated,
  z
    .array(cudaBackendSchema)
    .min(1, 'expected at least one backend, e.g. cu124')
    .refine((list) => new Set(list).size === list.length, 'a backend is listed twice'),
);

export const pythonVersionSchema = z.string().regex(/^3\.\d{1,2}$/, 'expected a Python minor version like 3.12');

/** A PEP 440 release like 2.8.3 or 2.7.4.post1. */
export const packageVersionSchema = z
  .string()
  .regex(/^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?$/, 'expected a version like 2.8.3 or 2.7.4.post1');

export const uvVersionSchema = z.string().regex(/^\d+\.\d+\.\d+$/, 'expected an exact uv release like 0.10.12');

/** How `uv sync` outside Docker builds flash-attn against the environment's torch. */
export const flashAttnBuildSchema = z.enum(['match-runtime', 'no-build-isolation']);

/** Nx may hand a boolean flag over as a string (`--flashAttn=false` from some shells and callers). */
export const booleanFlagSchema = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean(),
);

/** Validates a generator's options with its zod schema; throws one readable message naming the options. */
export function parseGeneratorOptions<S extends z.ZodType>(schema: S, raw: unknown, generator: string): z.output<S> {
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    throw new PluginError('options', formatZodIssues(result.error.issues, `nx-uv-cuda:${generator} options`));
  }
  return result.data;
}
