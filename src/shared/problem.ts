/**
 * RFC 9457 problem details: the one error type of the API and the registry of
 * its stable codes. Every error response carries one of these codes; clients
 * branch on `code`, never on `title` or `detail`.
 */

export interface ProblemDefinition {
  readonly status: number;
  readonly title: string;
  readonly description: string;
}

export const PROBLEMS = {
  MALFORMED_REQUEST: {
    status: 400,
    title: 'Malformed request',
    description: 'The request body could not be read: it is not well-formed JSON, or is empty where a body is required.',
  },
  UNAUTHENTICATED: {
    status: 401,
    title: 'Authentication required',
    description:
      'The request carries no API key, or a key that is unknown or revoked. Send `Authorization: Bearer <key>`.',
  },
  FORBIDDEN: {
    status: 403,
    title: 'Not allowed for this role',
    description: "The API key's role does not admit this operation.",
  },
  NOT_FOUND: {
    status: 404,
    title: 'Not found',
    description:
      'The resource does not exist, or belongs to another organisation (the two are deliberately indistinguishable).',
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    title: 'No such route',
    description: 'No operation is defined for this method and path. See /openapi.json.',
  },
  CONFLICT: {
    status: 409,
    title: 'Conflict',
    description: 'The request conflicts with the current state of a resource.',
  },
  ORGANISATION_EXISTS: {
    status: 409,
    title: 'Organisation already exists',
    description: 'An organisation with this ODS code is already registered.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'Request body too large',
    description: 'The request body is larger than the service accepts for this operation.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    title: 'Request timed out',
    description:
      'The request, headers and body, did not arrive within the time the service allows (REQUEST_TIMEOUT_SECONDS). The connection is closed; send the request again.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    title: 'Request headers too large',
    description: 'The request headers are larger than the service reads. The connection is closed.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    description: 'The request body has a Content-Type this operation does not accept.',
  },
  VALIDATION_FAILED: {
    status: 422,
    title: 'Request validation failed',
    description:
      'The request is well-formed but its values break the schema. `errors` lists each one with where it is (`in`, `pointer`).',
  },
  BARCODE_INVALID: {
    status: 422,
    title: 'Barcode not readable',
    description: 'The scan does not parse. `parse` holds the parser result; `parse.error` says what is wrong and where (kind, code, position, length). Nothing was stored.',
  },
  NOT_A_PRODUCT_LABEL: {
    status: 422,
    title: 'Not a product label',
    description: 'The scan identifies a patient, place or person, not a product. Use it where that is asked for (opening a procedure).',
  },
  PATIENT_NOT_FOUND: {
    status: 422,
    title: 'Patient not identified',
    description: 'The wristband is not known to this organisation. Give the NHS number with the first scan of a wristband.',
  },
  PATIENT_MISMATCH: {
    status: 409,
    title: 'Wristband and NHS number disagree',
    description: 'The wristband belongs to another patient than the NHS number given. Stop and check the patient.',
  },
  IDEMPOTENCY_KEY_MISSING: {
    status: 400,
    title: 'Idempotency-Key header required',
    description: 'Recording a scan needs an Idempotency-Key header (e.g. a UUID per scan), so retries are recorded exactly once.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'Idempotency-Key reused with another request',
    description: 'This Idempotency-Key was already used for a different request. Use a new key for a new scan or procedure.',
  },
  PROCEDURE_COMPLETED: {
    status: 409,
    title: 'Procedure already completed',
    description: 'The procedure is completed. Scans after completion need `lateEntry: {reason}`.',
  },
  DECISION_REQUIRED: {
    status: 409,
    title: 'A critical warning awaits a decision',
    description:
      'An item of the procedure raised a critical warning and nobody has decided yet whether it was put aside or implanted. Record each with `POST /v1/items/{id}/decision` (`pendingItemIds` lists them), then complete.',
  },
  DECISION_NOT_REQUIRED: {
    status: 409,
    title: 'No decision to make',
    description: 'The item raised no critical warning while being implanted (or it was voided), so there is no decision to record. To correct the record, void the scan.',
  },
  SCAN_ALREADY_VOIDED: {
    status: 409,
    title: 'Scan already voided',
    description: 'The scan was voided before; a scan is voided once.',
  },
  SCAN_NOT_VOIDABLE: {
    status: 409,
    title: 'Not a scan that can be voided',
    description: 'Only product scans can be voided, not voids.',
  },
  LOCATION_EXISTS: {
    status: 409,
    title: 'Location already registered',
    description: 'A location with this GLN (and extension) is already registered for the organisation.',
  },
  STAFF_NOT_IN_CASE: {
    status: 409,
    title: 'Staff member not in the case',
    description: 'The staff member is not in the case team now (never badged in, or already left). Nothing was changed.',
  },
  STAFF_EXISTS: {
    status: 409,
    title: 'Staff member already registered',
    description: 'A staff member with this GSRN or local id is already registered for the organisation.',
  },
  CSV_INVALID: {
    status: 422,
    title: 'CSV not readable',
    description: 'The CSV could not be read, or lacks the required columns (primary DI; GUDID size files: sizeType, size (value) and size (unit) together). The detail names what is missing.',
  },
  LABEL_DATA_INVALID: {
    status: 422,
    title: 'Label data invalid',
    description: 'The data for a label does not parse as valid GS1 or HIBC data for that symbology. `parse` holds the parser result with the exact error.',
  },
  PERSONAL_DATA_IN_URL: {
    status: 422,
    title: 'Personal data in a URL',
    description: 'The request carries a patient identifier or personal details in its URL, where proxies and logs keep it. Send it in a POST body instead.',
  },
  REGISTRY_UNKNOWN: {
    status: 422,
    title: 'Unknown registry',
    description: 'No registry with this code is configured. `GET /v1/registries` lists them.',
  },
  REGISTRY_NOT_PERMITTED: {
    status: 403,
    title: 'Not this registry',
    description: "The API key is not bound to this registry. A registry key reads only the feeds and exports of the registry it was issued for.",
  },
  CURSOR_INVALID: {
    status: 400,
    title: 'Invalid cursor',
    description:
      'The cursor was not issued by this list (`after` of a feed, `cursor` of the recall list: a recall the caller does not see is no position in its list). Resume from the last `nextCursor` received, or start again without it.',
  },
  EXPORT_NOT_FOUND: {
    status: 404,
    title: 'Export not found',
    description: 'No such Bulk Data export for this key: it never existed, belongs to another key, was cancelled, or has expired and been deleted.',
  },
  EXPORT_FAILED: {
    status: 500,
    title: 'Export failed',
    description: 'The Bulk Data export could not be completed. Start a new one; the failure is in the service log.',
  },
  PREFER_ASYNC_REQUIRED: {
    status: 400,
    title: 'Asynchronous request required',
    description: 'A FHIR Bulk Data kick-off needs the header `Prefer: respond-async`.',
  },
  COMPATIBILITY_RULE_UNKNOWN: {
    status: 404,
    title: 'No such compatibility rule',
    description:
      "No rule has this id: for a waiver, no national rule (GET /v1/compatibility/rules lists them; an organisation's own rules, `org.…`, are retired, not waived); otherwise no national rule and none of the organisation's own.",
  },
  COMPATIBILITY_RULE_EXISTS: {
    status: 409,
    title: 'Compatibility rule already declared',
    description: "The organisation already has a rule with this slug, in force or retired: a slug is never reused, so that a finding names one rule for ever. Choose another slug.",
  },
  COMPATIBILITY_RULE_RETIRED: {
    status: 409,
    title: 'Compatibility rule already retired',
    description: "The organisation's rule was retired before; a rule is retired once. Declare a new rule (another slug) to check it again.",
  },
  COMPATIBILITY_RULE_WAIVED: {
    status: 409,
    title: 'National rule already waived',
    description: 'A waiver of this national rule is already in force for the organisation (`waiver` says who, when and why). Lift it first to record another.',
  },
  COMPATIBILITY_RULE_NOT_WAIVED: {
    status: 404,
    title: 'No waiver in force',
    description: 'No waiver of this national rule is in force for the organisation (another organisation\'s waivers are not seen): the rule is checked already.',
  },
  SIGN_IN_OFF: {
    status: 404,
    title: 'Sign-in is off',
    description: 'This installation has no OpenID Provider configured (OIDC_ISSUER): sign in with an API key.',
  },
  SIGN_IN_FAILED: {
    status: 400,
    title: 'Sign-in failed',
    description:
      'The sign-in could not be finished: it was not started from this browser, was already used or took too long, the provider refused it, or its answer failed verification (state, PKCE, ID token). Start again.',
  },
  SIGN_IN_NO_ROLE: {
    status: 403,
    title: 'No role for this person',
    description:
      "The provider signed the person in, but none of their roles maps to a role of this service in a registered organisation (see the README's role mapping). Nobody is given a role by default: an administrator must grant one at the provider.",
  },
  PROFILE_REQUIRED: {
    status: 403,
    title: 'Choose a role profile',
    description: 'The person signed in holds several role profiles: choose one (`GET /auth/profiles`, `POST /auth/profile`) before acting.',
  },
  CSRF_INVALID: {
    status: 403,
    title: 'CSRF token missing or wrong',
    description:
      'A change made with a session cookie needs the session\'s CSRF token in the `X-CSRF-Token` header (`GET /v1/me` gives it). Requests with `Authorization: Bearer` need none.',
  },
  SMART_CLIENT_EXISTS: {
    status: 409,
    title: 'SMART client already registered',
    description: 'A SMART Backend Services client with this client_id is already registered (revoked ones included: a client_id is never reused).',
  },
  JWKS_INVALID: {
    status: 422,
    title: 'Key set not acceptable',
    description:
      'The JWKS given for a SMART client is not acceptable: each key must be a public RSA or EC P-384 key with a unique kid, and a JWKS URL must be https (http to localhost only).',
  },
  RATE_LIMITED: {
    status: 429,
    title: 'Too many requests',
    description: 'Too many requests (or failed authentications) from this client. Retry after the given delay.',
  },
  INTERNAL_ERROR: {
    status: 500,
    title: 'Internal error',
    description: 'The service failed unexpectedly. The request id in `instance` finds the details in the service log.',
  },
  STOCK_INSUFFICIENT: {
    status: 409,
    title: 'Not enough stock on hand',
    description:
      'A stock movement (move, write-off, return, quarantine, release) asked for more units than are on hand at that location in the status it needs (available, or quarantined for a release). The problem says which line, how many were wanted and how many are on hand. Nothing was recorded.',
  },
  STOCK_UNIT_ON_HAND: {
    status: 409,
    title: 'Serialised unit already on hand',
    description: 'A receipt named a serial number that is on hand already in this organisation (a unit is received once until it leaves the stock). The problem says where it is. Nothing was recorded.',
  },
  STOCK_LINE_INVALID: {
    status: 422,
    title: 'Stock line not usable',
    description:
      'A line of a stock request cannot be recorded: its label names no product, a serialised unit was given a quantity other than 1, the same unit is named twice, or a move goes to where the stock already is. The problem says which line. Nothing was recorded.',
  },
  PRICE_LIST_INVALID: {
    status: 422,
    title: 'Price list not recorded',
    description:
      'One or more prices of a price list cannot be recorded: a GTIN that is not one (its check digit), a unit price that is not an exact decimal amount of the currency (GBP: at most 2 decimal places, more than zero), a date that is not one, the same product and date twice, or a currency other than the organisation’s price list’s. `rows` lists each bad row (`row`: the CSV line, the header being row 1; `index`: the entry of a JSON list) with its reasons. Nothing was recorded.',
  },
  RECALL_OPEN_ITEMS: {
    status: 409,
    title: 'Recall has open items',
    description:
      'A recall cannot be closed while patients on its list are not yet reviewed (their latest contact step is identified or contacted) or units it covers are still on the shelves, quarantined or not. The problem gives the counts. Close with a `reason` to override (recorded and audited). Nothing was changed.',
  },
  SERVICE_SHUTTING_DOWN: {
    status: 503,
    title: 'Service shutting down',
    description: 'This instance is shutting down and takes no new requests. Retry; another instance or the restarted one will answer.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    title: 'Database unavailable',
    description: 'The database cannot be reached right now. Nothing was stored; retry the request.',
  },
} as const satisfies Record<string, ProblemDefinition>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface ValidationIssue {
  /** Which part of the request: body, querystring, params or headers. */
  readonly in: string;
  /** RFC 6901 JSON pointer into that part. */
  readonly pointer: string;
  readonly message: string;
  readonly code: string;
}

/** The JSON body of every error response. Extension members may be added per code. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ProblemCode;
  errors?: ValidationIssue[];
  [extension: string]: unknown;
}

/** Thrown by services and routes; the error handler turns it into problem+json. */
export class ProblemError extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    detail?: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(detail ?? PROBLEMS[code].title, options);
    this.name = 'ProblemError';
    this.status = PROBLEMS[code].status;
  }
}

export function problemType(code: ProblemCode): string {
  return `/problems/${code}`;
}

export function isProblemCode(value: string): value is ProblemCode {
  return Object.hasOwn(PROBLEMS, value);
}

export function problemBody(
  code: ProblemCode,
  detail: string,
  instance: string,
  extensions: Readonly<Record<string, unknown>> = {},
): ProblemBody {
  const def = PROBLEMS[code];
  const body: ProblemBody = { type: problemType(code), title: def.title, status: def.status, detail, instance, code };
  // Extension members follow the standard ones and never replace them.
  for (const [name, value] of Object.entries(extensions)) if (!(name in body)) body[name] = value;
  return body;
}

/** Escapes one reference token of an RFC 6901 JSON pointer. */
export function pointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}
