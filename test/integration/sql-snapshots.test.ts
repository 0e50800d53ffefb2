/**
 * The SQL of the queries that carry the feed's and the recalls' guarantees
 * (a feed never skips a change; a recall misses no patient; a case's cost
 * counts every unit consumed, at the price in force on its date), kept as
 * snapshots: any change to them fails here until the snapshot is regenerated
 * (`npm run snapshots`) and the new SQL is read in review, as immich does with
 * its hand-written queries. Each query also runs, on a real database.
 */
import t from 'tap';
import { loadItems, loadProcedures, nextChangedProcedures } from '../../src/modules/feeds/feed.repository.js';
import { activeRecallsCovering, affectedItems, countAffectedMany, findRecall, type Recall } from '../../src/modules/recalls/recall.repository.js';
import { casesStarted, consumptionOf } from '../../src/modules/costs/cost.repository.js';
import { pricesInForce } from '../../src/modules/prices/price.repository.js';
import { NO_DEVICE } from '../../src/modules/scans/scan.rules.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { sqlOf } from '../helpers/sql-capture.js';
import { GTIN } from '../helpers/theatre.js';

const ORG = '00000000-0000-4000-8000-000000000001';
const PROCEDURE = '00000000-0000-4000-8000-000000000002';

t.test('SQL snapshots', async (t) => {
  const { db } = await createTestDatabase(t);

  t.test('feed: the next changed procedures, national and for one organisation', async (t) => {
    t.matchSnapshot(await sqlOf(db, (q) => nextChangedProcedures(q, { kind: 'national' }, null, 100)), 'national, from the start');
    t.matchSnapshot(await sqlOf(db, (q) => nextChangedProcedures(q, { kind: 'organisation', organisationId: ORG }, { xid: '10', seq: '5' }, 100)), 'one organisation, after a position');
  });

  t.test('feed: a page of procedures and their items', async (t) => {
    t.matchSnapshot(await sqlOf(db, (q) => loadProcedures(q, [PROCEDURE])), 'procedures');
    t.matchSnapshot(await sqlOf(db, (q) => loadItems(q, [PROCEDURE])), 'items');
  });
});

t.test('SQL snapshots: recalls', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RSQ');
  const tenancy = { kind: 'organisation', organisationId: org.id } as const;
  const recallOf = async (scope: object): Promise<Recall> => {
    const res = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: `SQL-${JSON.stringify(scope).length}`, title: 'snapshot', scope: [scope] } });
    if (res.statusCode !== 201) throw new Error(res.body);
    return (await findRecall(app.db, res.json<{ id: string }>().id)) as Recall;
  };
  // A short list (sent with its recall, matched in SQL) and a long one (matched against its member rows).
  const short = await recallOf({ gtin: GTIN, lots: ['LOT1', 'LOT2'], expiryFrom: '2026-01-01', expiryTo: '2026-12-31' });
  const long = await recallOf({ gtin: GTIN, serials: Array.from({ length: 300 }, (_, i) => `SER-${String(i).padStart(4, '0')}`) });

  t.test('the affected items of a recall, a page', async (t) => {
    for (const [name, recall] of [['lots listed', short], ['300 serials listed', long]] as const) {
      t.matchSnapshot(await sqlOf(app.db, (q) => affectedItems(q, { scopes: recall.scopes, tenancy, recallId: recall.id, limit: 100 })), name);
    }
  });

  t.test('the counts of a page of recalls', async (t) => {
    t.matchSnapshot(await sqlOf(app.db, (q) => countAffectedMany(q, tenancy, [short, long].map((r) => ({ scopes: r.scopes, recallId: r.id })))), 'two recalls');
  });

  t.test('the recalls that cover a scanned device', async (t) => {
    const device = { ...NO_DEVICE, issuingAgency: 'GS1', di: GTIN, gtin: GTIN, lotNumber: 'LOT1', serialNumber: 'SER-0001', expirationDate: '2026-06-30' };
    t.matchSnapshot(await sqlOf(app.db, (q) => activeRecallsCovering(q, org.id, device, 'barcode')), 'a scanned label with lot and serial');
    t.matchSnapshot(await sqlOf(app.db, (q) => activeRecallsCovering(q, org.id, { ...NO_DEVICE, lotNumber: 'LOT1' }, 'barcode')), 'a lot label without its product');
  });
});

t.test('SQL snapshots: prices and cost per case', async (t) => {
  const { db } = await createTestDatabase(t);
  const tenancy = { kind: 'organisation', organisationId: ORG } as const;

  t.test('the price in force on a date: one product, every product', async (t) => {
    t.matchSnapshot(await sqlOf(db, (q) => pricesInForce(q, tenancy, '2026-07-01', { issuingAgency: 'GS1', di: GTIN })), 'one product');
    t.matchSnapshot(await sqlOf(db, (q) => pricesInForce(q, { kind: 'national' }, '2026-07-01')), 'every product, national');
  });

  t.test('the consumption of cases, priced on their dates', async (t) => {
    t.matchSnapshot(await sqlOf(db, (q) => consumptionOf(q, [{ procedureId: PROCEDURE, organisationId: ORG, caseDate: '2026-07-01' }])), 'consumption');
    t.matchSnapshot(await sqlOf(db, (q) => casesStarted(q, tenancy, '2026-06-01', '2026-07-31')), 'cases started in London dates');
  });
});
