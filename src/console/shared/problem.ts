/** An RFC 9457 problem as the API answers it (code is stable; detail is for people). */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly instance?: string;
  /** Validation issues: where (`in`: body, querystring…; `pointer`: RFC 6901, e.g. /scope/0/gtin) and what. */
  readonly errors?: ReadonlyArray<{ readonly in: string; readonly pointer: string; readonly message: string; readonly code: string }>;
  /** DECISION_REQUIRED: the items of the procedure still waiting for their decision. */
  readonly pendingItemIds?: readonly string[];
  /** Stock movements: the line of the request (scans[n], lines[n]) the problem is about. */
  readonly index?: number;
}
