import type { parseArgs, ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export declare function parseCommandLine<T extends Options>(config: {
  usage: string;
  options: T;
  allowPositionals?: boolean;
}): { values: ReturnType<typeof parseArgs<{ options: T; strict: true }>>['values']; positionals: string[] };

export declare function usageError(usage: string, message: string): never;
