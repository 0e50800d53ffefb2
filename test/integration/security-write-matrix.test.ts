/**
 * The write matrix: every route that changes something × every role it admits
 * × whose key sends it (organisation A on A's data, organisation B on A's data,
 * a national key on A's data). Written by hand from the README and
 * docs/SECURITY.md, not read from the code; a write route missing from the
 * table fails the test.
 *
 * Outcomes:
 *   done     2xx: the write is the caller's to make
 *   404      A's resource does not exist for this caller (indistinguishable from absent)
 *   403      FORBIDDEN: the caller sees it, but it is not the caller's to change
 *   own      2xx, and it changed only the caller's own tenancy: nothing A owns
 *   409      a stock movement of A's units: the caller's own stock holds none of them (STOCK_INSUFFICIENT)
 * Whenever the caller is not A, every row A owns is compared before and after.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Role } from '../../src/domain/vocabulary.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { exportAll } from '../helpers/fhir-export.js';
import { BADGE, GTIN, openProcedure, scan } from '../helpers/theatre.js';
import { ownedRows, twoOrganisations } from '../helpers/two-organisations.js';

type Outcome = 'done' | 404 | 403 | 409 | 'own';
interface Request {
  readonly method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly payload?: object | string;
  readonly headers?: Record<string, string>;
}
interface Row {
  /** `METHOD /route/:pattern`, as the app declares it. */
  readonly route: string;
  readonly role: Role;
  /** What the request is about: a fresh resource of A's where a write would consume it. */
  readonly request: () => Promise<Request>;
  readonly own: Outcome;
  readonly other: Outcome;
  readonly national: Outcome;
}

/** Routes that take a POST body but change nothing (parsing, rendering, searching, previewing). */
/** The sign-in's own writes change only the caller's session (no organisation's data): oidc-signin.test.ts drives them. */
const SESSION_WRITES = new Set(['POST /auth/profile', 'POST /auth/logout']);
const READS_BY_POST = new Set(['POST /v1/barcodes/parse', 'POST /v1/labels', 'POST /v1/procedures/search', 'POST /v1/recalls/preview', 'POST /v1/consents/search']);
/**
 * The SMART token endpoint writes (a client assertion's jti, an access token) but takes no key: the client
 * authenticates by its signed assertion, and writes only its own rows. Its refusals: smart-backend.test.ts.
 * The back-channel logout endpoint likewise: the provider authenticates by its signed logout token, which ends
 * only sessions of that provider's people (oidc-backchannel-logout.test.ts).
 */
const AUTHENTICATED_BY_ASSERTION = new Set(['POST /oauth/token', 'POST /auth/backchannel-logout']);

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/**
 * Every row A owns, without the registry feed's bookkeeping: a consent recorded
 * by B for A's patient (consent follows the patient) rightly puts A's
 * procedures in the feed again, so that the registry hears of the change.
 */
async function ownedByA(app: TestApp, organisationId: string): Promise<Record<string, unknown[]>> {
  const rows = await ownedRows(app.db, organisationId);
  return Object.fromEntries(
    Object.entries(rows).map(([table, list]) => [
      table,
      list.map((row) => Object.fromEntries(Object.entries(row as Record<string, unknown>).filter(([column]) => !['change_seq', 'change_xid', 'changed_at'].includes(column)))),
    ]),
  );
}

function expectOk(res: { statusCode: number; body: string }, what: string): void {
  if (res.statusCode >= 300) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
}

