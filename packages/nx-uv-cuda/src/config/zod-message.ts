import type { z } from 'zod';

const MAX_REPORTED_ISSUES = 5;
const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * One readable message for a failed zod parse of a configuration file, e.g.
 * `uv.lock: package[3].name: expected string, received number; version: expected 1`.
 */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[], file: string): string {
  const reported = issues.slice(0, MAX_REPORTED_ISSUES).map(describeIssue);
  const omitted = issues.length - reported.length;
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

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${formatKeyPath(issue.path)}: ${withoutGenericPrefix(issue.message)}`;
}

/** zod prefixes its default messages with "Invalid input: "; the key path already says where. */
function withoutGenericPrefix(message: string): string {
  return message.replace(/^Invalid (input|option): /, '');
}
