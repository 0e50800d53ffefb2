import type { FastifyRequest } from 'fastify';
import { pointerToken, ProblemError, type ValidationIssue } from '../shared/problem.js';

/**
 * Text the database cannot hold: NUL (Postgres text refuses it, and the insert
 * failed as a 500) and unpaired UTF-16 surrogates (the driver would store
 * U+FFFD instead, silently changing what was sent). Paired surrogates (emoji)
 * and every other character are fine.
 */
// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The JSON pointer of the first string (value or member name) holding unstorable text, or undefined. */
export function findUnstorableText(value: unknown): string | undefined {
  // Iterative: bodies nested thousands deep must not overflow the stack.
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [v, pointer] = stack.pop() as [unknown, string];
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return pointer;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${pointer}/${i}`]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [name, member] = entries[i] as [string, unknown];
        if (UNSTORABLE.test(name)) return `${pointer}/${pointerToken(name)}`;
        stack.push([member, `${pointer}/${pointerToken(name)}`]);
      }
    }
  }
  return undefined;
}

/** preValidation hook: refuses (422 VALIDATION_FAILED) a request whose params, query or body hold unstorable text. */
export async function refuseUnstorableText(req: FastifyRequest): Promise<void> {
  for (const [where, value] of [['params', req.params], ['querystring', req.query], ['body', req.body]] as const) {
    const pointer = findUnstorableText(value);
    if (pointer === undefined) continue;
    const issue: ValidationIssue = { in: where, pointer, message: 'contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored', code: 'invalid_characters' };
    throw new ProblemError('VALIDATION_FAILED', `The ${where} is invalid: ${pointer || '(root)'} ${issue.message}.`, { errors: [issue] });
  }
}
