import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { GS, GTIN, openProcedure, scan } from '../helpers/theatre.js';
import { leaks, ownedRows, twoOrganisations } from '../helpers/two-organisations.js';

/** Error code of a problem+json or a FHIR OperationOutcome. */
function codeOf(res: { headers: Record<string, unknown>; json<T>(): T }): string | undefined {
  if (String(res.headers['content-type']).startsWith('application/fhir+json')) {
    return res.json<{ issue: Array<{ details: { coding: Array<{ code: string }> } }> }>().issue[0]?.details.coding[0]?.code;
  }
  return res.json<{ code?: string }>().code;
}

async function exportOf(app: TestApp, key: string): Promise<{ statusUrl: string; files: Record<string, string>; urls: string[] }> {
  const kick = await app.request({ method: 'GET', url: '/fhir/R4/Group/NJR/$export', key, headers: { prefer: 'respond-async' } });
  if (kick.statusCode !== 202) throw new Error(`kick-off ${kick.statusCode} ${kick.body}`);
  const statusUrl = new URL(String(kick.headers['content-location'])).pathname;
  for (let i = 0; i < 500; i++) {
    const res = await app.request({ method: 'GET', url: statusUrl, key });
    if (res.statusCode === 200) {
      const urls = res.json<{ output: Array<{ type: string; url: string }> }>().output.map((o) => new URL(o.url).pathname);
      const files: Record<string, string> = {};
      for (const url of urls) {
        const file = await app.request({ method: 'GET', url, key });
        if (file.statusCode !== 200) throw new Error(`file ${file.statusCode}`);
        files[url.split('/').pop() ?? url] = file.body;
      }
      return { statusUrl, files, urls };
    }
    if (res.statusCode !== 202) throw new Error(`status ${res.statusCode} ${res.body}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('export did not finish');
}

t.test('tenancy: organisation B never reads or changes A’s data', async (t) => {
  const app = await buildTestApp(t);
  const { a, b, national, nationalRecallId } = await twoOrganisations(app);
  const B = b.org.keys;
  const aExport = await exportOf(app, a.org.keys.registry);
  /** Everything that identifies A's data in a response. */
  const aMarks = [a.nhs, a.patientId, a.procedureId, a.openProcedureId, a.itemId, a.scanId, a.serial, a.recallId, 'RTA', 'LOT-A'];
  const showsA = (body: string) => aMarks.filter((m) => body.includes(m));

  t.test('reads by id answer 404, exactly as if A’s rows did not exist', async (t) => {
    const reads: Array<[string, string, string]> = [
      [B.scanner, 'GET', `/v1/procedures/${a.procedureId}`],
      [B.procurement, 'GET', `/v1/procedures/${a.procedureId}`],
      [B.procurement, 'GET', `/v1/recalls/${a.recallId}`],
      [B.procurement, 'GET', `/v1/recalls/${a.recallId}/patients`],
      [B.procurement, 'GET', `/v1/recalls/${a.recallId}/patients?format=csv`],
      [B.procurement, 'GET', `/v1/recalls/${a.recallId}/scopes/0/lots`],
      [B.registry, 'GET', aExport.statusUrl],
      ...aExport.urls.map((url): [string, string, string] => [B.registry, 'GET', url]),
    ];
    for (const [key, method, url] of reads) {
      const res = await app.request({ method: method, url, key });
      t.equal(res.statusCode, 404, `${method} ${url}`);
      t.ok(['NOT_FOUND', 'EXPORT_NOT_FOUND'].includes(codeOf(res) ?? ''), String(codeOf(res)));
      t.same(showsA(res.body), [], 'nothing of A in the answer');
    }
    const absent = await app.request({ method: 'GET', url: '/v1/procedures/00000000-0000-4000-8000-000000000000', key: B.scanner });
    const hidden = await app.request({ method: 'GET', url: `/v1/procedures/${a.procedureId}`, key: B.scanner });
    const strip = (body: string) => body.replace(/"instance":"[^"]*"/, '');
    t.equal(strip(hidden.body), strip(absent.body), 'another organisation’s procedure reads the same as one that does not exist');
  });

  t.test('writes on A’s ids answer 404 and change nothing of A’s', async (t) => {
    const before = await ownedRows(app.db, a.org.id);
    const writes: Array<[string, 'POST' | 'PATCH' | 'DELETE', string, object | undefined, Record<string, string>?]> = [
      [B.scanner, 'POST', `/v1/procedures/${a.openProcedureId}/complete`, undefined],
      [B.scanner, 'POST', `/v1/procedures/${a.openProcedureId}/scans`, { barcode: `01${GTIN}10LOT-X` }, { 'idempotency-key': 'tenancy-1' }],
      [B.scanner, 'POST', `/v1/procedures/${a.procedureId}/scans`, { barcode: `01${GTIN}10LOT-X`, lateEntry: { reason: 'tenancy check' } }, { 'idempotency-key': 'tenancy-2' }],
      [B.scanner, 'POST', `/v1/scans/${a.scanId}/void`, { reason: 'not ours' }],
      [B.procurement, 'PATCH', `/v1/recalls/${a.recallId}/items/${a.itemId}`, { status: 'deceased' }],
      [B.procurement, 'PATCH', `/v1/recalls/${nationalRecallId}/items/${a.itemId}`, { status: 'deceased' }],
      [B.procurement, 'POST', `/v1/recalls/${a.recallId}/close`, undefined],
      [B.admin, 'DELETE', `/v1/api-keys/${a.org.keyIds.scanner}`, undefined],
      [B.registry, 'DELETE', aExport.statusUrl, undefined],
    ];
    for (const [key, method, url, payload, headers] of writes) {
      const res = await app.request({ method, url, key, ...(payload ? { payload } : {}), ...(headers ? { headers } : {}) });
      t.equal(res.statusCode, 404, `${method} ${url}`);
      t.same(showsA(res.body), [], 'nothing of A in the answer');
    }
    const keyForA = await app.request({ method: 'POST', url: '/v1/api-keys', key: B.admin, payload: { name: 'intruder', role: 'admin', organisation: 'RTA' } });
    t.equal(keyForA.statusCode, 404, 'B’s admin cannot issue a key for A');
    const nationalKey = await app.request({ method: 'POST', url: '/v1/api-keys', key: B.admin, payload: { name: 'intruder', role: 'admin', national: true } });
    t.equal(nationalKey.statusCode, 403, 'nor a national key');
    t.same(await ownedRows(app.db, a.org.id), before, 'every row A owns is as it was');
    t.equal((await app.request({ method: 'GET', url: '/v1/me', key: a.org.keys.scanner })).statusCode, 200, 'A’s scanner key still works');
    t.equal((await app.request({ method: 'GET', url: aExport.statusUrl, key: a.org.keys.registry })).statusCode, 200, 'A’s export is still there');
  });

  t.test('lists, searches, reports, recall matches, feeds, exports and CSV hold only B’s rows', async (t) => {
    const search = await app.request({ method: 'POST', url: '/v1/procedures/search', key: B.procurement, payload: {} });
    t.equal(search.statusCode, 200);
    t.same(search.json<{ items: Array<{ organisation: string }> }>().items.map((p) => p.organisation), ['RTB', 'RTB']);
    const byNhs = await app.request({ method: 'POST', url: '/v1/procedures/search', key: B.procurement, payload: { nhsNumber: a.nhs } });
    t.same(byNhs.json(), { items: [] }, 'searching for A’s patient finds nothing');

    const recalls = await app.request({ method: 'GET', url: '/v1/recalls', key: B.procurement });
    const ids = recalls.json<{ items: Array<{ id: string; counts: { items: number } }> }>().items;
    t.same(ids.map((r) => r.id).sort(), [b.recallId, nationalRecallId].sort(), 'B’s recall and the national one, not A’s');
    t.ok(ids.every((r) => r.counts.items === 1), 'counted over B’s items only');

    const pages = [
      `/v1/recalls/${b.recallId}/patients`,
      `/v1/recalls/${nationalRecallId}/patients`,
      `/v1/recalls/affected-patients?gtin=${GTIN}`,
    ];
    for (const url of pages) {
      const res = await app.request({ method: 'GET', url, key: B.procurement });
      t.equal(res.statusCode, 200, url);
      t.same(res.json<{ items: Array<{ itemId: string }> }>().items.map((i) => i.itemId), [b.itemId], url);
      t.same(showsA(res.body), [], url);
    }
    const csv = await app.request({ method: 'GET', url: `/v1/recalls/${nationalRecallId}/patients`, key: B.procurement, headers: { accept: 'text/csv' } });
    t.equal(csv.statusCode, 200);
    t.equal(csv.body.trim().split('\n').length, 2, 'header and B’s one row');
    t.ok(csv.body.includes(b.nhs));
    t.same(showsA(csv.body), [], 'the CSV holds nothing of A');

    const preview = await app.request({ method: 'POST', url: '/v1/recalls/preview', key: B.procurement, payload: { reference: 'P', title: 'p', scope: [{ gtin: GTIN, allLots: true }] } });
    t.match(preview.json(), { items: 1, patients: 1 });

    const quality = await app.request({ method: 'GET', url: '/v1/reports/data-quality?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', key: B.procurement });
    t.equal(quality.statusCode, 200);
    t.match(quality.json(), { total: { items: 1 } });
    t.ok(quality.json<{ byLocation: Array<{ organisation: string }> }>().byLocation.every((r) => r.organisation === 'RTB'));

    const londonMonth = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit' }).format(ms);
    const safety = await app.request({ method: 'GET', url: `/v1/reports/safety?from=${londonMonth(Date.now() - 40 * 86_400_000)}&to=${londonMonth(Date.now() + 40 * 86_400_000)}`, key: B.procurement });
    t.equal(safety.statusCode, 200, safety.body);
    const safetyReport = safety.json<{ months: Array<{ scanning: { items: number } }>; byOrganisation: Array<{ organisation: string }> }>();
    t.same(safetyReport.byOrganisation.map((o) => o.organisation), ['RTB'], 'the safety report counts B alone');
    t.equal(safetyReport.months.reduce((n, m) => n + m.scanning.items, 0), 1, 'B’s one item');

    const survival = await app.request({ method: 'GET', url: '/v1/outcomes/survival', key: B.procurement });
    t.equal(survival.statusCode, 200);
    t.same(survival.json<{ groups: Array<{ n: number }> }>().groups.map((g) => g.n), [1], 'survival over B’s one implant');
    const svg = await app.request({ method: 'GET', url: '/v1/outcomes/survival.svg', key: B.registry });
    t.equal(svg.statusCode, 200);
    t.same(showsA(svg.body), []);

    const feed = await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: B.registry });
    t.equal(feed.statusCode, 200);
    t.same(feed.json<{ entries: Array<{ procedureId: string }> }>().entries.map((e) => e.procedureId).sort(), [b.procedureId, b.openProcedureId].sort());
    t.same(showsA(feed.body), []);

    const bExport = await exportOf(app, B.registry);
    const exported = Object.values(bExport.files).join('');
    t.ok(exported.includes(b.procedureId), 'B’s export holds B’s procedure');
    t.same(showsA(exported), [], 'and nothing of A');

    const keys = await app.request({ method: 'GET', url: '/v1/api-keys', key: B.admin });
    t.ok(keys.json<{ items: Array<{ organisation: string }> }>().items.every((k) => k.organisation === 'RTB'), 'B’s admin lists B’s keys only');
    const orgs = await app.request({ method: 'GET', url: '/v1/organisations', key: B.admin });
    t.same(orgs.json<{ items: Array<{ odsCode: string }> }>().items.map((o) => o.odsCode), ['RTB']);
  });

  t.test('consent follows the patient: B sees that A recorded one, not who or where, and B’s audit names none of A’s patients', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/consents/search', key: B.scanner, payload: { nhsNumber: a.nhs } });
    t.equal(res.statusCode, 200);
    t.match(res.json(), { inForce: [{ registry: 'NJR', status: 'granted', recordedBy: 'another-organisation' }] });
    t.same(showsA(res.body).filter((m) => m !== a.nhs), []);
    const audit = await app.db.selectFrom('audit_events').select(['patient_ids']).where('request_id', '=', String(res.headers['x-request-id'])).execute();
    t.same(audit.map((r) => r.patient_ids), [[]], 'audited, without A’s patient ids');
  });

  t.test('a scan in B of a serial implanted in A warns, naming nobody', async (t) => {
    const procedure = await openProcedure(app, B.scanner, { patient: { nhsNumber: b.nhs } });
    const res = await scan(app, B.scanner, procedure.json<{ id: string }>().id, { barcode: `01${GTIN}17301231` + `10LOT-A${GS}21${a.serial}` });
    t.equal(res.statusCode, 201);
    const warning = res.json<{ warnings: Array<{ code: string; message: string }> }>().warnings.find((w) => w.code === 'SERIAL_ALREADY_IMPLANTED');
    t.ok(warning, 'the patient-safety warning crosses organisations');
    t.same(showsA(res.body).filter((m) => m !== a.serial && m !== 'LOT-A'), [], 'but shows no patient, procedure or organisation of A');
  });

  t.test('national keys read across organisations, and write nothing that belongs to one', async (t) => {
    const read = await app.request({ method: 'GET', url: `/v1/procedures/${a.procedureId}`, key: national.procurement });
    t.equal(read.statusCode, 200, 'a national key reads any procedure');
    const search = await app.request({ method: 'POST', url: '/v1/procedures/search', key: national.procurement, payload: {} });
    t.same([...new Set(search.json<{ items: Array<{ organisation: string }> }>().items.map((p) => p.organisation))].sort(), ['RTA', 'RTB']);
    const patients = await app.request({ method: 'GET', url: `/v1/recalls/${nationalRecallId}/patients`, key: national.procurement });
    t.ok(patients.json<{ items: Array<{ itemId: string }> }>().items.map((i) => i.itemId).includes(a.itemId), 'the national recall lists A’s patient for the national key');
    t.equal((await app.request({ method: 'GET', url: `/v1/recalls/${a.recallId}`, key: national.procurement })).statusCode, 200, 'and sees A’s own recall');
    const close = await app.request({ method: 'POST', url: `/v1/recalls/${a.recallId}/close`, key: national.procurement });
    t.equal(close.statusCode, 403, 'but only A closes A’s recall');
    const closeNational = await app.request({ method: 'POST', url: `/v1/recalls/${nationalRecallId}/close`, key: B.procurement });
    t.equal(closeNational.statusCode, 403, 'and only the national key closes the national one');
    for (const recallId of [a.recallId, nationalRecallId]) {
      const contact = await app.request({ method: 'PATCH', url: `/v1/recalls/${recallId}/items/${a.itemId}`, key: national.procurement, payload: { status: 'deceased' } });
      t.equal(contact.statusCode, 403, 'a national key writes no contact step on an organisation’s patient');
      t.equal(contact.json().code, 'FORBIDDEN');
    }
    const listed = await app.request({ method: 'GET', url: `/v1/recalls/${a.recallId}/patients`, key: a.org.keys.procurement });
    t.notOk(listed.json<{ items: Array<{ contactStatus: string }> }>().items.some((i) => i.contactStatus === 'deceased'), 'and A’s list shows none');
    const own = await app.request({ method: 'PATCH', url: `/v1/recalls/${nationalRecallId}/items/${a.itemId}`, key: a.org.keys.procurement, payload: { status: 'contacted' } });
    t.equal(own.statusCode, 200, 'A records contact with its own patient on a national recall');
    const feed = await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: national.registry });
    const orgs = new Set(feed.json<{ entries: Array<{ procedure: { organisation: string } | null }> }>().entries.map((e) => e.procedure?.organisation));
    t.same([...orgs].sort(), ['RTA', 'RTB'], 'the national registry feed covers both');
    const aExportForNational = await app.request({ method: 'GET', url: aExport.statusUrl, key: national.registry });
    t.equal(aExportForNational.statusCode, 404, 'an export belongs to the tenancy that started it, also against a national key');
  });

  t.test('no NHS number, key or bearer token in the logs', async (t) => {
    t.same(leaks(app, [a.nhs, b.nhs], [...Object.values(a.org.keys), ...Object.values(B), national.procurement, national.registry, app.adminKey]), []);
  });
});
