/**
 * Which validation issues a caller should read when a request fits none of the alternatives of a
 * union (a scan is a barcode scan or a manual entry: exactly one). zod reports one `invalid_union`
 * issue that holds every alternative's own issues; naming them all would blame the manual entry for
 * a bad barcode. The alternative the input chose is the one it has every member of, and is of the
 * type of: when its issues are about its members, they are the caller's mistakes. Otherwise the
 * union's own message says what is wanted: no alternative or several chosen (no barcode and no
 * manual entry, or both), or the chosen one refused as a whole value (`?status=forgotten` against
 * "one status, or several": the union names the statuses allowed).
 */

type PathKey = PropertyKey;

/** A zod issue as fastify-type-provider-zod hands it on: `path` and `code`, and `errors` for a union. */
export interface UnionAwareIssue {
  readonly path: readonly PathKey[];
  readonly code: string;
  readonly message: string;
  readonly errors?: ReadonlyArray<readonly UnionAwareIssue[]>;
}

const isRecord = (value: unknown): value is Record<PropertyKey, unknown> => typeof value === 'object' && value !== null;

/** The value at `path` within `value` (undefined where it has none). */
export function valueAt(value: unknown, path: readonly PathKey[]): unknown {
  let at = value;
  for (const key of path) at = isRecord(at) ? at[key] : undefined;
  return at;
}

/** Whether an issue of one alternative says the input is not of its shape at all: another type, or a member missing. */
function rejectsShape(issue: UnionAwareIssue, input: unknown): boolean {
  if (issue.path.length === 0) return issue.code === 'invalid_type';
  const [member] = issue.path;
  return issue.path.length === 1 && member !== undefined && (!isRecord(input) || !(member in input));
}

/** The issues to report for one issue at the input `input` (the value at the issue's own path). */
export function issuesToReport(issue: UnionAwareIssue, input: unknown): UnionAwareIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors === undefined || issue.errors.length === 0) return [issue];
  const chosen = issue.errors.filter((alternative) => alternative.every((i) => !rejectsShape(i, input)));
  const [only] = chosen;
  if (chosen.length !== 1 || only === undefined) return [issue];
  if (only.some((i) => i.path.length === 0 && i.code !== 'unrecognized_keys')) return [issue];
  return only.flatMap((i) => issuesToReport({ ...i, path: [...issue.path, ...i.path] }, valueAt(input, i.path)));
}
