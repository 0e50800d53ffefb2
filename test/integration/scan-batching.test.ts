/**
 * Scans committed together (group commit): concurrent scans share a
 * transaction, yet each is answered, stored, audited and refused on its own,
 * and scans of one procedure in one batch keep their order.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { authenticate } from '../../src/modules/api-keys/api-key.service.js';
import { recordScans, type ScanRequest } from '../../src/modules/scans/scan.service.js';
import type { RequestContext } from '../../src/shared/actor.js';
import { systemClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { GS, GTIN, newProcedure, scan } from '../helpers/theatre.js';

const count = async (app: TestApp, query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(app.db)).rows[0]?.n);

t.test('scan batching', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RBT');
  const other = await createOrganisationWithKeys(app, 'RBU');
  const key = org.keys.scanner;
  const actor = await authenticate(app.db, key);
  if (!actor) throw new Error('no actor');
  const ctx = (): RequestContext => ({ requestId: randomUUID(), route: 'POST /v1/procedures/:id/scans', actor });

  t.test('120 concurrent scans over 12 procedures: every one answered, stored once, audited once', async (t) => {
    const procedures = await Promise.all(Array.from({ length: 12 }, (_, i) => newProcedure(app, key, 100 + i)));
    const sent = procedures.flatMap((proc, p) => Array.from({ length: 10 }, (_, k) => ({ proc, idem: randomUUID(), serial: `B${p}-${k}` })));
    const answers = await Promise.all(sent.map((s) => scan(app, key, s.proc, { barcode: `01${GTIN}21${s.serial}`, scannerId: `S${s.proc}` }, s.idem)));
    t.ok(
      answers.every((a) => a.statusCode === 201),
      'all 201',
    );
    t.equal(new Set(answers.map((a) => a.json<{ scan: { id: string } }>().scan.id)).size, 120, '120 distinct scans');
    for (const [k, a] of answers.entries()) {
      const body = a.json<{ scan: { procedureId: string; serialNumber: string } }>();
      if (body.scan.procedureId !== sent[k]?.proc || body.scan.serialNumber !== sent[k]?.serial) t.fail(`answer ${k} is another scan's`);
    }
    t.equal(await count(app, sql`select count(*) as n from scans where procedure_id = any(${procedures}::uuid[])`), 120);
    t.equal(await count(app, sql`select count(*) as n from items where procedure_id = any(${procedures}::uuid[])`), 120);
    t.equal(await count(app, sql`select count(*) as n from audit_events where action = 'scan.record' and procedure_ids && ${procedures}::uuid[]`), 120);
    t.equal(await count(app, sql`select count(*) as n from idempotency_keys where key = any(${sent.map((s) => s.idem)}::text[])`), 120);
    // Retries of all of them, concurrently: answered from the store, nothing new.
    const retries = await Promise.all(sent.map((s) => scan(app, key, s.proc, { barcode: `01${GTIN}21${s.serial}`, scannerId: `S${s.proc}` }, s.idem)));
    t.ok(retries.every((r, k) => r.statusCode === 201 && r.headers['idempotency-replayed'] === 'true' && r.body === answers[k]?.body), 'every retry replays its own answer');
    t.equal(await count(app, sql`select count(*) as n from scans where procedure_id = any(${procedures}::uuid[])`), 120);
  });

  t.test("one scan's refusal is its own: the others in the batch are stored", async (t) => {
    const proc = await newProcedure(app, key, 200);
    const completed = await newProcedure(app, key, 201);
    await app.request({ method: 'POST', url: `/v1/procedures/${completed}/complete`, key, payload: {} });
    const foreign = await newProcedure(app, other.keys.scanner, 202);
    const reused = randomUUID();
    await scan(app, key, proc, { barcode: `01${GTIN}21FIRST` }, reused);
    const before = await count(app, sql`select count(*) as n from scans`);
    const [good1, unreadable, late, elsewhere, reuse, good2] = await Promise.all([
      scan(app, key, proc, { barcode: `01${GTIN}21GOOD-1` }),
      scan(app, key, proc, { barcode: `01${GTIN.slice(0, 13)}9` }),
      scan(app, key, completed, { barcode: `01${GTIN}21LATE` }),
      scan(app, key, foreign, { barcode: `01${GTIN}21THEIRS` }),
      scan(app, key, proc, { barcode: `01${GTIN}21OTHER` }, reused),
      scan(app, key, proc, { barcode: `01${GTIN}21GOOD-2` }),
    ]);
    t.equal(good1?.statusCode, 201);
    t.equal(good2?.statusCode, 201);
    t.match(unreadable?.json(), { status: 422, code: 'BARCODE_INVALID' });
    t.match(late?.json(), { status: 409, code: 'PROCEDURE_COMPLETED' });
    t.match(elsewhere?.json(), { status: 404, code: 'NOT_FOUND' });
    t.match(reuse?.json(), { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    t.equal(await count(app, sql`select count(*) as n from scans`), before + 2, 'only the two good scans were stored');
  });

  t.test('scans of one procedure in one batch are recorded in turn: split halves join, times keep their order', async (t) => {
    const proc = await newProcedure(app, key, 300);
    const request = (barcode: string): ScanRequest => ({
      ctx: ctx(),
      procedureId: proc,
      idempotencyKey: randomUUID(),
      input: { barcode, action: 'implanted', scannerId: 'SPLIT' },
    });
    const results = await recordScans(app.db, [request(`01${GTIN}`), request(`17271231` + `10LOT-B${GS}21SN-B`), request(`01${GTIN}21SOLO`)], systemClock);
    t.ok(results.every((r) => r.ok));
    const [product, secondary] = results.map((r) => (r.ok ? r.value.body : undefined));
    t.equal(secondary?.item.id, product?.item.id, 'the secondary label completed the product label sent just before it, in the same batch');
    t.match(secondary?.item, { gtin: GTIN, lotNumber: 'LOT-B', serialNumber: 'SN-B', awaiting: null });
    const rows = await app.db.selectFrom('scans').select(['id', 'recorded_at']).where('procedure_id', '=', proc).orderBy('recorded_at').execute();
    t.same(
      rows.map((r) => r.id),
      results.map((r) => (r.ok ? r.value.body.scan.id : '')),
      'recorded in the order sent',
    );
    t.equal(new Set(rows.map((r) => r.recorded_at.getTime())).size, 3, 'no two share a time');
  });

  t.test('a batch that fails as a whole is recorded scan by scan: nothing lost, nothing doubled', async (t) => {
    const proc = await newProcedure(app, key, 400);
    const keyTaken = randomUUID();
    // Another transaction holds this Idempotency-Key, uncommitted, while the batch runs.
    const holder = await app.db.startTransaction().execute();
    const organisationId = org.id;
    await holder.insertInto('idempotency_keys').values({ organisation_id: organisationId, key: keyTaken, request_hash: Buffer.alloc(32), status_code: 201, response: JSON.stringify({ held: true }) }).execute();
    const batch = recordScans(
      app.db,
      [
        { ctx: ctx(), procedureId: proc, idempotencyKey: randomUUID(), input: { barcode: `01${GTIN}21OK-1`, action: 'implanted' } },
        { ctx: ctx(), procedureId: proc, idempotencyKey: keyTaken, input: { barcode: `01${GTIN}21RACE`, action: 'implanted' } },
        { ctx: ctx(), procedureId: proc, idempotencyKey: randomUUID(), input: { barcode: `01${GTIN}21OK-2`, action: 'implanted' } },
      ],
      systemClock,
    );
    await new Promise((r) => setTimeout(r, 300));
    await holder.commit().execute();
    const results = await batch;
    t.ok(results[0]?.ok && results[2]?.ok, 'the others are recorded, on their own');
    t.match(results[1], { ok: false, error: { code: 'IDEMPOTENCY_KEY_REUSED' } }, 'the key taken meanwhile answers as a reused key');
    const serials = (await app.db.selectFrom('scans').select('serial_number').where('procedure_id', '=', proc).execute()).map((r) => r.serial_number).sort();
    t.same(serials, ['OK-1', 'OK-2'], 'each stored once; the raced one not at all');
  });
});
