/**
 * Why a record was changed or a warning overridden: the service's rule
 * (ReasonSchema, src/shared/schemas.ts), checked on the device so a "." or a
 * zero-width space is caught beside its field before anything is sent. At
 * least 3 letters or digits, in any script; at most 500 characters.
 */
export const REASON_MAX = 500;

export function reasonProblem(text: string): string | null {
  const reason = text.trim();
  if (reason === '') return 'Give the reason, in words.';
  if ((reason.match(/[\p{L}\p{N}]/gu)?.length ?? 0) < 3) return 'Say why in words: at least 3 letters or digits.';
  if (reason.length > REASON_MAX) return `Keep it to ${REASON_MAX} characters.`;
  return null;
}

/** The service's own message for a field (RFC 6901 pointer, e.g. /reason), said plainly. */
export function issueAt(problem: { readonly errors?: ReadonlyArray<{ readonly pointer: string; readonly message: string }> }, pointer: string): string | null {
  const issue = problem.errors?.find((e) => e.pointer === pointer);
  if (!issue) return null;
  return issue.message.charAt(0).toUpperCase() + issue.message.slice(1) + (/[.!?]$/.test(issue.message) ? '' : '.');
}
