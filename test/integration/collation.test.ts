/**
 * On a database whose default collation is not C (an ICU en-US database, as a
 * docker-compose or hosted Postgres often is), recall matching still compares
 * lots and serials byte for byte, and the weaker lot matches still find what
 * they should.
 */
import { sql } from 'kysely';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { GS, GTIN, newProcedure, scan } from '../helpers/theatre.js';

t.test('recall matching under an en-US collation', async (t) => {
  const { db } = await createTestDatabase(t, { icuLocale: 'en-US' });
  const { rows } = await sql<{ before: boolean }>`select 'A100' < 'a150' and 'a150' < 'A199' as before`.execute(db);
  t.ok(rows[0]?.before, "the database's own order puts a150 between A100 and A199 (so the test can fail)");
  const app = await buildTestApp(t, { db, bootstrap: true, clock: fixedClock('2026-11-21T09:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RCO');
  const key = org.keys.scanner;
  const proc = await newProcedure(app, key, 1);
  const items: Record<string, string> = {};
  for (const serial of ['A150', 'a150', 'B100']) {
    const res = await scan(app, key, proc, { barcode: `01${GTIN}10L1${GS}21${serial}` });
    items[serial] = res.json().item.id as string;
  }
  const runOn = await scan(app, key, proc, { barcode: `]d201${GTIN}17301231` + `10LOT121SER9` });

  const recallOf = async (reference: string, scope: object[]) => {
    const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference, title: 'collation', scope } });
    t.equal(recall.statusCode, 201, recall.body);
    const listed = await app.request({ method: 'GET', url: `/v1/recalls/${recall.json().id}/patients`, key: org.keys.procurement });
    return (listed.json().items as Array<{ itemId: string; match: string }>).map((i) => `${i.itemId}:${i.match}`).sort();
  };
  const range = await recallOf('FSN-RANGE', [{ gtin: GTIN, serialRange: { from: 'A100', to: 'A199' } }]);
  t.same(range, [`${items.A150}:udi`, `${runOn.json().item.id}:gtin-only`].sort(), 'A150 in the range, a150 not (byte order); the item with no serial cannot be ruled out');
  const lot = await recallOf('FSN-LOT', [{ gtin: GTIN, lots: ['LOT1'] }]);
  t.same(lot, [`${runOn.json().item.id}:lot-run-on`], 'the lot that runs on past LOT1 is found by its prefix range');
});
