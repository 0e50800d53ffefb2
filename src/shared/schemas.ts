import { z } from 'zod';
import { gs1CheckDigit } from '../barcode/gs1/check-digit.js';
import { nhsNumberError, normaliseNhsNumber } from './nhs-number.js';
import { PROBLEMS, type ProblemCode } from './problem.js';
import { dateInCalendarBounds, EARLIEST_DATE, instantInCalendarBounds, LATEST_DATE } from './time-bounds.js';

/** Schemas shared by every module, registered with ids so OpenAPI refers to them by $ref. */

export const ValidationIssueSchema = z
  .object({
    in: z.string().describe('Part of the request: body, querystring, params or headers.'),
    pointer: z.string().describe('RFC 6901 JSON pointer to the offending value within that part.'),
    message: z.string(),
    code: z.string().describe('Machine-readable kind of the issue.'),
  })
  .meta({ id: 'ValidationIssue' });

export const ProblemSchema = z
  .looseObject({
    type: z.string().describe('URI reference identifying the problem type: /problems/{code}.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().describe('The request id; quote it when reporting a problem.'),
    code: z.enum(Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]]).describe('Stable machine-readable code.'),
    errors: z.array(ValidationIssueSchema).optional(),
  })
  .describe('RFC 9457 problem details. Extension members may appear for specific codes.')
  .meta({ id: 'Problem' });

/**
 * A FHIR error: what the /fhir routes answer instead of problem+json (FHIR clients expect it), with the
 * same stable code in `issue[0].details.coding[0].code`. See plugins/errors.ts.
 */
export const OperationOutcomeSchema = z
  .object({
    resourceType: z.literal('OperationOutcome'),
    issue: z.array(
      z.object({
        severity: z.enum(['fatal', 'error']),
        code: z.string().describe('FHIR issue type (R4 value set), from the HTTP status.'),
        details: z.object({
          coding: z.array(z.object({ system: z.literal('urn:implant-trace:problem'), code: z.enum(Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]]), display: z.string() })),
          text: z.string(),
        }),
        diagnostics: z.string(),
      }),
    ),
  })
  .describe('FHIR R4 OperationOutcome carrying the stable problem code.')
  .meta({ id: 'OperationOutcome' });

/** A response entry for error statuses of a /fhir route, documented as a FHIR OperationOutcome. */
export function operationOutcomeResponse(description: string) {
  return { description, content: { 'application/fhir+json': { schema: OperationOutcomeSchema } } };
}

/**
 * Request headers a route cannot go without but checks itself, answering a problem of their own
 * (IDEMPOTENCY_KEY_MISSING, …) rather than 422 VALIDATION_FAILED: validation lets them through as
 * optional, the OpenAPI document marks them required (zod writes the metadata into the JSON Schema).
 */
export function requiredByRoute<T extends z.ZodObject>(headers: T, names: ReadonlyArray<keyof z.input<T> & string>): T {
  return headers.meta({ required: [...names] });
}

/** The `Idempotency-Key` header a write requires (checked by the route: IDEMPOTENCY_KEY_MISSING), described for its callers. */
export function idempotencyKeyHeaders(description: string) {
  return requiredByRoute(z.looseObject({ 'idempotency-key': z.string().min(1).max(200).optional().describe(description) }), ['idempotency-key']);
}

/** A response entry for error statuses, documented as application/problem+json. */
export function problemResponse(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } };
}

/**
 * A JSON response entry with what it means: OpenAPI requires a description of every response, and a
 * schema registered with an id carries none of its own (it is a `$ref`).
 */
export function jsonResponse<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { 'application/json': { schema } } };
}

/** The `Location` header of a 201: routes send it, the OpenAPI document says so (see plugins/swagger.ts). */
export const LOCATION_HEADER = {
  Location: {
    type: 'string',
    format: 'uri',
    required: true,
    description: "The created resource's URL: absolute, built from PUBLIC_BASE_URL (never from the request's Host header).",
  },
} as const;

/** A 201 response entry: the created resource as JSON, and its URL in `Location`. */
export function createdResponse<S extends z.ZodType>(description: string, schema: S) {
  return { description, headers: LOCATION_HEADER, content: { 'application/json': { schema } } };
}

export const RegistryCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z][A-Z0-9-]{1,15}$/, 'must be a registry code, e.g. NJR: 2 to 16 letters, digits or hyphens, starting with a letter')
  .meta({ id: 'RegistryCode' });

