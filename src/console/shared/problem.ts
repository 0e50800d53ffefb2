/** An RFC 9457 problem as the API answers it (code is stable; detail is for people). */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}