t.test('write matrix: every write route × role × tenancy', async (t) => {
  const app = await buildTestApp(t);
  const { a, b, national, nationalRecallId } = await twoOrganisations(app);
  const A = a.org.keys;
  const nationalScanner = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'national scanner', role: 'scanner', national: true } });
  expectOk(nationalScanner, 'national scanner key');
  const keys = {
    own: A,
    other: b.org.keys,
    national: { admin: app.adminKey, scanner: nationalScanner.json<{ key: string }>().key, procurement: national.procurement, registry: national.registry } as Record<Role, string>,
  };

  // Fresh resources of A's, made through A's own keys.
  const openProcedureOfA = async () => {
    const res = await openProcedure(app, A.scanner, { patient: { nhsNumber: a.nhs } });
    expectOk(res, 'open procedure');
    return res.json<{ id: string }>().id;
  };
  /** The URL of a staff member badged into one of A's cases. */
  const staffInCaseOfA = async () => {
    const procedureId = await openProcedureOfA();
    const res = await app.request({ method: 'POST', url: `/v1/procedures/${procedureId}/staff`, key: A.scanner, payload: { staff: { barcode: BADGE } } });
    expectOk(res, 'badge in');
    return `/v1/procedures/${procedureId}/staff/${res.json<{ atScanner: string }>().atScanner}`;
  };
  const scanOfA = async (barcode: string) => {
    const res = await scan(app, A.scanner, await openProcedureOfA(), { barcode });
    expectOk(res, 'scan');
    return res.json<{ scan: { id: string }; item: { id: string } }>();
  };
  const recallOfA = async () => {
    const res = await app.request({ method: 'POST', url: '/v1/recalls', key: A.procurement, payload: { reference: `FSN-${unique()}`, title: 'A', scope: [{ gtin: GTIN, allLots: true }] } });
    expectOk(res, 'recall');
    return res.json<{ id: string }>().id;
  };
  const STORE = '9506000134376';
  const stockRequest = (url: string, payload: object): Request => ({ method: 'POST', url, payload, headers: { 'idempotency-key': randomUUID() } });
  /** A fresh lot of one unit in A's store (quarantined, for a release), as the barcode that names it. */
  const lotOfA = async (quarantined = false) => {
    const barcode = `]d201${GTIN}10W${unique()}`;
    expectOk(await app.request({ ...stockRequest('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode }] }), key: A.procurement }), 'stock receipt');
    if (quarantined) expectOk(await app.request({ ...stockRequest('/v1/stock/quarantine', { location: { gln: STORE }, reason: 'FSN write matrix', lines: [{ barcode }] }), key: A.procurement }), 'quarantine');
    return barcode;
  };
  const nationalRecall = async () => {
    const res = await app.request({ method: 'POST', url: '/v1/recalls', key: national.procurement, payload: { reference: `MHRA-${unique()}`, title: 'N', scope: [{ gtin: GTIN, allLots: true }] } });
    expectOk(res, 'national recall');
    return res.json<{ id: string }>().id;
  };
  const keyOfA = async () => {
    const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: A.admin, payload: { name: `victim ${unique()}`, role: 'scanner', organisation: 'RTA' } });
    expectOk(res, 'key');
    return res.json<{ id: string }>().id;
  };

  /** A SMART client reading A's organisation for NJR (registered by a national admin: no one else may). */
  const smartClientOfA = async () => {
    const res = await app.request({ method: 'POST', url: '/v1/smart/clients', key: app.adminKey, payload: { registry: 'NJR', organisation: 'RTA', jwksUrl: `https://wm.example/${unique()}/jwks.json` } });
    expectOk(res, 'SMART client');
    return res.json<{ id: string }>().id;
  };

  const ownRuleOfA = async () => {
    const res = await app.request({ method: 'POST', url: '/v1/compatibility/rules', key: A.procurement, payload: { slug: `r-${unique()}`, kind: 'same-manufacturer', severity: 'warning', joint: 'shoulder', message: 'Shoulder parts from {a} and {b}.' } });
    expectOk(res, 'own rule');
    return res.json<{ id: string }>().id;
  };
  /** A waiver of A's in force (one already in force will do). */
  const waiverOfA = async () => {
    const res = await app.request({ method: 'POST', url: '/v1/compatibility/rules/shoulder.one-of-each/waiver', key: A.procurement, payload: { reason: 'reverse and anatomic parts together' } });
    if (res.statusCode !== 409) expectOk(res, 'waiver');
    return 'shoulder.one-of-each';
  };

  const ROWS: Row[] = [
    { route: 'POST /v1/organisations', role: 'admin', request: async () => ({ method: 'POST', url: '/v1/organisations', payload: { odsCode: `X${unique().toUpperCase().slice(-6)}`, name: 'New Trust' } }), own: 403, other: 403, national: 'done' },
    { route: 'POST /v1/api-keys', role: 'admin', request: async () => ({ method: 'POST', url: '/v1/api-keys', payload: { name: `k ${unique()}`, role: 'scanner', organisation: 'RTA' } }), own: 'done', other: 404, national: 'done' },
    { route: 'DELETE /v1/api-keys/:id', role: 'admin', request: async () => ({ method: 'DELETE', url: `/v1/api-keys/${await keyOfA()}` }), own: 'done', other: 404, national: 'done' },
    { route: 'POST /v1/locations', role: 'admin', request: async () => ({ method: 'POST', url: '/v1/locations', payload: { gln: '9506000134369', name: `Theatre ${unique()}` } }), own: 'done', other: 'own', national: 403 },
    { route: 'POST /v1/staff', role: 'admin', request: async () => ({ method: 'POST', url: '/v1/staff', payload: { localId: `S${unique()}`, name: 'A. Surgeon' } }), own: 'done', other: 'own', national: 403 },
    { route: 'POST /v1/procedures', role: 'scanner', request: async () => ({ method: 'POST', url: '/v1/procedures', payload: { patient: { nhsNumber: a.nhs } } }), own: 'done', other: 'own', national: 403 },
    // A national scanner key belongs to no theatre: A's procedures and scans are not found for it.
    { route: 'POST /v1/procedures/:id/complete', role: 'scanner', request: async () => ({ method: 'POST', url: `/v1/procedures/${await openProcedureOfA()}/complete` }), own: 'done', other: 404, national: 404 },
    {
      route: 'POST /v1/procedures/:id/scans',
      role: 'scanner',
      request: async () => ({ method: 'POST', url: `/v1/procedures/${await openProcedureOfA()}/scans`, payload: { barcode: `01${GTIN}10LOT-W` }, headers: { 'idempotency-key': randomUUID() } }),
      own: 'done',
      other: 404,
      national: 403,
    },
    { route: 'POST /v1/procedures/:id/check', role: 'scanner', request: async () => ({ method: 'POST', url: `/v1/procedures/${await openProcedureOfA()}/check`, payload: { barcode: `01${GTIN}10LOT-C` } }), own: 'done', other: 404, national: 403 },
    { route: 'POST /v1/procedures/:id/staff', role: 'scanner', request: async () => ({ method: 'POST', url: `/v1/procedures/${await openProcedureOfA()}/staff`, payload: { staff: { barcode: BADGE }, role: 'scrub' } }), own: 'done', other: 404, national: 404 },
    { route: 'DELETE /v1/procedures/:id/staff/:staffId', role: 'scanner', request: async () => ({ method: 'DELETE', url: await staffInCaseOfA() }), own: 'done', other: 404, national: 404 },
    { route: 'POST /v1/scans/:id/void', role: 'scanner', request: async () => ({ method: 'POST', url: `/v1/scans/${(await scanOfA(`01${GTIN}10LOT-V`)).scan.id}/void`, payload: { reason: 'wrong box' } }), own: 'done', other: 404, national: 404 },
    {
      route: 'POST /v1/items/:id/decision',
      role: 'scanner',
      // An expired label: a critical warning, and an item waiting for its decision.
      request: async () => ({ method: 'POST', url: `/v1/items/${(await scanOfA(`01${GTIN}17200101` + `10LOT-E`)).item.id}/decision`, payload: { outcome: 'not-used', disposition: 'wasted' } }),
      own: 'done',
      other: 404,
      national: 403,
    },
    { route: 'PUT /v1/products/:gtin', role: 'procurement', request: async () => ({ method: 'PUT', url: `/v1/products/${GTIN}`, payload: { brand: 'Hip Stem X', manufacturer: 'Acme', implantable: true, model: unique() } }), own: 'done', other: 'own', national: 'done' },
    { route: 'PATCH /v1/products/:gtin', role: 'procurement', request: async () => ({ method: 'PATCH', url: `/v1/products/${GTIN}`, payload: { model: unique() } }), own: 'done', other: 'own', national: 'done' },
    { route: 'POST /v1/products/import', role: 'procurement', request: async () => ({ method: 'POST', url: '/v1/products/import', payload: `PrimaryDI,brandName,versionModelNumber\n${GTIN},Hip Stem X,${unique()}\n`, headers: { 'content-type': 'text/csv' } }), own: 'done', other: 'own', national: 'done' },
    { route: 'POST /v1/recalls', role: 'procurement', request: async () => ({ method: 'POST', url: '/v1/recalls', payload: { reference: `FSN-${unique()}`, title: 'x', scope: [{ gtin: GTIN, allLots: true }] } }), own: 'done', other: 'own', national: 'done' },
    // Closed with a reason: A's patients on the recall are not reviewed (RECALL_OPEN_ITEMS otherwise).
    { route: 'POST /v1/recalls/:id/close', role: 'procurement', request: async () => ({ method: 'POST', url: `/v1/recalls/${await recallOfA()}/close`, payload: { reason: 'write matrix closure' } }), own: 'done', other: 404, national: 403 },
    // A recall's stock: each organisation moves its own; a national key reads.
    { route: 'POST /v1/recalls/:id/stock/quarantine', role: 'procurement', request: async () => stockRequest(`/v1/recalls/${await recallOfA()}/stock/quarantine`, {}), own: 'done', other: 404, national: 403 },
    { route: 'POST /v1/recalls/:id/stock/return', role: 'procurement', request: async () => stockRequest(`/v1/recalls/${await recallOfA()}/stock/return`, { supplier: 'Acme' }), own: 'done', other: 404, national: 403 },
    // A national recall is closed by the national key that owns it, by no organisation.
    { route: 'POST /v1/recalls/:id/close', role: 'procurement', request: async () => ({ method: 'POST', url: `/v1/recalls/${await nationalRecall()}/close`, payload: { reason: 'write matrix closure' } }), own: 403, other: 403, national: 'done' },
    // Contact steps: written by the organisation that holds the patient, on its own recalls and on national ones.
    { route: 'PATCH /v1/recalls/:id/items/:itemId', role: 'procurement', request: async () => ({ method: 'PATCH', url: `/v1/recalls/${a.recallId}/items/${a.itemId}`, payload: { status: 'contacted', note: unique() } }), own: 'done', other: 404, national: 403 },
    { route: 'PATCH /v1/recalls/:id/items/:itemId', role: 'procurement', request: async () => ({ method: 'PATCH', url: `/v1/recalls/${nationalRecallId}/items/${a.itemId}`, payload: { status: 'contacted', note: unique() } }), own: 'done', other: 404, national: 403 },
    // An organisation's compatibility rules and waivers: its own, written by its procurement (the MDSO); a national key has none.
    {
      route: 'POST /v1/compatibility/rules',
      role: 'procurement',
      request: async () => ({ method: 'POST', url: '/v1/compatibility/rules', payload: { slug: `w-${unique()}`, kind: 'at-most', severity: 'warning', components: ['patella'], max: 1, message: 'A second {candidate}.' } }),
      own: 'done',
      other: 'own',
      national: 403,
    },
    { route: 'POST /v1/compatibility/rules/:ruleId/retire', role: 'procurement', request: async () => ({ method: 'POST', url: `/v1/compatibility/rules/${await ownRuleOfA()}/retire`, payload: { reason: 'no longer stocked' } }), own: 'done', other: 404, national: 403 },
    {
      route: 'POST /v1/compatibility/rules/:ruleId/waiver',
      role: 'procurement',
      request: async () => {
        await app.request({ method: 'DELETE', url: '/v1/compatibility/rules/knee.one-manufacturer/waiver', key: A.procurement });
        return { method: 'POST', url: '/v1/compatibility/rules/knee.one-manufacturer/waiver', payload: { reason: 'mixed knee systems by design here' } };
      },
      own: 'done',
      other: 'own',
      national: 403,
    },
    { route: 'DELETE /v1/compatibility/rules/:ruleId/waiver', role: 'procurement', request: async () => ({ method: 'DELETE', url: `/v1/compatibility/rules/${await waiverOfA()}/waiver` }), own: 'done', other: 404, national: 403 },
    // Stock: each organisation's own, written by its procurement; a national key reads it and writes none.
    // A movement by B of A's units finds none of them in B's stock.
    { route: 'POST /v1/stock/receipts', role: 'procurement', request: async () => stockRequest('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode: `]d201${GTIN}10W${unique()}` }] }), own: 'done', other: 'own', national: 403 },
    { route: 'POST /v1/stock/moves', role: 'procurement', request: async () => stockRequest('/v1/stock/moves', { from: { gln: STORE }, to: { gln: '9506000134369' }, lines: [{ barcode: await lotOfA() }] }), own: 'done', other: 409, national: 403 },
    { route: 'POST /v1/stock/write-offs', role: 'procurement', request: async () => stockRequest('/v1/stock/write-offs', { location: { gln: STORE }, reason: 'damaged', lines: [{ barcode: await lotOfA() }] }), own: 'done', other: 409, national: 403 },
    { route: 'POST /v1/stock/returns', role: 'procurement', request: async () => stockRequest('/v1/stock/returns', { location: { gln: STORE }, lines: [{ barcode: await lotOfA() }] }), own: 'done', other: 409, national: 403 },
    { route: 'POST /v1/stock/quarantine', role: 'procurement', request: async () => stockRequest('/v1/stock/quarantine', { location: { gln: STORE }, reason: 'FSN write matrix', lines: [{ barcode: await lotOfA() }] }), own: 'done', other: 409, national: 403 },
    { route: 'POST /v1/stock/release', role: 'procurement', request: async () => stockRequest('/v1/stock/release', { location: { gln: STORE }, reason: 'FSN write matrix', lines: [{ barcode: await lotOfA(true) }] }), own: 'done', other: 409, national: 403 },
    // Each organisation writes its own price list: B's prices are B's rows, nothing of A's.
    { route: 'POST /v1/prices', role: 'procurement', request: async () => stockRequest('/v1/prices', [{ gtin: GTIN, unitPrice: '150.00', effectiveFrom: '2026-01-01' }]), own: 'done', other: 'own', national: 403 },
    {
      route: 'POST /v1/prices/import',
      role: 'procurement',
      request: async () => ({ method: 'POST', url: '/v1/prices/import', payload: `gtin,unit_price,effective_from\n${GTIN},150.00,2026-02-01\n`, headers: { 'idempotency-key': randomUUID(), 'content-type': 'text/csv' } }),
      own: 'done',
      other: 'own',
      national: 403,
    },
    // Par levels: each organisation's own; B's setting is B's own row (nothing of A's changes).
    { route: 'PUT /v1/stock/par-levels', role: 'procurement', request: async () => ({ method: 'PUT', url: '/v1/stock/par-levels', payload: [{ location: { gln: STORE }, gtin: GTIN, par: 4 }], headers: { 'idempotency-key': randomUUID() } }), own: 'done', other: 'own', national: 403 },
    // SMART clients are national configuration, also those that read one organisation.
    { route: 'POST /v1/smart/clients', role: 'admin', request: async () => ({ method: 'POST', url: '/v1/smart/clients', payload: { registry: 'NJR', organisation: 'RTA', jwksUrl: `https://wm.example/${unique()}/jwks.json` } }), own: 403, other: 403, national: 'done' },
    { route: 'DELETE /v1/smart/clients/:id', role: 'admin', request: async () => ({ method: 'DELETE', url: `/v1/smart/clients/${await smartClientOfA()}` }), own: 403, other: 403, national: 'done' },
    { route: 'PUT /v1/registries/:code', role: 'admin', request: async () => ({ method: 'PUT', url: '/v1/registries/WMX', payload: { name: 'Write matrix registry', withoutConsent: 'omit' } }), own: 403, other: 403, national: 'done' },
    // Consent follows the patient: any organisation records it for a patient, as its own row.
    { route: 'POST /v1/consents', role: 'scanner', request: async () => ({ method: 'POST', url: '/v1/consents', payload: { nhsNumber: a.nhs, registry: 'NJR', status: 'granted' } }), own: 'done', other: 'own', national: 403 },
    { route: 'POST /v1/consents', role: 'procurement', request: async () => ({ method: 'POST', url: '/v1/consents', payload: { nhsNumber: a.nhs, registry: 'NJR', status: 'granted' } }), own: 'done', other: 'own', national: 403 },
    {
      route: 'DELETE /fhir/R4/$export-status/:id',
      role: 'registry',
      request: async () => ({ method: 'DELETE', url: new URL((await exportAll(app, A.registry, 'NJR', '?_type=Location')).statusUrl).pathname }),
      own: 'done',
      other: 404,
      national: 404,
    },
  ];

  t.test('the table has a row for every write route and every role it admits, and no other', async (t) => {
    const declared = new Set(
      app.app.routeAccess
        .filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !READS_BY_POST.has(`${r.method} ${r.url}`) && !SESSION_WRITES.has(`${r.method} ${r.url}`) && !AUTHENTICATED_BY_ASSERTION.has(`${r.method} ${r.url}`))
        .flatMap((r) => (r.access === 'public' ? [`${r.method} ${r.url} as anyone`] : r.access.map((role) => `${r.method} ${r.url} as ${role}`))),
    );
    const covered = new Set(ROWS.map((r) => `${r.route} as ${r.role}`));
    t.same([...declared].filter((x) => !covered.has(x)).sort(), [], 'every write route × admitted role has a row');
    t.same([...covered].filter((x) => !declared.has(x)).sort(), [], 'and the table names no route or role the app does not admit');
  });

  for (const row of ROWS) {
    t.test(`${row.route} as ${row.role}`, async (t) => {
      for (const who of ['other', 'national', 'own'] as const) {
        const expected = row[who];
        const req = await row.request();
        const before = who === 'own' ? undefined : await ownedByA(app, a.org.id);
        const res = await app.request({ ...req, key: keys[who][row.role] });
        const what = `${who}: ${res.statusCode} ${res.statusCode >= 400 ? res.body.slice(0, 200) : ''}`;
        if (expected === 'done' || expected === 'own') t.ok(res.statusCode >= 200 && res.statusCode < 300, what);
        else t.equal(res.statusCode, expected, what);
        if (expected === 403) t.match(res.body, /FORBIDDEN/, `${who}: FORBIDDEN`);
        if (before !== undefined && expected !== 'done') t.same(await ownedByA(app, a.org.id), before, `${who}: nothing A owns changed`);
      }
    });
  }
});
