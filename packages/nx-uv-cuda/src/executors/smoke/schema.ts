import { z } from 'zod';

export const DEFAULT_SMOKE_COMMAND = [
  'python',
  '-c',
  'import torch, flash_attn; print("torch", torch.__version__, "flash_attn", flash_attn.__version__, "cuda", torch.cuda.is_available())',
];

export const smokeExecutorSchema = z
  .object({
    /** The image target's metadata file (workspace-relative); its image reference is run. */
    imageMetadata: z.string().min(1),
    /** Run this image instead of the one in the metadata file. */
    image: z.string().min(1).optional(),
    command: z.array(z.string()).min(1).default(DEFAULT_SMOKE_COMMAND),
    /**
     * `auto`: the GPU access the engine and host offer (the nvidia runtime, CDI, the device nodes: docker/gpu-access.ts),
     * else CPU only; `all`: that, else `--gpus all` anyway; `none` never.
     */
    gpus: z.enum(['auto', 'all', 'none']).default('auto'),
    /** Smoke runs need no network; `none` keeps them from reaching any. */
    network: z.string().min(1).default('none'),
    env: z.record(z.string(), z.string()).default({}),
    timeoutSeconds: z.number().int().positive().default(600),
  })
  .strict();

export type SmokeExecutorOptions = z.input<typeof smokeExecutorSchema>;
export type SmokeOptions = z.output<typeof smokeExecutorSchema>;
