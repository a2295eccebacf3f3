import type { z } from 'zod';
import { formatZodIssues } from '../../config/zod-message';

export class OptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

/** Parses executor options with zod; the error names the task and every wrong key in one message. */
export function validateOptions<T extends z.ZodType>(schema: T, options: unknown, where: string): z.output<T> {
  const result = schema.safeParse(options);
  if (!result.success) throw new OptionsError(formatZodIssues(result.error.issues, `options of ${where}`));
  return result.data;
}
