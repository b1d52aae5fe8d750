import type { z } from 'zod';

/** Every zod issue as one "path: message" line, so a user sees all problems at once. */
export function formatIssues(error: z.ZodError, pathPrefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const where = [pathPrefix, path].filter(Boolean).join('.');
    return `${where || '(root)'}: ${issue.message}`;
  });
}
