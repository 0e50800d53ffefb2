import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { GTIN, nhsNumber } from '../helpers/theatre.js';
import { leaks, twoOrganisations, type Holdings } from '../helpers/two-organisations.js';

/**
 * The routes that read or write patient data, written by hand. Each must leave
 * an audit row naming the key, the route, and the patients and procedures.
 */
const PATIENT_ROUTES = [
  'POST /v1/procedures',
  'GET /v1/procedures/:id',
  'POST /v1/procedures/:id/complete',
  'POST /v1/procedures/search',
  'POST /v1/procedures/:id/scans',
  'GET /v1/recalls/:id/patients',
  'GET /v1/recalls/affected-patients',
  'PATCH /v1/recalls/:id/items/:itemId',
  // Before the decision below: the unit it took is not on hand (the fixture received none), a discrepancy naming its case.
  'GET /v1/stock/movements',
  'GET /v1/stock/discrepancies',
  // A case's cost names its procedure.
  'GET /v1/procedures/:id/cost',
  'GET /v1/reports/cost-per-case',
  'GET /v1/stock/consignment-used',
  'POST /v1/items/:id/decision',
  // After the decision above: the item put aside is on the recall's not-used list.
  'GET /v1/recalls/:id/not-used',
  'POST /v1/consents',
  'POST /v1/consents/search',
  'GET /v1/feeds/procedures',
  'GET /fhir/R4/$export-file/:id/:file',
  // Last: it voids the fixture's item, which then no longer is an affected patient.
  'POST /v1/scans/:id/void',
] as const;

interface Drive {
  readonly key: string;
  readonly keyId: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly payload?: object | string;
  readonly headers?: Record<string, string>;
  /** The patient and procedure the audit row must name. */
  readonly patientId: string;
  readonly procedureId: string;
}

