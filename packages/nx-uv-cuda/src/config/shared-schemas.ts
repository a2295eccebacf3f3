import { z } from 'zod';

/** Docker build-arg names; values may be written as numbers or booleans in JSON/TOML and are passed as strings. */
export const buildArgsSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a build-arg name like CUDA_VERSION'),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
);

/** A backend is an extra name like cu124, cpu, rocm6.2 or xpu (or any name that sets CUDA_VERSION itself). */
export const backendNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a backend name like cu124, cu128, cpu or rocm6.2');
