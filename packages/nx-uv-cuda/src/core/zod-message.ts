import type { z } from 'zod';

const MAX_REPORTED_ISSUES = 5;
const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * One readable message for a failed zod parse of a configuration file, e.g.
 * `uv.lock: package[3].name: expected string, received number; version: expected 1`.
 */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[], file: string): string {
  const described = issues.flatMap((issue) => describeIssue(issue, []));
  const reported = described.slice(0, MAX_REPORTED_ISSUES);
  const omitted = described.length - reported.length;
  if (omitted > 0) reported.push(`and ${omitted} more`);
  return `${file}: ${reported.join('; ')}`;
}

/** A key path in the file's own terms: `package[3].optional-dependencies.cu124[0]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && BARE_KEY.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text === '' ? '(top level)' : text;
}

/**
 * zod reports a failed union as "Invalid input" and a bad record key as "Invalid key in record": say instead
 * what each alternative expected, or follow the alternative that matched furthest, and why the key is wrong.
 */
function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const rootTypeErrors = issue.errors.map((branch) =>
      branch.length === 1 && branch[0].code === 'invalid_type' && branch[0].path.length === 0 ? branch[0] : undefined,
    );
    if (rootTypeErrors.every((error) => error !== undefined)) {
      const expected = [...new Set(rootTypeErrors.map((error) => error!.expected))].join(' or ');
      const received = /received (\w+)/.exec(rootTypeErrors[0]!.message)?.[1];
      return [`${formatKeyPath(path)}: expected ${expected}${received ? `, received ${received}` : ''}`];
    }
    const depth = (branch: z.core.$ZodIssue[]) => Math.max(...branch.map((inner) => inner.path.length));
    const furthest = issue.errors.reduce((best, branch) => (depth(branch) > depth(best) ? branch : best));
    return furthest.flatMap((inner) => describeIssue(inner, path));
  }
  if (issue.code === 'invalid_key') {
    return issue.issues.map((inner) => `${formatKeyPath(path)}: invalid key: ${withoutGenericPrefix(inner.message)}`);
  }
  return [`${formatKeyPath(path)}: ${withoutGenericPrefix(issue.message)}`];
}

/** zod prefixes its default messages with "Invalid input: "; the key path already says where. */
function withoutGenericPrefix(message: string): string {
  return message.replace(/^Invalid (input|option): /, '');
}
