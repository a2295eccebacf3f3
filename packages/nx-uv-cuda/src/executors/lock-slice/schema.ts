import { z } from 'zod';

export const lockSliceExecutorSchema = z
  .object({
    /** The governing uv.lock, workspace-relative. */
    lockFile: z.string().min(1),
    /** The service's minimal production lock (`<service>/prod/uv.lock`), when it has one. */
    prodLockFile: z.string().min(1).optional(),
    /** The project's normalized Python package name. */
    project: z.string().min(1),
    /** The backend extra to activate; unset for a project without backend extras. */
    backend: z.string().min(1).optional(),
    /** The dependency group that selects the backend (`uv sync --group cuda12`), for a backend that is a group. */
    backendGroup: z.string().min(1).optional(),
    /** Where the slices go; unset with `check`. */
    devOutput: z.string().min(1).optional(),
    prodOutput: z.string().min(1).optional(),
    /** Only check the lock: it reads, it holds the project, and the backend reaches every package it pins (a warning if not). */
    check: z.boolean().default(false),
  })
  .strict()
  .refine((options) => options.check || (options.devOutput && options.prodOutput), {
    message: 'expected devOutput and prodOutput, unless check is set',
  });

export type LockSliceExecutorOptions = z.input<typeof lockSliceExecutorSchema>;
export type LockSliceOptions = z.output<typeof lockSliceExecutorSchema>;
