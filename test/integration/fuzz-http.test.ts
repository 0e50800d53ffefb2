/**
 * Every route of the app under hostile requests, on a real Postgres through
 * real HTTP handling (inject): malformed and oversized bodies, wrong types,
 * missing and extra members, deep nesting, hostile Unicode, SQL injection,
 * bad path parameters, garbage query strings and headers. The routes come
 * from the live app (its OpenAPI document, checked against its router), so a
 * new route is fuzzed without touching this file.
 *
 * Properties: no 5xx; every error is problem+json (an OperationOutcome under
 * /fhir/, an OAuth error at the SMART token endpoint) with a registered code; a rejected request stores nothing; nothing
 * stored anywhere holds NUL or a replaced lone surrogate; the service still
 * answers at the end. The seed is in the test name; FUZZ_SEED replays it.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import t from 'tap';
import { isProblemCode } from '../../src/shared/problem.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { GS, GTIN, newProcedure, nhsNumber, scan } from '../helpers/theatre.js';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 0x7fffffff);
const RUNS_PER_ROUTE = Number(process.env.FUZZ_HTTP_RUNS ?? 24);
/** Tables whose row counts may change on a rejected request: the audit trail records refusals; migrations are Kysely's. */
const COUNTS_MAY_CHANGE = new Set(['audit_events', 'kysely_migration', 'kysely_migration_lock']);
const OAUTH_ERRORS = ['invalid_request', 'invalid_client', 'invalid_grant', 'unsupported_grant_type', 'invalid_scope', 'server_error', 'temporarily_unavailable'];

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
};

interface Operation {
  readonly method: string;
  /** OpenAPI path template, e.g. /v1/procedures/{id}/scans. */
  readonly path: string;
  readonly roles: readonly string[] | 'public';
  readonly pathParams: readonly string[];
  readonly query: ReadonlyArray<{ name: string; schema: JsonSchema }>;
  readonly headers: ReadonlyArray<{ name: string; schema: JsonSchema }>;
  readonly body?: { contentTypes: readonly string[]; schema: JsonSchema };
}

// ---------------------------------------------------------------------------
// Hostile values

const SQL_INJECTION = ["'; drop table items; --", '1 OR 1=1', "' OR '1'='1", '"; select pg_sleep(5); --', "1'; update api_keys set revoked_at = now(); --", '$$; drop table procedures; $$', '\\x27; --'];
const HOSTILE_STRINGS = [
  ...SQL_INJECTION,
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\udc00\ud800',
  '\u202eevil\u202c',
  '\u2066\u2069',
  '😀🏥🦴',
  'e\u0301\u0301\u0301',
  '\u0301',
  '\ufeffBOM',
  '\u001d\u001e\u0004',
  '\r\n\t',
  '',
  ' ',
  '../../../etc/passwd',
  '%00%ZZ%',
  '<script>alert(1)</script>',
  '{{7*7}}${7*7}',
  '__proto__',
  'constructor',
  '9'.repeat(400),
  '1e309',
  '-0',
  'NaN',
  'null',
  '2026-02-30T25:61:61Z',
  '0000-00-00',
  '99999-12-31',
];
const hostileString = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 4 },
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).filter((c) => c !== 0xfffd).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer({ min: 257, max: 20_000 }).map((n) => 'x'.repeat(n)),
);
/** What Postgres text cannot hold as sent: NUL, and unpaired surrogates (the driver writes U+FFFD). */
const unstorable = fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\udc00\ud800', '\ud83d');
/** Text injected into an exemplar's strings. */
const injected = fc.oneof({ arbitrary: unstorable, weight: 2 }, { arbitrary: hostileString, weight: 3 });
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, -1e308, 1e308, Number.MAX_SAFE_INTEGER + 2, [], {}, [[[]]], { a: { b: { c: {} } } }, ['\u0000'], { '\u0000': 1 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(hostileString, { maxLength: 5 }),
);