async function startExport(app: TestApp, a: Holdings): Promise<string> {
  const kick = await app.request({ method: 'GET', url: '/fhir/R4/Group/NJR/$export', key: a.org.keys.registry, headers: { prefer: 'respond-async' } });
  const status = new URL(String(kick.headers['content-location'])).pathname;
  for (let i = 0; i < 500; i++) {
    const res = await app.request({ method: 'GET', url: status, key: a.org.keys.registry });
    if (res.statusCode === 200) return status.split('/').pop() ?? '';
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('export did not finish');
}

async function auditRows(app: TestApp, requestId: string) {
  return app.db
    .selectFrom('audit_events')
    .select(['actor_key_id', 'route', 'action', 'patient_ids', 'procedure_ids', 'organisation_id', 'detail'])
    .where('request_id', '=', requestId)
    .execute();
}

t.test('audit: every route that reads or writes patient data leaves a row naming key, route, patients and procedures', async (t) => {
  const app = await buildTestApp(t);
  const { a } = await twoOrganisations(app);
  const exportId = await startExport(app, a);
  const k = a.org.keys;
  const id = a.org.keyIds;
  const at = { patientId: a.patientId, procedureId: a.procedureId };
  // An item that raised a critical warning (the organisation's recall covers GTIN): it waits for a decision.
  const pendingProcedure = (await app.request({ method: 'POST', url: '/v1/procedures', key: k.scanner, payload: { patient: { nhsNumber: a.nhs } } })).json<{ id: string }>().id;
  const pending = await app.request({ method: 'POST', url: `/v1/procedures/${pendingProcedure}/scans`, key: k.scanner, headers: { 'idempotency-key': randomUUID() }, payload: { barcode: `01${GTIN}10LOT-DECIDE` } });
  const pendingItemId = pending.json<{ item: { id: string } }>().item.id;
  // A consignment unit received in the store and used in a case of A's patient: on the supplier's "used, to be invoiced" list.
  const receipt = await app.request({ method: 'POST', url: '/v1/stock/receipts', key: k.procurement, headers: { 'idempotency-key': randomUUID() }, payload: { location: { gln: '9506000134376' }, consignment: true, supplier: 'Acme', scans: [{ barcode: `01${GTIN}21SER-CONSIGN` }] } });
  if (receipt.statusCode !== 201) throw new Error(`receipt: ${receipt.statusCode} ${receipt.body}`);
  const consignedProcedure = (await app.request({ method: 'POST', url: '/v1/procedures', key: k.scanner, payload: { patient: { nhsNumber: a.nhs } } })).json<{ id: string }>().id;
  await app.request({ method: 'POST', url: `/v1/procedures/${consignedProcedure}/scans`, key: k.scanner, headers: { 'idempotency-key': randomUUID() }, payload: { barcode: `01${GTIN}21SER-CONSIGN`, action: 'wasted' } });

  // The London dates around today (the fixture's procedures started now): a UTC date is within a day of London's.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const aroundToday = `from=${day(-1)}&to=${day(1)}`;
  const drives: Record<(typeof PATIENT_ROUTES)[number], Drive | Drive[]> = {
    'POST /v1/procedures': { key: k.scanner, keyId: id.scanner, method: 'POST', url: '/v1/procedures', payload: { patient: { nhsNumber: a.nhs } }, patientId: a.patientId, procedureId: '(created)' },
    'GET /v1/procedures/:id': [
      { key: k.scanner, keyId: id.scanner, method: 'GET', url: `/v1/procedures/${a.procedureId}`, ...at },
      { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/procedures/${a.procedureId}`, ...at },
    ],
    'POST /v1/procedures/:id/complete': [
      { key: k.scanner, keyId: id.scanner, method: 'POST', url: `/v1/procedures/${a.openProcedureId}/complete`, patientId: a.patientId, procedureId: a.openProcedureId },
      // Completing a completed procedure changes nothing, but answers the patient's record again: a read.
      { key: k.scanner, keyId: id.scanner, method: 'POST', url: `/v1/procedures/${a.procedureId}/complete`, ...at },
    ],
    'POST /v1/procedures/search': { key: k.procurement, keyId: id.procurement, method: 'POST', url: '/v1/procedures/search', payload: { nhsNumber: a.nhs }, ...at },
    'POST /v1/procedures/:id/scans': {
      key: k.scanner,
      keyId: id.scanner,
      method: 'POST',
      url: `/v1/procedures/${a.procedureId}/scans`,
      payload: { barcode: `01${GTIN}10LOT-AUDIT`, lateEntry: { reason: 'audit' } },
      headers: { 'idempotency-key': randomUUID() },
      ...at,
    },
    'POST /v1/scans/:id/void': { key: k.scanner, keyId: id.scanner, method: 'POST', url: `/v1/scans/${a.scanId}/void`, payload: { reason: 'audit' }, ...at },
    'GET /v1/recalls/:id/patients': [
      { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/recalls/${a.recallId}/patients`, ...at },
      { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/recalls/${a.recallId}/patients?format=csv`, ...at },
    ],
    'GET /v1/recalls/affected-patients': { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/recalls/affected-patients?gtin=${GTIN}`, ...at },
    'PATCH /v1/recalls/:id/items/:itemId': { key: k.procurement, keyId: id.procurement, method: 'PATCH', url: `/v1/recalls/${a.recallId}/items/${a.itemId}`, payload: { status: 'contacted' }, ...at },
    'POST /v1/items/:id/decision': {
      key: k.scanner,
      keyId: id.scanner,
      method: 'POST',
      url: `/v1/items/${pendingItemId}/decision`,
      payload: { outcome: 'not-used', disposition: 'quarantined' },
      patientId: a.patientId,
      procedureId: pendingProcedure,
    },
    'GET /v1/stock/movements': { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/stock/movements?kind=consumed&limit=500`, patientId: a.patientId, procedureId: pendingProcedure },
    'GET /v1/stock/consignment-used': { key: k.procurement, keyId: id.procurement, method: 'GET', url: '/v1/stock/consignment-used?from=2000-01-01&to=2099-12-31', patientId: a.patientId, procedureId: consignedProcedure },
    'GET /v1/stock/discrepancies': { key: k.procurement, keyId: id.procurement, method: 'GET', url: '/v1/stock/discrepancies', patientId: a.patientId, procedureId: pendingProcedure },
    'GET /v1/procedures/:id/cost': { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/procedures/${a.procedureId}/cost`, ...at },
    'GET /v1/reports/cost-per-case': [
      // The cases started around today: the one opened above among them.
      { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/reports/cost-per-case?${aroundToday}`, patientId: a.patientId, procedureId: pendingProcedure },
      { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/reports/cost-per-case?${aroundToday}&format=csv`, patientId: a.patientId, procedureId: pendingProcedure },
    ],
    'GET /v1/recalls/:id/not-used': { key: k.procurement, keyId: id.procurement, method: 'GET', url: `/v1/recalls/${a.recallId}/not-used`, patientId: a.patientId, procedureId: pendingProcedure },
    'POST /v1/consents': { key: k.scanner, keyId: id.scanner, method: 'POST', url: '/v1/consents', payload: { nhsNumber: a.nhs, registry: 'BCIR', status: 'granted' }, ...at, procedureId: '(none)' },
    'POST /v1/consents/search': { key: k.procurement, keyId: id.procurement, method: 'POST', url: '/v1/consents/search', payload: { nhsNumber: a.nhs }, ...at, procedureId: '(none)' },
    'GET /v1/feeds/procedures': { key: k.registry, keyId: id.registry, method: 'GET', url: '/v1/feeds/procedures?registry=NJR', ...at },
    'GET /fhir/R4/$export-file/:id/:file': [
      { key: k.registry, keyId: id.registry, method: 'GET', url: `/fhir/R4/$export-file/${exportId}/Procedure.ndjson`, ...at },
      { key: k.registry, keyId: id.registry, method: 'GET', url: `/fhir/R4/$export-file/${exportId}/Patient.ndjson`, ...at, procedureId: '(none)' },
    ],
  };

  for (const route of PATIENT_ROUTES) {
    for (const drive of [drives[route]].flat()) {
      t.test(`${route}: ${drive.url.split('?')[1] ?? drive.method}`, async (t) => {
        const res = await app.request({ method: drive.method, url: drive.url, key: drive.key, ...(drive.payload ? { payload: drive.payload } : {}), ...(drive.headers ? { headers: drive.headers } : {}) });
        t.ok(res.statusCode < 300, `answered ${res.statusCode}`);
        const rows = await auditRows(app, String(res.headers['x-request-id']));
        t.ok(rows.length > 0, 'an audit row');
        for (const row of rows) {
          t.equal(row.actor_key_id, drive.keyId, 'names the key');
          t.equal(row.route, route, 'names the route');
        }
        t.ok(rows.some((r) => r.patient_ids.includes(drive.patientId)), `names the patient (${JSON.stringify(rows.map((r) => r.patient_ids))})`);
        const procedureId = drive.procedureId === '(created)' ? res.json<{ id: string }>().id : drive.procedureId;
        if (procedureId !== '(none)') t.ok(rows.some((r) => r.procedure_ids.includes(procedureId)), `names the procedure (${JSON.stringify(rows.map((r) => r.procedure_ids))})`);
      });
    }
  }

  t.test('the list covers every route whose answer carries patient data', async (t) => {
    // Drive every authenticated route of the live app with A's keys and ids; an answer that carries an
    // NHS number, a patient id or a procedure id is patient data, and its route must be in the list.
    const b = (await app.request({ method: 'POST', url: '/v1/procedures', key: k.scanner, payload: { patient: { nhsNumber: nhsNumber(39_001) } } })).json<{ id: string; patient: { id: string } }>();
    const marks = [a.nhs, a.patientId, a.procedureId, a.openProcedureId, nhsNumber(39_001), b.id, b.patient.id];
    const params: Record<string, string> = { ':itemId': a.itemId, ':gtin': GTIN, ':registry': 'NJR', ':file': 'Procedure.ndjson' };
    const idFor = (url: string) =>
      url.startsWith('/v1/procedures') ? b.id : url.startsWith('/v1/scans') ? randomUUID() : url.startsWith('/v1/recalls') ? a.recallId : url.startsWith('/fhir') ? exportId : randomUUID();
    const query: Record<string, string> = {
      '/v1/labels': '?symbology=gs1datamatrix&data=(01)09506000134352',
      '/v1/reports/data-quality': '?from=2025-01-01T00:00:00Z&to=2027-01-01T00:00:00Z',
      '/v1/reports/safety': '?from=2025-01&to=2027-01',
      '/v1/reports/cost-per-case': `?${aroundToday}`,
      '/v1/reports/cost-spread': `?${aroundToday}`,
      '/v1/recalls/affected-patients': `?gtin=${GTIN}`,
      '/v1/feeds/procedures': '?registry=NJR',
      '/v1/stock/consignment-used': '?from=2000-01-01&to=2099-12-31',
    };
    const bodies: Record<string, object> = {
      'POST /v1/procedures/search': {},
      'POST /v1/consents/search': { nhsNumber: a.nhs },
      'POST /v1/consents': { nhsNumber: a.nhs, registry: 'MDOR', status: 'withdrawn' },
      'POST /v1/procedures': { patient: { nhsNumber: a.nhs } },
      'POST /v1/procedures/:id/scans': { barcode: `01${GTIN}10LOT-COVER` },
      'POST /v1/barcodes/parse': { barcode: '8018950600013435000000' },
      'POST /v1/labels': { symbology: 'gs1datamatrix', data: '(01)09506000134352' },
      'PATCH /v1/recalls/:id/items/:itemId': { status: 'reviewed' },
    };
    const keys = [k.scanner, k.procurement, k.registry, k.admin, app.adminKey];
    const carrying: string[] = [];
    const routes = app.app.routeAccess.filter((r) => r.method !== 'HEAD' && r.access !== 'public');
    t.ok(routes.length > 35);
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      if (['DELETE /v1/api-keys/:id', 'DELETE /fhir/R4/$export-status/:id', 'POST /v1/organisations', 'PUT /v1/registries/:code'].includes(name)) continue; // no patient data; would disturb the fixture
      let url = route.url.replace(':id', idFor(route.url));
      for (const [param, value] of Object.entries(params)) url = url.replace(param, value);
      url += query[route.url] ?? '';
      for (const key of keys) {
        const res = await app.request({
          method: route.method,
          url,
          key,
          ...(bodies[name] ? { payload: bodies[name] } : route.method === 'POST' || route.method === 'PUT' ? { payload: {} } : {}),
          headers: { 'idempotency-key': randomUUID(), accept: '*/*' },
        });
        if (res.statusCode === 403) continue;
        if (marks.some((m) => res.body.includes(m))) carrying.push(name);
        break;
      }
    }
    t.ok(carrying.length >= 8, `patient data found in ${carrying.length} routes (the probe works)`);
    t.same(carrying.filter((r) => !(PATIENT_ROUTES as readonly string[]).includes(r)), [], 'every route that answered patient data is in the audited list');
  });

  t.test('no NHS number, key or bearer token in the logs', async (t) => {
    t.same(leaks(app, [a.nhs, nhsNumber(39_001), nhsNumber(32_001)], [...Object.values(k), app.adminKey]), []);
  });
});
