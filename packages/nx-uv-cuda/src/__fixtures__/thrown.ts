import { isPluginError, type PluginError, type PluginErrorKind } from '../core/errors';

/** The PluginError of `kind` that `run` throws, for asserting on its parts; anything else fails the test. */
export function thrownPluginError(kind: PluginErrorKind, run: () => unknown): PluginError {
  try {
    run();
  } catch (error) {
    if (isPluginError(error, kind)) return error;
    throw error;
  }
  throw new Error(`expected a PluginError of kind '${kind}'`);
}