/** A JSON body nested `depth` levels deep, written out directly (JSON.stringify would recurse). */
const deeplyNested = (depth: number, open: string, close: string, leaf = '1') => `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;

/** Percent-encodes a string for a URL, lone surrogates included (as the UTF-8 they cannot be). */
function percentEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c >= 0xd800 && c <= 0xdfff) out += `%ED%${(0xa0 | ((c >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 | (c & 0x3f)).toString(16).toUpperCase()}`;
    else out += encodeURIComponent(ch);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Plausible values from the schemas, so that hostile parts reach past the outer validation

function resolve(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref && i < 20; i++) s = components[s.$ref.replace('#/components/schemas/', '')] ?? {};
  return s;
}

function plausible(schema: JsonSchema, components: Record<string, JsonSchema>, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, components);
  if (depth > 6) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => plausible(a, components, depth + 1)));
  if (s.allOf?.[0]) return plausible(s.allOf[0], components, depth + 1);
  const type = Array.isArray(s.type) ? (s.type.find((x) => x !== 'null') ?? 'null') : s.type;
  switch (type) {
    case 'string':
      return plausibleString(s);
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(plausible(s.items ?? {}, components, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) });
    case 'object': {
      const properties = s.properties ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, p] of Object.entries(properties)) model[name] = plausible(p, components, depth + 1);
      return fc.record(model, { requiredKeys: (s.required ?? []).filter((r) => r in properties) });
    }
    default:
      return fc.oneof(fc.string({ maxLength: 10 }), fc.integer());
  }
}

const PLAUSIBLE_BARCODES = [`01${GTIN}17280131` + `10LOT-A${GS}21S-1`, '+A123BJC5D6E71G', `https://id.gs1.org/01/${GTIN}/10/X`, '(01)09506000134352(10)A', `]d28018950600013435200015`];

/**
 * A valid body per operation, where one is easy to write: hostile text put into any of its
 * strings reaches the services and the database instead of stopping at the schema. Operations
 * not listed (a new route) are still fuzzed, from their schemas alone.
 */
function exemplars(nhs: string): Record<string, unknown> {
  return {
    'POST /v1/organisations': { odsCode: 'FZ1', name: 'Fuzz Trust' },
    'POST /v1/api-keys': { name: 'Theatre 9 scanner', role: 'scanner', organisation: 'RFZ' },
    'POST /v1/barcodes/parse': { barcode: `01${GTIN}10LOT-1` },
    'POST /v1/labels': { symbology: 'gs1datamatrix', data: `(01)${GTIN}(10)LOT-1`, format: 'svg' },
    'POST /v1/locations': { gln: '9506000134369', name: 'Theatre 9' },
    'POST /v1/staff': { localId: 'STAFF-9', name: 'Dr Fuzz', role: 'consultant surgeon' },
    'POST /v1/procedures': { patient: { nhsNumber: nhs }, clinician: { localId: 'CONS-9', name: 'Mr Fuzz' }, procedureCode: 'W371', side: 'left' },
    'POST /v1/procedures/search': { nhsNumber: nhs },
    'POST /v1/procedures/{id}/scans': { barcode: `01${GTIN}10LOT-9${GS}21SER-9` },
    'POST /v1/scans/{id}/void': { reason: 'wrong box opened' },
    'PUT /v1/products/{gtin}': { brand: 'Fuzz Knee', model: 'FK-1', manufacturer: 'Acme Ortho', description: 'A knee', implantable: true },
    'POST /v1/compatibility/rules': { slug: 'fuzz-rule', kind: 'pair-equal', severity: 'critical', components: ['femoral-head', 'acetabular-liner'], attributes: ['headDiameterMm', 'innerDiameterMm'], message: 'The head is {a} mm, the liner {b} mm.' },
    'POST /v1/compatibility/rules/{ruleId}/retire': { reason: 'replaced by a newer rule' },
    'POST /v1/compatibility/rules/{ruleId}/waiver': { reason: 'not stocked in this trust' },
    'POST /v1/products/import': 'PrimaryDI,brandName,companyName\n09506000134352,Fuzz Knee,Acme Ortho\n',
    'POST /v1/recalls': { reference: 'FSN-9', title: 'Fuzz recall', manufacturer: 'Acme Ortho', scope: [{ gtin: GTIN, lots: ['LOT-9'] }] },
    'POST /v1/recalls/preview': { reference: 'FSN-9', title: 'Fuzz recall', scope: [{ gtin: GTIN, serials: ['SER-9'] }] },
    'PATCH /v1/recalls/{id}/items/{itemId}': { status: 'contacted', note: 'Letter sent' },
    'PUT /v1/registries/{code}': { name: 'National Joint Registry', withoutConsent: 'pseudonymous' },
    'POST /v1/consents': { nhsNumber: nhs, registry: 'NJR', status: 'granted' },
    'POST /v1/consents/search': { nhsNumber: nhs },
    'POST /v1/prices': [{ gtin: GTIN, unitPrice: '150.00', currency: 'GBP', effectiveFrom: '2026-01-01', supplier: 'Acme Ortho', contractRef: 'NHSSC-1' }, { hibc: { lic: 'A123', pcn: 'CUP52', uom: '0' }, unitPrice: '19.15', effectiveFrom: '2026-03-01' }],
    'POST /v1/prices/import': `gtin,unit_price,currency,effective_from,supplier,contract_ref\n${GTIN},150.00,GBP,2026-01-01,Acme Ortho,NHSSC-1\n`,
    'POST /v1/smart/clients': { clientId: 'fuzz-client', registry: 'NJR', national: true, jwksUrl: 'https://registry.example/jwks.json' },
  };
}

/** Every string in a JSON value (and every member name), by path. */
function stringPaths(value: unknown, path: Array<string | number> = []): Array<{ path: Array<string | number>; key: boolean }> {
  if (typeof value === 'string') return [{ path, key: false }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [{ path: [...path, k], key: true }, ...stringPaths(v, [...path, k])]);
  }
  return [];
}

/** A copy of `value` with the string (or member name) at `path` replaced by what `change` makes of it. */
function withString(value: unknown, path: ReadonlyArray<string | number>, key: boolean, change: (s: string) => unknown): unknown {
  if (path.length === 0) return change(value as string);
  const [head, ...rest] = path as [string | number, ...Array<string | number>];
  if (Array.isArray(value)) return (value as unknown[]).map((v, i) => (i === head ? withString(v, rest, key, change) : v));
  const obj = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => {
      if (k !== head) return [k, v];
      if (key && rest.length === 0) return [String(change(k)), v];
      return [k, withString(v, rest, key, change)];
    }),
  );
}