export const OdsCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9]{3,10}$/, 'must be an NHS ODS code: 3 to 10 letters and digits')
  .describe('NHS Organisation Data Service (ODS) code, e.g. RRK.');

export const IdParamsSchema = z.object({ id: z.uuid() });

/** An NHS number, written with or without spaces or hyphens; stored as its 10 digits. */
export const NhsNumberSchema = z
  .string()
  .max(20)
  .transform(normaliseNhsNumber)
  .superRefine((digits, ctx) => {
    const error = nhsNumberError(digits);
    if (error) ctx.addIssue({ code: 'custom', message: `NHS number ${error}` });
  })
  .describe('NHS number: 10 digits with a modulus-11 check digit. Never put it in a URL.');

/** A GTIN (8, 12, 13 or 14 digits with a valid check digit), normalised to 14 digits. */
export const GtinSchema = z
  .string()
  .regex(/^(\d{8}|\d{12}|\d{13}|\d{14})$/, 'must be a GTIN: 8, 12, 13 or 14 digits')
  .refine((g) => gs1CheckDigit(g.slice(0, -1)) === g.slice(-1), { message: 'GTIN check digit is wrong' })
  .transform((g) => g.padStart(14, '0'))
  .describe('GTIN-8/12/13/14; answered as GTIN-14.');

export const IsoDateSchema = z.iso
  .date()
  .refine(dateInCalendarBounds, { message: `must be between ${EARLIEST_DATE} and ${LATEST_DATE}` })
  .describe(`A calendar date, YYYY-MM-DD, from ${EARLIEST_DATE} to ${LATEST_DATE}.`);

/**
 * An instant a client sends: ISO 8601 with an offset, between 1900 and 2099 in
 * UTC (9999-12-31T23:00:00-05:00 is in the year 10000 and is refused). Bounds
 * relative to now (not in the future, not before its procedure) are the
 * services' to check: see shared/time-bounds.ts.
 */
export const InstantSchema = z.iso
  .datetime({ offset: true })
  .refine((s) => instantInCalendarBounds(Date.parse(s)), { message: `must be between ${EARLIEST_DATE} and ${LATEST_DATE} (UTC)` })
  .describe(`An instant, ISO 8601 with an offset, from ${EARLIEST_DATE} to ${LATEST_DATE} (UTC).`);

/** A GS1 key of a fixed number of digits ending in its mod-10 check digit (GLN: 13, GSRN: 18). */
export function gs1KeySchema(name: string, length: number) {
  return z
    .string()
    .regex(new RegExp(`^\\d{${length}}$`), `must be a ${name}: ${length} digits`)
    .refine((k) => gs1CheckDigit(k.slice(0, -1)) === k.slice(-1), { message: `${name} check digit is wrong` });
}

export const GlnSchema = gs1KeySchema('GLN', 13).describe('GS1 Global Location Number (13 digits).');
export const GsrnSchema = gs1KeySchema('GSRN', 18).describe('GS1 Global Service Relation Number (18 digits).');
/**
 * Why a record was changed or a warning overridden: words a person wrote. "."
 * or a zero-width space is no reason, so at least 3 letters or digits (any script).
 */
export const ReasonSchema = z
  .string()
  .trim()
  .max(500)
  .refine((s) => (s.match(/[\p{L}\p{N}]/gu)?.length ?? 0) >= 3, { message: 'must say why in words (at least 3 letters or digits)' })
  .describe('Why, in words: up to 500 characters, at least 3 of them letters or digits.');

/** A raw scan, as a scanner sends it: the parser reads it. */
export const ScanTextSchema = z.string().min(1).max(4096).describe('A barcode exactly as scanned (any carrier parseBarcode reads).');

/**
 * A device as an item carries it, in every answer that shows one (a scan's item,
 * a registry feed's item): the UDI's device identifier and production identifiers.
 */
export const DEVICE_FIELDS = {
  issuingAgency: z.string().nullable(),
  di: z.string().nullable(),
  gtin: z.string().nullable(),
  hibc: z.object({ lic: z.string(), pcn: z.string() }).nullable(),
  lotNumber: z.string().nullable(),
  serialNumber: z.string().nullable(),
  expirationDate: z.string().nullable(),
  manufacturingDate: z.string().nullable(),
  entryType: z.enum(['barcode', 'manual']),
};
