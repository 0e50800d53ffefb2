/**
 * The SQL of the queries that carry the feed's and the recalls' guarantees
 * (a feed never skips a change; a recall misses no patient), kept as
 * snapshots: any change to them fails here until the snapshot is regenerated
 * (`npm run snapshots`) and the new SQL is read in review, as immich does with
 * its hand-written queries. Each query also runs, on a real database.
 */
import t from 'tap';
import { loadItems, loadProcedures, nextChangedProcedures } from '../../src/modules/feeds/feed.repository.js';
import { createTestDatabase } from '../helpers/database.js';
import { sqlOf } from '../helpers/sql-capture.js';

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
