/**
 * Migration 2026_12_07_1000 on a database that already holds recalls with their
 * lots and serials as arrays: every value becomes one row (a value listed twice,
 * one row), each scope counts its lists, the arrays are gone, and the recalls
 * behave as before (listed, warned at scan). Down and up again keeps the lists.
 */
import { sql } from 'kysely';
import t from 'tap';
import { migrateToLatest } from '../../src/db/migrator.js';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { createTestDatabase, migratorOf } from '../helpers/database.js';
import { GS, GTIN, newProcedure, scan } from '../helpers/theatre.js';

const BEFORE = '2026_12_07_0900_one_export_at_a_time';
const THIS = '2026_12_07_1000_recall_scope_members';

t.test('recall scope lists move from arrays to rows', async (t) => {
  const { db } = await createTestDatabase(t, { migratedTo: BEFORE });
  // A national recall, as the previous version stored it.
  await sql`insert into api_keys (name, role, national, key_hash, key_prefix) values ('old', 'procurement', true, sha256('old'), 'old')`.execute(db);
  const serials = Array.from({ length: 250 }, (_, k) => `SER-${String(k).padStart(3, '0')}`);
  const recall = await sql<{ id: string }>`
    insert into recalls (organisation_id, reference, title, created_by)
    select null, 'FSN-OLD', 'Stored as arrays', id from api_keys where name = 'old' returning id`.execute(db);
  const recallId = recall.rows[0]?.id ?? '';
  await sql`
    insert into recall_scopes (recall_id, ordinal, gtin, hibc_lic, hibc_pcn, lots, serials, all_lots) values
      (${recallId}, 0, ${GTIN}, null, null, array['LOT-B', 'LOT-A', 'LOT-A'], array['S-1'], false),
      (${recallId}, 1, null, 'A123', 'BJC5D6E7', null, ${serials}::text[], false),
      (${recallId}, 2, '09506000134369', null, null, null, null, true)`.execute(db);

  await migrateToLatest(db);

  const rows = await sql<{ ordinal: number; lot_count: number; serial_count: number; lots: string[] | null; serials: string[] | null }>`
    select s.ordinal, s.lot_count, s.serial_count,
           (select array_agg(m.value order by m.value) from recall_scope_members m where m.scope_id = s.id and m.kind = 'lot') as lots,
           (select array_agg(m.value order by m.value) from recall_scope_members m where m.scope_id = s.id and m.kind = 'serial') as serials
    from recall_scopes s where s.recall_id = ${recallId} order by s.ordinal`.execute(db);
  t.same(
    rows.rows.map((r) => ({ ...r, serials: r.serials?.length ?? null })),
    [
      { ordinal: 0, lot_count: 2, serial_count: 1, lots: ['LOT-A', 'LOT-B'], serials: 1 },
      { ordinal: 1, lot_count: 0, serial_count: 250, lots: null, serials: 250 },
      { ordinal: 2, lot_count: 0, serial_count: 0, lots: null, serials: null },
    ],
    'one row per distinct value, and the counts',
  );
  const columns = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_name = 'recall_scopes' and column_name in ('lots', 'serials')`.execute(db);
  t.same(columns.rows, [], 'the arrays are gone');

  t.test('the recall behaves as before', async (t) => {
    const app = await buildTestApp(t, { db, bootstrap: true, clock: fixedClock('2026-11-21T09:00:00Z') });
    const org = await createOrganisationWithKeys(app, 'RMG');
    const detail = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}`, key: org.keys.procurement });
    t.equal(detail.statusCode, 200, detail.body);
    t.match(detail.json(), {
      national: true,
      scope: [
        { ordinal: 0, gtin: GTIN, lots: ['LOT-A', 'LOT-B'], serials: ['S-1'], lotCount: 2, serialCount: 1 },
        { ordinal: 1, hibc: { lic: 'A123', pcn: 'BJC5D6E7' }, lotCount: 0, serialCount: 250 },
        { ordinal: 2, allLots: true },
      ],
    });
    t.notOk('serials' in (detail.json().scope[1] as object), 'a list longer than the recall shows is counted, not sent');
    const listed = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/scopes/1/serials?limit=200`, key: org.keys.procurement });
    const next = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/scopes/1/serials?limit=200&cursor=${listed.json().nextCursor as string}`, key: org.keys.procurement });
    t.same([...listed.json().items, ...next.json().items], serials, 'the long list, page by page, in byte order');
    t.equal(next.json().nextCursor, null);

    const proc = await newProcedure(app, org.keys.scanner, 1);
    const lot = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOT-A${GS}21S-9` });
    t.match(lot.json().warnings, [{ code: 'PRODUCT_RECALLED', severity: 'critical', message: /FSN-OLD/ }], 'a listed lot is warned');
    const serial = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOT-Z${GS}21S-1` });
    t.match(serial.json().warnings, [{ code: 'PRODUCT_RECALLED', severity: 'critical' }], 'a listed serial is warned');
    const other = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOT-Z${GS}21S-2` });
    t.notOk(other.json().warnings.some((w: { code: string }) => w.code === 'PRODUCT_RECALLED'), 'an unlisted lot and serial is not');
    const affected = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients`, key: org.keys.procurement });
    t.same((affected.json().items as Array<{ match: string }>).map((i) => i.match).sort(), ['lot', 'udi'], 'both on the list');
  });

  t.test('down restores the arrays; up again, the rows', async (t) => {
    const down = await migratorOf(db).migrateTo(BEFORE);
    t.equal(down.error, undefined);
    t.match(down.results?.find((r) => r.migrationName === THIS), { direction: 'Down', status: 'Success' });
    const restored = await sql<{ lots: string[] | null; serials: string[] | null }>`select lots, serials from recall_scopes where recall_id = ${recallId} order by ordinal`.execute(db);
    t.same(restored.rows[0], { lots: ['LOT-A', 'LOT-B'], serials: ['S-1'] });
    t.equal(restored.rows[1]?.serials?.length, 250);
    t.same(restored.rows[2], { lots: null, serials: null });
    await migrateToLatest(db);
    const count = await sql<{ n: string }>`select count(*) as n from recall_scope_members`.execute(db);
    t.equal(Number(count.rows[0]?.n), 253);
  });
});
