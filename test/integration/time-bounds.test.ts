/**
 * Time is checked, never trusted: a client's clock cannot switch a safety
 * check off, and no value a client sends (or one written into the database by
 * hand) can make a later read fail.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { exportAll } from '../helpers/fhir-export.js';
import { GS, GTIN, newProcedure, nhsNumber, openProcedure, scan } from '../helpers/theatre.js';

const NOW = '2026-11-21T09:00:00Z';
const EXPIRED_LABEL = `]d201${GTIN}17261031` + `10OLD${GS}21EXP-1`;

async function count(app: TestApp, table: 'scans' | 'procedures' | 'items'): Promise<number> {
  return Number((await app.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
}

t.test('time bounds', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const key = org.keys.scanner;
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: org.keys.procurement, payload: { brand: 'Hip Stem X', manufacturer: 'Acme', implantable: true } });

  const pointerOf = (res: { json(): { errors?: Array<{ pointer: string }> } }) => res.json().errors?.map((e) => e.pointer);

  t.test('a back-dated scan cannot hide an expiry: refused with the field pointer, nothing stored', async (t) => {
    const proc = await newProcedure(app, key, 1);
    const before = await count(app, 'scans');
    const res = await scan(app, key, proc, { barcode: EXPIRED_LABEL, scannedAt: '2019-12-31T10:00:00Z' });
    t.equal(res.statusCode, 422, res.body);
    t.equal(res.json().code, 'VALIDATION_FAILED');
    t.same(pointerOf(res), ['/scannedAt']);
    t.match(res.json().detail, /before the procedure started/);
    t.equal(await count(app, 'scans'), before, 'nothing stored');
    const now = await scan(app, key, proc, { barcode: EXPIRED_LABEL });
    t.equal(now.statusCode, 201);
    t.match(now.json().warnings, [{ code: 'PRODUCT_EXPIRED', severity: 'critical' }], 'without the client clock, the expiry is caught');
  });

  t.test('scans dated 1900, in the future, or older than an offline queue holds are refused', async (t) => {
    const proc = await newProcedure(app, key, 2, { startedAt: '2026-11-01T08:00:00Z' });
    for (const [scannedAt, why] of [
      ['1900-01-01T00:00:00Z', /before the procedure started/],
      ['2026-11-21T09:06:00Z', /in the future/],
      ['2099-01-01T00:00:00Z', /in the future/],
      ['2026-11-13T08:59:00Z', /more than 7 days ago/],
    ] as const) {
      const res = await scan(app, key, proc, { barcode: `01${GTIN}10LOT-T`, scannedAt });
      t.equal(res.statusCode, 422, scannedAt);
      t.same(pointerOf(res), ['/scannedAt'], scannedAt);
      t.match(res.json().detail, why, scannedAt);
    }
  });

  t.test('within bounds the scan time is honoured: an in-date item queued offline stays in date', async (t) => {
    const proc = await newProcedure(app, key, 3, { startedAt: '2026-11-20T08:00:00Z' });
    // Expires 2026-11-20, scanned that evening, sent the next morning.
    const res = await scan(app, key, proc, { barcode: `01${GTIN}17261120` + `10LOT-Q`, scannedAt: '2026-11-20T22:30:00Z' });
    t.equal(res.statusCode, 201, res.body);
    t.notOk(res.json().warnings.some((w: { code: string }) => w.code === 'PRODUCT_EXPIRED'));
    t.equal(res.json().scan.scannedAt, '2026-11-20T22:30:00.000Z');
    const skewed = await scan(app, key, proc, { barcode: `01${GTIN}17271231` + `10LOT-R`, scannedAt: '2026-11-21T09:04:00Z' });
    t.equal(skewed.statusCode, 201, 'a clock a few minutes ahead is tolerated');
  });

  t.test('a late entry dated before its procedure is refused', async (t) => {
    const proc = await newProcedure(app, key, 4, { startedAt: '2026-11-21T07:00:00Z' });
    await app.request({ method: 'POST', url: `/v1/procedures/${proc}/complete`, key });
    const res = await scan(app, key, proc, { barcode: `01${GTIN}10LOT-L`, lateEntry: { reason: 'Missed at the time' }, scannedAt: '2026-11-20T07:00:00Z' });
    t.equal(res.statusCode, 422);
    t.same(pointerOf(res), ['/scannedAt']);
  });

  t.test('a procedure started in the future, or in the year 10000, is refused and not stored', async (t) => {
    const before = await count(app, 'procedures');
    for (const startedAt of ['2099-06-01T10:00:00Z', '9999-12-31T23:00:00-05:00', '2026-11-21T09:10:00Z']) {
      const res = await openProcedure(app, key, { patient: { nhsNumber: nhsNumber(5) }, startedAt });
      t.equal(res.statusCode, 422, startedAt);
      t.same(pointerOf(res), ['/startedAt'], startedAt);
    }
    const dated1899 = await openProcedure(app, key, { patient: { nhsNumber: nhsNumber(5) }, startedAt: '1899-12-31T23:59:59Z' });
    t.equal(dated1899.statusCode, 422);
    t.equal(await count(app, 'procedures'), before, 'nothing stored');
    const legacy = await openProcedure(app, key, { patient: { nhsNumber: nhsNumber(5) }, startedAt: '2009-03-02T09:00:00Z' });
    t.equal(legacy.statusCode, 201, 'a procedure long past (a register loaded from a former system) is accepted');
  });

  t.test('the year 10000 in scannedAt is refused, and a retry with its key does not stick at 500', async (t) => {
    const proc = await newProcedure(app, key, 6);
    const idem = randomUUID();
    for (let i = 0; i < 2; i++) {
      const res = await scan(app, key, proc, { barcode: `01${GTIN}10LOT-Y`, scannedAt: '9999-12-31T23:00:00-05:00' }, idem);
      t.equal(res.statusCode, 422, `attempt ${i + 1}`);
      t.same(pointerOf(res), ['/scannedAt']);
    }
    const fixed = await scan(app, key, proc, { barcode: `01${GTIN}10LOT-Y` }, idem);
    t.equal(fixed.statusCode, 201, 'the same key is free for the corrected scan');
  });

  t.test('year 0000 and other dates out of 1900-2099 are refused wherever a date is taken', async (t) => {
    const proc = await newProcedure(app, key, 7);
    const manual = await scan(app, key, proc, { manual: { gtin: GTIN, lotNumber: 'L0', expirationDate: '0000-01-01' } });
    t.equal(manual.statusCode, 422);
    t.same(pointerOf(manual), ['/manual/expirationDate']);
    const dob = await openProcedure(app, key, { patient: { nhsNumber: nhsNumber(8), dateOfBirth: '1899-12-31' } });
    t.same(pointerOf(dob), ['/patient/dateOfBirth']);
    const recall = await app.request({
      method: 'POST',
      url: '/v1/recalls/preview',
      key: org.keys.procurement,
      payload: { reference: 'FSN-0', title: 'Year zero', scope: [{ gtin: GTIN, allLots: true, expiryFrom: '0000-01-01' }] },
    });
    t.equal(recall.statusCode, 422, recall.body);
    t.same(pointerOf(recall), ['/scope/0/expiryFrom']);
    const search = await app.request({ method: 'POST', url: '/v1/procedures/search', key: org.keys.procurement, payload: { from: '0000-01-01T00:00:00Z' } });
    t.same(pointerOf(search), ['/from']);
  });
});

t.test('stored data can never make a read fail: the worst times Postgres accepts, written by hand', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const key = org.keys.scanner;
  const patient = nhsNumber(9);
  const proc = await newProcedure(app, key, 9);
  const implanted = await scan(app, key, proc, { barcode: `]d201${GTIN}17271231` + `10LOT-W${GS}21SER-W` });
  t.equal(implanted.statusCode, 201);
  await app.request({ method: 'POST', url: `/v1/procedures/${proc}/complete`, key });
  const revision = await newProcedure(app, key, 9);
  await scan(app, key, revision, { barcode: `01${GTIN}21SER-W`, action: 'explanted' });
  await app.request({ method: 'POST', url: '/v1/consents', key, payload: { nhsNumber: patient, registry: 'NJR', status: 'granted' } });
  const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: 'FSN-W', title: 'Worst', scope: [{ gtin: GTIN, allLots: true }] } });
  t.equal(recall.statusCode, 201, recall.body);

  // What an older version, a restore or a hand-written fix could have left behind.
  // The ledger tables are append-only by trigger: this transaction alone runs with triggers off.
  await app.db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await sql`update procedures set started_at = 'infinity', completed_at = '294276-12-31 23:59:59+00' where id = ${proc}`.execute(trx);
    await sql`update procedures set started_at = '4713-01-01 00:00:00+00 BC' where id = ${revision}`.execute(trx);
    await sql`update items set procedure_started_at = 'infinity', first_scanned_at = '-infinity', expiration_date = 'infinity', manufacturing_date = '4713-01-01 BC' where procedure_id = ${proc}`.execute(trx);
    await sql`update items set procedure_started_at = '4713-01-01 00:00:00+00 BC', expiration_date = '5874897-12-31', first_scanned_at = '10000-01-01 04:00:00+00' where procedure_id = ${revision}`.execute(trx);
    await sql`update scans set scanned_at = '10000-01-01 04:00:00+00', expiration_date = '-infinity' where procedure_id = ${proc}`.execute(trx);
    await sql`update consents set recorded_at = 'infinity'`.execute(trx);
  });

  const reads: Array<[string, Parameters<TestApp['request']>[0]]> = [
    ['procedure', { method: 'GET', url: `/v1/procedures/${proc}`, key }],
    ['revision', { method: 'GET', url: `/v1/procedures/${revision}`, key }],
    ['search', { method: 'POST', url: '/v1/procedures/search', key: org.keys.procurement, payload: { nhsNumber: patient } }],
    ['recall patients', { method: 'GET', url: `/v1/recalls/${recall.json().id}/patients`, key: org.keys.procurement }],
    ['recall CSV', { method: 'GET', url: `/v1/recalls/${recall.json().id}/patients`, key: org.keys.procurement, headers: { accept: 'text/csv' } }],
    ['recall', { method: 'GET', url: `/v1/recalls/${recall.json().id}`, key: org.keys.procurement }],
    ['affected', { method: 'GET', url: `/v1/recalls/affected-patients?gtin=${GTIN}`, key: org.keys.procurement }],
    ['feed', { method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: org.keys.registry }],
    ['survival', { method: 'GET', url: '/v1/outcomes/survival?groupBy=product', key: org.keys.procurement }],
    ['survival svg', { method: 'GET', url: '/v1/outcomes/survival.svg?groupBy=product', key: org.keys.procurement }],
    ['data quality', { method: 'GET', url: '/v1/reports/data-quality?from=1900-01-01T00:00:00Z&to=2099-12-31T00:00:00Z', key: org.keys.procurement }],
    ['consents', { method: 'POST', url: '/v1/consents/search', key, payload: { nhsNumber: patient } }],
  ];
  for (const [name, request] of reads) {
    const res = await app.request(request);
    t.equal(res.statusCode, 200, `${name}: ${res.statusCode === 200 ? '' : res.body}`);
    t.notMatch(res.body, /[+-]0\d{5}-|"0000-|NaN|Invalid Date/, `${name}: no time outside 0001-9999 shown`);
  }
  const detail = (await app.request(reads[0]?.[1] as Parameters<TestApp['request']>[0])).json();
  t.equal(detail.startedAt, '9999-12-31T23:59:59.999Z', 'infinity reads as the last instant the API can show');
  t.equal(detail.items[0].expirationDate, '9999-12-31');
  t.equal(detail.items[0].manufacturingDate, '0001-01-01', 'a BC date reads as the first');

  const { files } = await exportAll(app, org.keys.registry, 'NJR');
  const text = JSON.stringify([...files.values()]);
  t.ok(files.size > 0, 'the FHIR export completes');
  t.notMatch(text, /[+-]0\d{5}-|"0000-|NaN|Invalid Date/, 'FHIR export: no time outside 0001-9999');
});
