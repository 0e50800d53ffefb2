/**
 * The affected list of a recall filtered by contact status and by match kind,
 * on a real Postgres: JSON pages (the cursor walks the filtered list), the CSV,
 * the audit row of a filtered export, and values the API does not know.
 */
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { GS, GTIN, newProcedure, scan } from '../helpers/theatre.js';

interface Affected {
  itemId: string;
  item: { serialNumber: string | null };
  match: string;
  contactStatus: string;
}

interface Page {
  items: Affected[];
  nextCursor: string | null;
}

const problemJson = 'application/problem+json; charset=utf-8';

/** Each item of the fixture is named by its serial; the label-only one has none. */
const nameOf = (a: { item: { serialNumber: string | null } }) => a.item.serialNumber ?? 'label-only';
const sorted = (names: readonly string[]) => [...names].sort();

t.test('recall list filters', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-11-21T09:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const s = org.keys.scanner;
  const p = org.keys.procurement;

  // Three patients; the recall lists lot A, and serial S-9 whatever its lot.
  const procA = await newProcedure(app, s, 401);
  await scan(app, s, procA, { barcode: `01${GTIN}10LOT-A${GS}21S-1` }); // lot
  await scan(app, s, procA, { barcode: `01${GTIN}` }); // gtin-only: the lot was never captured
  const procB = await newProcedure(app, s, 402);
  await scan(app, s, procB, { barcode: `01${GTIN}10LOT-A${GS}21S-2` }); // lot
  await scan(app, s, procB, { manual: { gtin: GTIN, lotNumber: 'LOT-A', serialNumber: 'S-4' } }); // manual
  const procC = await newProcedure(app, s, 403);
  await scan(app, s, procC, { barcode: `01${GTIN}10LOT-Z${GS}21S-9` }); // udi
  await scan(app, s, procC, { barcode: `01${GTIN}10LOT-A${GS}21S-3` }); // lot
  await scan(app, s, procC, { barcode: `01${GTIN}10LOT-Z${GS}21S-8` }); // not affected

  const created = await app.request({
    method: 'POST',
    url: '/v1/recalls',
    key: p,
    payload: { reference: 'FSN-FILTERS', title: 'Filters', scope: [{ gtin: GTIN, lots: ['LOT-A'] }, { gtin: GTIN, serials: ['S-9'] }] },
  });
  t.equal(created.statusCode, 201, created.body);
  const recallId: string = created.json().id;
  const base = `/v1/recalls/${recallId}/patients`;

  const get = (query: string, headers: Record<string, string> = {}) => app.request({ method: 'GET', url: `${base}?${query}`, key: p, headers });
  /** Every item of the (filtered) list, page by page. */
  async function walk(query: string, limit: number): Promise<{ items: Affected[]; pages: number }> {
    const items: Affected[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      if (res.statusCode !== 200) throw new Error(res.body);
      const page = res.json<Page>();
      items.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    return { items, pages };
  }
  const names = async (query: string) => sorted((await walk(query, 1000)).items.map(nameOf));

  // The whole list, and its contact steps: S-1 contacted; S-2 contacted then reviewed (the latest
  // step counts); S-9 contacted. The others have no contact row: identified.
  const all = (await walk('', 1000)).items;
  t.same(sorted(all.map(nameOf)), ['S-1', 'S-2', 'S-3', 'S-4', 'S-9', 'label-only'], 'the fixture: six affected items');
  const idOf = (name: string) => all.find((a) => nameOf(a) === name)?.itemId ?? '';
  const contact = async (name: string, status: string) => {
    const res = await app.request({ method: 'PATCH', url: `/v1/recalls/${recallId}/items/${idOf(name)}`, key: p, payload: { status } });
    if (res.statusCode !== 200) throw new Error(res.body);
  };
  await contact('S-1', 'contacted');
  await contact('S-2', 'contacted');
  await contact('S-2', 'reviewed');
  await contact('S-9', 'contacted');

  t.test('by contact status: no contact row is identified; the latest step decides', async (t) => {
    t.same(await names('status=identified'), ['S-3', 'S-4', 'label-only']);
    t.same(await names('status=contacted'), ['S-1', 'S-9'], 'S-2 was contacted, then reviewed');
    t.same(await names('status=reviewed'), ['S-2']);
    t.same(await names('status=deceased'), [], 'a status nobody has: an empty list');
    const page = (await get('status=contacted')).json<Page>();
    t.ok(page.items.every((a) => a.contactStatus === 'contacted'), 'the items say so');
  });

  t.test('by match kind', async (t) => {
    t.same(await names('match=lot'), ['S-1', 'S-2', 'S-3']);
    t.same(await names('match=udi'), ['S-9']);
    t.same(await names('match=gtin-only'), ['label-only']);
    t.same(await names('match=manual'), ['S-4']);
    t.ok((await get('match=lot')).json<Page>().items.every((a) => a.match === 'lot'), 'the items say so');
  });

  t.test('both: an item must pass each', async (t) => {
    t.same(await names('status=identified&match=lot'), ['S-3']);
    t.same(await names('status=contacted&match=lot'), ['S-1']);
    t.same(await names('match=udi&status=identified'), [], 'S-9 is contacted');
  });

  t.test('repeated values: any of them', async (t) => {
    t.same(await names('status=contacted&status=reviewed'), ['S-1', 'S-2', 'S-9']);
    t.same(await names('match=udi&match=manual'), ['S-4', 'S-9']);
    t.same(await names('status=identified&status=contacted&match=lot&match=gtin-only'), ['S-1', 'S-3', 'label-only']);
    t.same(await names('status=reviewed&status=reviewed'), ['S-2'], 'a value repeated is the same filter');
  });

  t.test('pagination under a filter: limit 1 walks exactly the filtered set, in order', async (t) => {
    const query = 'status=identified&status=contacted';
    const expected = all.filter((a) => ['S-1', 'S-3', 'S-4', 'S-9', 'label-only'].includes(nameOf(a))).map((a) => a.itemId);
    const { items, pages } = await walk(query, 1);
    t.same(items.map((a) => a.itemId), expected, 'the filtered items, in item order, no gaps, no repeats');
    t.equal(pages, expected.length + 1, 'one item a page, then an empty last page');
    const two = await walk(`${query}&match=lot`, 1);
    t.same(sorted(two.items.map(nameOf)), ['S-1', 'S-3']);
    t.equal(two.pages, 3);
  });

  t.test('the counts stay those of the whole list', async (t) => {
    const recall = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}`, key: p });
    t.match(recall.json().counts, { items: 6, patients: 3, byMatch: { lot: 3, udi: 1, 'gtin-only': 1, manual: 1 }, byStatus: { identified: 3, contacted: 2, reviewed: 1 } });
  });

  const csvRows = (body: string) => {
    const [header = '', ...rows] = body.trimEnd().split('\n');
    const columns = header.split(',');
    return rows.map((line) => {
      const cells = line.split(',');
      return Object.fromEntries(columns.map((c, k) => [c, cells[k] ?? '']));
    });
  };

  t.test('CSV under a filter: the filtered rows only', async (t) => {
    const res = await get('format=csv&status=identified&match=lot');
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/csv/);
    t.same(csvRows(res.body).map((r) => [r.serial_number, r.match, r.contact_status]), [['S-3', 'lot', 'identified']]);
    const viaAccept = await get('status=contacted&status=reviewed', { accept: 'text/csv' });
    t.same(sorted(csvRows(viaAccept.body).map((r) => r.serial_number ?? '')), ['S-1', 'S-2', 'S-9'], 'Accept: text/csv, repeated values');
    const byMatch = await get('format=csv&match=gtin-only&match=manual');
    t.same(sorted(csvRows(byMatch.body).map((r) => r.entry_type ?? '')), ['barcode', 'manual']);
    const none = await get('format=csv&status=deceased');
    t.equal(none.body.trimEnd().split('\n').length, 1, 'nothing matches: the header alone');
  });

  t.test('the audit row of a filtered CSV names only the patients exported', async (t) => {
    const lastExport = () =>
      app.db
        .selectFrom('audit_events')
        .select(['patient_ids', 'procedure_ids', 'detail'])
        .where('action', '=', 'recall.patients.export')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
    const owners = await app.db.selectFrom('items').select(['id', 'patient_id', 'procedure_id']).where('id', 'in', all.map((a) => a.itemId)).execute();
    const ownerOf = (name: string) => owners.find((o) => o.id === idOf(name)) ?? { patient_id: '', procedure_id: '' };

    await get('format=csv&status=identified&match=lot');
    const one = await lastExport();
    t.same(one.patient_ids, [ownerOf('S-3').patient_id], 'the one patient exported');
    t.same(one.procedure_ids, [procC]);
    t.match(one.detail, { recallId, results: 1, status: ['identified'], match: ['lot'] }, 'the filter is recorded with the export');

    await get('format=csv&status=contacted');
    const two = await lastExport();
    t.same(sorted(two.patient_ids), sorted([ownerOf('S-1').patient_id, ownerOf('S-9').patient_id]), 'patients 401 and 403, not 402 (reviewed)');
    t.same(sorted(two.procedure_ids), sorted([procA, procC]));

    await get('format=csv&status=deceased');
    const none = await lastExport();
    t.same(none.patient_ids, [], 'an empty export names nobody');
    t.match(none.detail, { results: 0 });

    await get('format=csv');
    t.equal((await lastExport()).patient_ids.length, 3, 'unfiltered: all three, as before');
  });

  t.test('a JSON page under a filter is audited with the patients listed', async (t) => {
    await get('match=udi');
    const row = await app.db.selectFrom('audit_events').select(['patient_ids', 'detail']).where('action', '=', 'recall.patients.read').orderBy('id', 'desc').executeTakeFirstOrThrow();
    t.equal(row.patient_ids.length, 1);
    t.match(row.detail, { recallId, match: ['udi'] });
  });

  t.test('a value the API does not know: 422 problem+json, nothing listed', async (t) => {
    const cases: Array<[string, string]> = [
      ['status=forgotten', '/status'],
      ['match=exact', '/match'],
      ['status=identified&status=forgotten', '/status'],
      ['match=udi&match=LOT', '/match'],
      ['format=csv&status=forgotten', '/status'],
      ['status=', '/status'],
    ];
    for (const [query, pointer] of cases) {
      const res = await get(query);
      t.equal(res.statusCode, 422, query);
      t.equal(res.headers['content-type'], problemJson, query);
      t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'querystring', pointer: new RegExp(`^${pointer}`) }] }, query);
    }
    t.match((await get('match=exact')).json().errors[0].message, /expected udi, lot, gtin-only, manual/, 'the refusal names the values allowed');
    const csv = await get('status=forgotten', { accept: 'text/csv' });
    t.equal(csv.statusCode, 422, 'refused before any CSV');
    t.equal(csv.headers['content-type'], problemJson);
  });
});
