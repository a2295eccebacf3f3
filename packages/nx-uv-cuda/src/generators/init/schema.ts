import { z } from 'zod';
import { registrySchema } from '../../config/shared-schemas';
import { booleanFlagSchema } from '../shared/options';

export const initGeneratorSchema = z
  .object({
    /** Registry to push images and build caches to; written as the plugin's `registry` option when registering it. */
    registry: registrySchema.optional(),
    /** Leave .gitignore alone. */
    skipGitignore: booleanFlagSchema.default(false),
  })
  .strict();

export type InitGeneratorOptions = z.input<typeof initGeneratorSchema>;