function plausibleString(s: JsonSchema): fc.Arbitrary<string> {
  const bounded = (a: fc.Arbitrary<string>) => a.filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity));
  if (s.format === 'uuid') return fc.uuid();
  if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'date') return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (s.pattern) {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 200) && v.length >= (s.minLength ?? 0));
    } catch {
      // A pattern JavaScript cannot compile: fall through to plain strings.
    }
  }
  return bounded(fc.oneof(fc.constantFrom(...PLAUSIBLE_BARCODES, GTIN, 'NJR', 'RFZ', 'scanner', 'Theatre 1'), fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 30, 30) })));
}

// ---------------------------------------------------------------------------
// The routes, from the live app

function operationsOf(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = (op.parameters ?? []) as Array<{ in: string; name: string; schema: JsonSchema }>;
      const security = op.security as unknown[] | undefined;
      const roles = /Roles: ([a-z, ]+)\./.exec(typeof op.description === 'string' ? op.description : '')?.[1]?.split(', ');
      const content = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> } | undefined)?.content;
      ops.push({
        method: method.toUpperCase(),
        path,
        roles: security && security.length > 0 ? (roles ?? []) : 'public',
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query'),
        headers: parameters.filter((p) => p.in === 'header'),
        ...(content && { body: { contentTypes: Object.keys(content), schema: Object.values(content)[0]?.schema ?? {} } }),
      });
    }
  }
  return ops;
}

