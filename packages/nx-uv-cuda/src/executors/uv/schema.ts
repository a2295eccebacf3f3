import { z } from 'zod';

export const uvExecutorSchema = z
  .object({
    /** Arguments after `uv`, e.g. ["lock", "--check"]. */
    args: z.array(z.string()).min(1),
    /** Workspace-relative folder to run in (the one holding the governing uv.lock). */
    cwd: z.string().min(1).default('.'),
  })
  .strict();

export type UvExecutorOptions = z.input<typeof uvExecutorSchema>;
