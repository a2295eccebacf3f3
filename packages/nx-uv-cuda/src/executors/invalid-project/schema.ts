import { z } from 'zod';

export const invalidProjectExecutorSchema = z.object({ error: z.string() }).strict();

export type InvalidProjectExecutorOptions = z.input<typeof invalidProjectExecutorSchema>;
