export declare function runBounded(
  command: string,
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs: number;
    stdoutFile: string;
    stderrFile: string;
    input?: string;
    killAfterMs?: number;
  },
): Promise<{ exitCode: number | null; signal: string | null; timedOut: boolean; wall: number }>;