/** METHOD /path pairs from fastify's route tree (HEAD is fastify's own, for every GET). */
function liveRoutes(tree: string): Set<string> {
  const out = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + (m[2] ?? '');
    stack[depth] = path;
    for (const method of (m[3] ?? '').split(', ')) if (method !== 'HEAD') out.add(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
  }
  return out;
}

// ---------------------------------------------------------------------------

interface Ctx {
  readonly app: TestApp;
  readonly keysByRole: Record<string, string[]>;
  /** Real ids and codes per path parameter name, so that some requests reach existing resources. */
  readonly realParams: Record<string, string[]>;
  readonly components: Record<string, JsonSchema>;
  readonly exemplars: Record<string, unknown>;
}

interface HostileRequest {
  readonly what: string;
  readonly url: string;
  readonly options: InjectOptions;
}

function requestsFor(op: Operation, ctx: Ctx): fc.Arbitrary<HostileRequest> {
  const keys = op.roles === 'public' ? [undefined] : op.roles.flatMap((r) => ctx.keysByRole[r] ?? []);
  const pathValue = (name: string) =>
    fc.oneof(
      { arbitrary: fc.constantFrom(...(ctx.realParams[name] ?? ['NJR'])), weight: 3 },
      { arbitrary: fc.uuid(), weight: 1 },
      { arbitrary: hostileString.map(percentEncode), weight: 3 },
      { arbitrary: fc.constantFrom('%', '%ZZ', '%ED%A0%80', '%00', '%2F', '..', '.', '%2e%2e', '-1', '0', 'x'.repeat(5000), '00000000-0000-0000-0000-00000000000g'), weight: 2 },
    );
  const path = fc.tuple(...op.pathParams.map(pathValue)).map((values) => {
    let url = op.path;
    op.pathParams.forEach((p, i) => (url = url.replace(`{${p}}`, values[i] ?? '')));
    return url;
  });

  const queryPart = fc
    .tuple(
      fc.tuple(...op.query.map((q) =>
        fc.oneof(
          plausible(q.schema, ctx.components).map((v) => [`${q.name}=${percentEncode(String(v))}`]),
          hostileString.map((v) => [`${q.name}=${percentEncode(v)}`]),
          fc.array(hostileString, { minLength: 2, maxLength: 4 }).map((vs) => vs.map((v) => `${q.name}=${percentEncode(v)}`)),
          fc.constantFrom([`${q.name}[]=1`], [`${q.name}[a]=b`], [`${q.name}`], [`${q.name}=`], [`${q.name}=%`], [`${q.name}=%ED%A0%80`], [`${q.name}=1&${q.name}=2`]),
          fc.constant([] as string[]),
        ),
      )),
      fc.option(fc.constantFrom('&&&', '=', 'x=%FF', '__proto__[x]=1', 'constructor[prototype][x]=1', `junk=${'y'.repeat(10_000)}`, '%%%', '?&=')),
    )
    .map(([parts, extra]) => {
      const all = [...parts.flat(), ...(extra ? [extra] : [])];
      return all.length > 0 ? `?${all.join('&')}` : '';
    });

  const bodyPart: fc.Arbitrary<{ what: string; payload?: string | Buffer; contentType?: string }> = op.body
    ? bodies(op.body, ctx, ctx.exemplars[`${op.method} ${op.path}`])
    : fc.constantFrom({ what: 'no body' }, { what: 'unexpected body', payload: '{"a":1}', contentType: 'application/json' });

  const headerPart = fc.record({
    idempotency: fc.oneof(fc.uuid(), hostileString.filter(isHeaderSafe), fc.constant(undefined)),
    prefer: fc.oneof(fc.constant('respond-async'), fc.constantFrom('respond-sync', '', 'respond-async, respond-async', 'x'.repeat(3000)), fc.constant(undefined)),
    accept: fc.oneof(fc.constant(undefined), fc.constantFrom('text/csv', 'application/fhir+ndjson', '*/*', 'text/html;q=0.9, garbage', 'application/json; charset=utf-7')),
  });

  return fc.tuple(fc.constantFrom(...keys), path, queryPart, bodyPart, headerPart).map(([key, url, query, body, h]) => {
    const headers: Record<string, string> = {};
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    if (body.contentType !== undefined) headers['content-type'] = body.contentType;
    if (h.idempotency !== undefined && op.headers.some((x) => x.name === 'idempotency-key')) headers['idempotency-key'] = h.idempotency;
    if (h.prefer !== undefined && op.path.startsWith('/fhir/')) headers.prefer = h.prefer;
    if (h.accept !== undefined) headers.accept = h.accept;
    return {
      what: `${op.method} ${url}${query} [${body.what}]`,
      url,
      options: { method: op.method, url: `${url}${query}`, headers, ...(body.payload !== undefined && { payload: body.payload }) },
    };
  });
}

/** A request line for a message: long runs of one character abbreviated. */
const shorten = (what: string) => what.replace(/(.)\1{40,}/gu, (run, c: string) => `${c.repeat(5)}…(${run.length})`).slice(0, 600);

const isHeaderSafe = (v: string) => /^[\x20-\x7e]*$/.test(v) && v.length < 8000;

function bodies(body: NonNullable<Operation['body']>, ctx: Ctx, exemplar: unknown): fc.Arbitrary<{ what: string; payload?: string | Buffer; contentType?: string }> {
  const limit = ctx.app.app.initialConfig.bodyLimit ?? 1_048_576;
  const json = body.contentTypes.includes('application/json') ? 'application/json' : (body.contentTypes[0] ?? 'application/json');
  const valid = plausible(body.schema, ctx.components);
  const schema = resolve(body.schema, ctx.components);
  // The members of the body, and of each of its alternatives when it is one of several shapes (a scan: barcode or manual).
  const shapes = [schema, ...(schema.oneOf ?? schema.anyOf ?? []).map((s) => resolve(s, ctx.components))];
  const names = [...new Set(shapes.flatMap((s) => Object.keys(s.properties ?? {})))];
  const asJson = (what: string, value: unknown) => ({ what, payload: JSON.stringify(value), contentType: json });

  const options: Array<fc.Arbitrary<{ what: string; payload?: string | Buffer; contentType?: string }>> = [
    valid.map((v) => asJson('plausible', v)),
    hostileValue.map((v) => asJson('hostile root', v)),
    valid.chain((v) => fc.tuple(fc.string({ maxLength: 12 }), hostileValue).map(([k, x]) => asJson('extra member', { ...(v as object), [k || 'extra']: x }))),
    valid.map((v) => JSON.stringify(v)).chain((text) =>
      fc.oneof(
        fc.nat(text.length).map((n) => ({ what: 'truncated JSON', payload: text.slice(0, n), contentType: json })),
        fc.constantFrom(' garbage', '}', ']', ',', '\u0000', 'null', '{}').map((g) => ({ what: 'trailing garbage', payload: text + g, contentType: json })),
        fc.constant({ what: 'BOM', payload: `\ufeff${text}`, contentType: json }),
        fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/jsonx', '', 'garbage/garbage/garbage').map((ct) => ({ what: `content-type ${ct}`, payload: text, contentType: ct })),
        fc.constant({ what: 'no content-type', payload: text }),
      ),
    ),
    fc.constantFrom(
      { what: 'empty body', payload: '', contentType: json },
      { what: 'prototype pollution', payload: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}', contentType: json },
      { what: 'duplicate keys', payload: '{"a":1,"a":2}', contentType: json },
      { what: 'lone surrogate escapes', payload: '{"x":"\\ud800\\udc00\\udc00","y":"\\u0000"}', contentType: json },
      { what: 'number beyond double', payload: '{"x":1e999}', contentType: json },
    ),
  ];
  if (typeof exemplar === 'string') {
    // A text body (CSV): hostile text anywhere in it, as its own content type.
    const type = body.contentTypes.find((c) => c.startsWith('text/')) ?? 'text/csv';
    options.push(
      fc.constant({ what: 'exemplar', payload: exemplar, contentType: type }),
      // As bytes, the way a client's file arrives: a lone surrogate becomes the invalid UTF-8 it would be.
      fc.tuple(fc.nat(exemplar.length), injected).map(([i, h]) => ({ what: 'hostile text in the exemplar', payload: wtf8(exemplar.slice(0, i) + h + exemplar.slice(i)), contentType: type })),
    );
  } else if (exemplar !== undefined) {
    const paths = stringPaths(exemplar);
    options.push(
      fc.constant(asJson('exemplar', exemplar)),
      // Weighted: the requests most likely to get past the schemas into the services.
      ...Array.from({ length: 4 }, () => fc
        .tuple(fc.constantFrom(...paths), injected, fc.nat(), fc.boolean())
        .map(([{ path, key }, h, at, replace]) =>
          asJson(
            `exemplar with hostile ${key ? 'member name' : 'text'} at /${path.join('/')}`,
            withString(exemplar, path, key, (v) => (replace ? h : v.slice(0, at % (v.length + 1)) + h + v.slice(at % (v.length + 1)))),
          ),
        )),
      fc.tuple(fc.constantFrom(...paths.filter((p) => !p.key)), hostileValue).map(([{ path }, x]) => asJson(`exemplar with a hostile value at /${path.join('/')}`, withString(exemplar, path, false, () => x))),
    );
  }
  if (names.length > 0) {
    options.push(
      valid.chain((v) =>
        fc.tuple(fc.constantFrom(...names), hostileValue).map(([name, x]) => asJson(`hostile ${name}`, { ...(v as object), [name]: x })),
      ),
      valid.chain((v) => fc.subarray(names, { minLength: 1 }).map((drop) => asJson(`without ${drop.join(',')}`, /* a body allowed to be absent (null) has no member to drop */ Object.fromEntries(Object.entries((v as object | null) ?? {}).filter(([k]) => !drop.includes(k)))))),
    );
  }
  // Size and depth: kept rarer, they are costly.
  options.push(
    fc.constantFrom(
      { what: 'over the body limit', payload: JSON.stringify({ [names[0] ?? 'x']: 'x'.repeat(limit) }), contentType: json },
      { what: 'just under the body limit', payload: JSON.stringify({ [names[0] ?? 'x']: 'x'.repeat(limit - 20 - (names[0]?.length ?? 1)) }), contentType: json },
      { what: 'arrays 10,000 deep', payload: deeplyNested(10_000, '[', ']'), contentType: json },
      { what: 'objects 10,000 deep', payload: deeplyNested(10_000, '{"a":', '}'), contentType: json },
      { what: `${names[0] ?? 'member'} 10,000 deep`, payload: `{"${names[0] ?? 'x'}":${deeplyNested(10_000, '[', ']')}}`, contentType: json },
    ),
  );
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------
// Properties

async function tableCounts(app: TestApp): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`.execute(app.db);
  const counted = tables.rows.map((r) => r.name).filter((n) => !COUNTS_MAY_CHANGE.has(n));
  const row = await sql<Record<string, string>>`select ${sql.join(counted.map((n) => sql`(select count(*) from ${sql.table(n)}) as ${sql.ref(n)}`))}`.execute(app.db);
  return Object.fromEntries(Object.entries(row.rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

/** Why the response breaks a property; undefined when it holds. */
function responseProblem(req: HostileRequest, res: LightMyRequestResponse): string | undefined {
  if (res.statusCode >= 500) return `status ${res.statusCode}: ${res.body.slice(0, 500)}`;
  if (res.statusCode < 400) return undefined;
  const type = String(res.headers['content-type'] ?? '');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return `status ${res.statusCode} with a body that is not JSON (${type}): ${res.body.slice(0, 200)}`;
  }
  if (['/oauth/token', '/auth/backchannel-logout'].includes(req.url.split('?')[0] ?? '')) {
    // The SMART token endpoint and the back-channel logout endpoint answer OAuth 2.0 errors (RFC 6749 §5.2), as their callers expect.
    if (!type.startsWith('application/json')) return `an OAuth error as ${type}`;
    if (!OAUTH_ERRORS.includes(String(body.error)) || typeof body.error_description !== 'string') return `not an OAuth error: ${res.body.slice(0, 300)}`;
    return undefined;
  }
  if (req.url.startsWith('/fhir/')) {
    if (!type.startsWith('application/fhir+json')) return `a FHIR error as ${type}`;
    const code = (body.issue as Array<{ details?: { coding?: Array<{ code?: string }> } }> | undefined)?.[0]?.details?.coding?.[0]?.code;
    if (body.resourceType !== 'OperationOutcome' || typeof code !== 'string' || !isProblemCode(code)) return `not an OperationOutcome with a problem code: ${res.body.slice(0, 300)}`;
    return undefined;
  }
  if (!type.startsWith('application/problem+json')) return `status ${res.statusCode} as ${type}, not application/problem+json`;
  if (typeof body.code !== 'string' || !isProblemCode(body.code)) return `no registered problem code: ${res.body.slice(0, 300)}`;
  if (body.status !== res.statusCode) return `problem status ${String(body.status)} on a ${res.statusCode} response`;
  return undefined;
}

/** UTF-8, except that a lone UTF-16 surrogate is written as its own three bytes (invalid UTF-8), as a broken encoder would. */
function wtf8(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const piece of text.match(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g) ?? []) {
    const unit = piece.charCodeAt(0);
    const lone = piece.length === 1 && unit >= 0xd800 && unit <= 0xdfff;
    parts.push(lone ? Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]) : Buffer.from(piece, 'utf8'));
  }
  return Buffer.concat(parts);
}

t.test(`every route under hostile requests (seed ${seed})`, async (t) => {
  // No export workers: an export a fuzzed kick-off queued must not write its files while a later request is
  // checked for having changed nothing (FUZZ_SEED=715597320 did). The kick-off itself is still fuzzed.
  const app = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } });
  const org = await createOrganisationWithKeys(app, 'RFZ');
  await app.app.ready();

  // Something real to aim at: a procedure with an implant, a scan, a recall with an affected item.
  const procedureId = await newProcedure(app, org.keys.scanner, 501);
  const scanned = await scan(app, org.keys.scanner, procedureId, { barcode: `01${GTIN}17280131` + `10LOT-F${GS}21S-9` });
  t.equal(scanned.statusCode, 201, scanned.body);
  const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: 'FSN-FUZZ', title: 'Fuzz', scope: [{ gtin: GTIN, lots: ['LOT-F'] }] } });
  t.equal(recall.statusCode, 201, recall.body);
  const doc = app.app.swagger() as unknown as { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, JsonSchema> } };
  const ctx: Ctx = {
    app,
    keysByRole: { admin: [app.adminKey, org.keys.admin], scanner: [org.keys.scanner], procurement: [org.keys.procurement], registry: [org.keys.registry] },
    realParams: {
      id: [procedureId, scanned.json().scan.id, recall.json().id],
      itemId: [scanned.json().item.id],
      gtin: [GTIN],
      code: ['NJR', 'NOT_FOUND'],
      registry: ['NJR'],
      file: ['Patient.ndjson'],
    },
    components: doc.components.schemas,
    exemplars: exemplars(nhsNumber(502)),
  };

  const operations = operationsOf(doc);
  t.test('the routes fuzzed are every route the app serves', async (t) => {
    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    // Swagger UI, the document itself, the web console and the redirect to it at `/`: public, static, not in the document.
    const undocumented = [...liveRoutes(app.app.printRoutes({ commonPrefix: false }))].filter((r) => !documented.has(r) && !/^GET \/(docs|openapi\.json|console|$)/.test(r));
    t.same(undocumented, [], 'every live route is in the OpenAPI document, so it is fuzzed');
    t.ok(operations.length >= 40, `${operations.length} operations`);
    t.ok(operations.every((o) => o.roles === 'public' || o.roles.length > 0), 'every protected operation names its roles');
    t.same(Object.keys(ctx.exemplars).filter((k) => !documented.has(k)), [], 'every exemplar belongs to a live operation');
  });
  // The undocumented public ones get the generic treatment too.
  operations.push({ method: 'GET', path: '/openapi.json', roles: 'public', pathParams: [], query: [], headers: [] });
  operations.push({ method: 'GET', path: '/docs/{file}', roles: 'public', pathParams: ['file'], query: [], headers: [] });
  operations.push({ method: 'GET', path: '/console/{file}', roles: 'public', pathParams: ['file'], query: [], headers: [] });

  let counts = await tableCounts(app);
  const statuses = new Map<number, number>();
  for (const op of operations) {
    t.test(`${op.method} ${op.path}`, async (t) => {
      let sent = 0;
      const details = await fc.check(
        fc.asyncProperty(requestsFor(op, ctx), async (req) => {
          const res = await app.app.inject(req.options);
          sent++;
          if (process.env.FUZZ_DEBUG && req.what.includes('exemplar')) process.stderr.write(`${res.statusCode} ${shorten(req.what).slice(0, 150)} ${res.body.slice(0, 150)}\n`);
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          const problem = responseProblem(req, res);
          if (problem) throw new Error(`${shorten(req.what)}: ${problem}`);
          const after = await tableCounts(app);
          if (res.statusCode >= 400) {
            const changed = Object.keys(after).filter((k) => after[k] !== counts[k]);
            if (changed.length > 0) throw new Error(`${shorten(req.what)}: answered ${res.statusCode} but rows changed in ${changed.join(', ')}`);
          }
          counts = after;
        }),
        { numRuns: RUNS_PER_ROUTE, seed, endOnFailure: true },
      );
      if (details.failed) {
        const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        t.fail(`${error} (FUZZ_SEED=${seed}, fast-check path ${details.counterexamplePath ?? ''})`);
        return;
      }
      t.equal(sent >= RUNS_PER_ROUTE, true, `${sent} hostile requests`);
    });
  }

  t.test('nothing stored holds NUL or a lone surrogate (stored as U+FFFD)', async (t) => {
    const columns = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY')
      order by 1, 2`.execute(app.db);
    t.ok(columns.rows.length > 20, `${columns.rows.length} text, JSON and array columns`);
    const found: string[] = [];
    for (const { table_name, column_name } of columns.rows) {
      const hits = await sql<{ n: string }>`
        select count(*) as n from ${sql.table(table_name)}
        where strpos(${sql.ref(column_name)}::text, chr(65533)) > 0 or strpos(${sql.ref(column_name)}::text, '\\u0000') > 0`.execute(app.db);
      if (Number(hits.rows[0]?.n) > 0) found.push(`${table_name}.${column_name}`);
    }
    t.same(found, [], 'no column holds garbage');
  });

  t.test('the service still answers', async (t) => {
    t.equal((await app.request({ method: 'GET', url: '/health' })).statusCode, 200);
    const me = await app.request({ method: 'GET', url: '/v1/me', key: org.keys.scanner });
    t.equal(me.statusCode, 200, 'the keys were not revoked by the fuzzing');
    const again = await scan(app, org.keys.scanner, procedureId, { barcode: `01${GTIN}10LOT-G` }, randomUUID());
    t.ok([201, 409].includes(again.statusCode), `a scan still records (${again.statusCode})`);
    t.comment(`statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    t.ok([...statuses.keys()].some((s) => s >= 400 && s < 500) && [...statuses.keys()].some((s) => s < 300), 'both rejections and successes were seen');
  });
});
