/**
 * The safety report (issue 16, "Evidence"): GET /v1/reports/safety counts,
 * per Europe/London month and per rule, the findings raised at scan time and
 * before opening, what the theatre decided, the checks that stopped a box
 * from being opened, and the scanning share. A fixture of known numbers over
 * two months and two organisations; every count is asserted.
 *
 * Scans go through the API with the app's clock set in January and February
 * 2026 (a scan counts in the month of its scannedAt). A check's time is the
 * database's own clock, so the back-dated checks are written as the check
 * service writes them (append-only rows of pre_use_checks); the last test
 * makes checks through the API, in the current month.
 */
import t from 'tap';
import { buildTestApp, createOrganisationWithKeys, type OrganisationKeys } from '../helpers/app.js';
import { GTIN_B, newProcedure, scan } from '../helpers/theatre.js';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import { poolOf } from '../../src/db/create-db.js';
import type { Database } from '../../src/db/database.js';
import { organisationsInScope, safetyCheckCounts, safetyScanCounts, scanningShare } from '../../src/modules/reports/report.repository.js';
import type { Clock } from '../../src/shared/clock.js';

// Valid GTINs on GS1's example prefix 952.
const STEM_10_12 = '09520000000011';
const HEAD_12_14 = '09520000000028';
const RIGHT_FEMORAL = '09520000000059';
const PLAIN = '09520000000066';

interface Finding {
  code: string;
  severity: string;
  rule?: string;
}
interface ScanAnswer {
  scan: { id: string };
  item: { id: string };
  warnings: Finding[];
}

let now = new Date('2026-01-15T10:00:00Z');
const clock: Clock = { now: () => new Date(now) };

const EXPIRED = '250630';
const FINE = '301231';

t.test('the safety report', async (t) => {
  const app = await buildTestApp(t, { clock });
  const a = await createOrganisationWithKeys(app, 'RSA');
  const b = await createOrganisationWithKeys(app, 'RSB');
  const nationalRes = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'national procurement', role: 'procurement', national: true } });
  const national = nationalRes.json<{ key: string }>().key;
  const product = async (gtin: string, clinical: object | null) => {
    const res = await app.request({ method: 'PUT', url: `/v1/products/${gtin}`, key: national, payload: { brand: gtin, manufacturer: 'Acme Ortho', implantable: true, ...(clinical ? { clinical } : {}) } });
    if (res.statusCode !== 200) throw new Error(res.body);
  };
  await product(STEM_10_12, { component: 'femoral-stem', laterality: 'none', taper: '10/12' });
  await product(HEAD_12_14, { component: 'femoral-head', laterality: 'none', taper: '12/14', headDiameterMm: 32, bearing: 'ceramic' });
  await product(RIGHT_FEMORAL, { component: 'femoral-component', laterality: 'right' });
  await product(PLAIN, null);

  const label = (gtin: string, serial: string, expiry = FINE) => `01${gtin}17${expiry}10LOT1\u001d21${serial}`;
  const scanned = async (org: OrganisationKeys, procedureId: string, body: object): Promise<ScanAnswer> => {
    const res = await scan(app, org.keys.scanner, procedureId, { ...body, scannedAt: now.toISOString() });
    if (res.statusCode !== 201) throw new Error(res.body);
    return res.json<ScanAnswer>();
  };
  const decide = async (org: OrganisationKeys, itemId: string, body: object) => {
    const res = await app.request({ method: 'POST', url: `/v1/items/${itemId}/decision`, key: org.keys.scanner, payload: body });
    if (res.statusCode !== 200) throw new Error(res.body);
  };
  const voidScan = async (org: OrganisationKeys, scanId: string) => {
    const res = await app.request({ method: 'POST', url: `/v1/scans/${scanId}/void`, key: org.keys.scanner, payload: { reason: 'scanned the wrong box' } });
    if (res.statusCode !== 200) throw new Error(res.body);
  };
  /** A check before opening as the check service stores it, at a given time. */
  const checked = async (org: OrganisationKeys, procedureId: string, at: string, device: { di: string; lot?: string; serial?: string }, findings: Finding[]) => {
    const outcome = (['critical', 'warning', 'info'] as const).find((s) => findings.some((f) => f.severity === s)) ?? 'none';
    await sql`
      insert into pre_use_checks (organisation_id, procedure_id, entry_type, di, lot_number, serial_number, findings, outcome, checked_at, actor_key_id)
      values (${org.id}, ${procedureId}, 'barcode', ${device.di}, ${device.lot ?? null}, ${device.serial ?? null},
              ${JSON.stringify(findings.map((f) => ({ message: 'as the check said', ...f })))}::jsonb, ${outcome}, ${at}, ${org.keyIds.scanner})
    `.execute(app.db);
  };
  const critical = (code: string, rule?: string): Finding => ({ code, severity: 'critical', ...(rule ? { rule } : {}) });

  // ----- January 2026 -------------------------------------------------------
  now = new Date('2026-01-15T10:00:00Z');
  const p1 = await newProcedure(app, a.keys.scanner, 8101, { side: 'left', startedAt: '2026-01-15T09:00:00Z' });
  const a1 = await scanned(a, p1, { barcode: label(STEM_10_12, 'A1') });
  const a2 = await scanned(a, p1, { barcode: label(HEAD_12_14, 'A2') });
  const a3 = await scanned(a, p1, { barcode: label(PLAIN, 'A3', EXPIRED) });
  const a4 = await scanned(a, p1, { manual: { gtin: RIGHT_FEMORAL, lotNumber: 'K1', expirationDate: '2030-01-01' } });
  const a5 = await scanned(a, p1, { barcode: label(PLAIN, 'A5', EXPIRED) });
  const a6 = await scanned(a, p1, { manual: { gtin: PLAIN, lotNumber: 'LOT1', serialNumber: 'A6', expirationDate: '2030-01-01' } });
  await decide(a, a2.item.id, { outcome: 'not-used', disposition: 'returned-to-stock' });
  await decide(a, a3.item.id, { outcome: 'implanted', reason: 'no other head in the hospital, consultant decision' });
  await voidScan(a, a5.scan.id);
  t.same([a1, a2, a3, a4, a5, a6].map((s) => s.warnings.map((w) => w.code)), [[], ['TAPER_MISMATCH'], ['PRODUCT_EXPIRED'], ['SIDE_MISMATCH'], ['PRODUCT_EXPIRED'], []], 'January’s scans say what the fixture means');

  await checked(a, p1, '2026-01-14T09:30:00Z', { di: RIGHT_FEMORAL, lot: 'K1' }, [critical('SIDE_MISMATCH', 'side.laterality')]);
  await checked(a, p1, '2026-01-14T09:31:00Z', { di: PLAIN, lot: 'LOT1', serial: 'NEVER-OPENED' }, [critical('PRODUCT_EXPIRED'), critical('PRODUCT_RECALLED')]);
  await checked(a, p1, '2026-01-14T09:32:00Z', { di: PLAIN, lot: 'LOT1', serial: 'A5' }, [critical('PRODUCT_EXPIRED')]);
  await checked(a, p1, '2026-01-14T09:33:00Z', { di: PLAIN, lot: 'LOT1', serial: 'A6' }, []);
  await checked(a, p1, '2026-01-31T23:30:00Z', { di: HEAD_12_14, serial: 'C1' }, [{ code: 'COMPATIBILITY_NOT_CHECKED', severity: 'info', rule: 'hip.head-liner-diameter' }]);

  const pb = await newProcedure(app, b.keys.scanner, 8201, { side: 'left', startedAt: '2026-01-15T09:00:00Z' });
  const b1 = await scanned(b, pb, { barcode: label(PLAIN, 'B1', EXPIRED) });
  await decide(b, b1.item.id, { outcome: 'implanted', reason: 'clinical need, discussed with the consultant' });
  await checked(b, pb, '2026-01-14T09:30:00Z', { di: PLAIN, serial: 'B9' }, [critical('PRODUCT_EXPIRED')]);

  // ----- February 2026 ------------------------------------------------------
  now = new Date('2026-02-10T10:00:00Z');
  const p2 = await newProcedure(app, a.keys.scanner, 8102, { side: 'right', startedAt: '2026-02-10T09:00:00Z' });
  const f1 = await scanned(a, p2, { barcode: label(RIGHT_FEMORAL, 'F1') });
  const f2 = await scanned(a, p2, { barcode: label(PLAIN, 'F2', EXPIRED) });
  const f3 = await scanned(a, p2, { barcode: label(GTIN_B, 'F3') });
  await decide(a, f2.item.id, { outcome: 'not-used', disposition: 'quarantined' });
  await decide(a, f2.item.id, { outcome: 'implanted', reason: 'decision corrected: it was implanted after all' });
  t.same([f1, f2, f3].map((s) => s.warnings.map((w) => w.code)), [[], ['PRODUCT_EXPIRED'], ['UNKNOWN_PRODUCT']], 'February’s too');
  await checked(a, p2, '2026-02-03T08:00:00Z', { di: HEAD_12_14, serial: 'NEVER' }, [critical('TAPER_MISMATCH', 'hip.head-stem-taper')]);
  await checked(a, p2, '2026-02-05T08:00:00Z', { di: PLAIN, lot: 'LOT1', serial: 'F2' }, [critical('PRODUCT_EXPIRED')]);
  await checked(a, p2, '2026-02-06T08:00:00Z', { di: PLAIN, lot: 'LOT1', serial: 'A3' }, [critical('PRODUCT_EXPIRED')]);
  // London's months: 23:30 UTC on 31 March is 00:30 on 1 April (BST), 22:30 is still March.
  await checked(a, p2, '2026-03-31T22:30:00Z', { di: PLAIN, serial: 'M1' }, [{ code: 'MIXED_MANUFACTURER', severity: 'warning', rule: 'hip.manufacturer' }]);
  await checked(a, p2, '2026-03-31T23:30:00Z', { di: PLAIN, serial: 'M2' }, [critical('PRODUCT_EXPIRED')]);

  const report = (key: string, query: string, headers: Record<string, string> = {}) => app.request({ method: 'GET', url: `/v1/reports/safety?${query}`, key, headers });
  type Row = ReturnType<typeof rule>;
  /** A rule's counts: scans c/w/i, checks c/w/i, decisions not-used/overridden/pending, critical checks not opened/followed. */
  const rule = (name: string, code: string, sc: number[], ch: number[], de: number[], cc: number[]) => ({
    rule: name,
    code,
    scans: { critical: sc[0], warning: sc[1], info: sc[2] },
    checks: { critical: ch[0], warning: ch[1], info: ch[2] },
    decisions: { notUsed: de[0], overridden: de[1], pending: de[2] },
    criticalChecks: { notOpened: cc[0], followedByImplantScan: cc[1] },
  });
  const month = (name: string, items: number[], totals: { sc: number[]; ch: number[]; all: number; de: number[]; cc: number[] }, rules: Row[]) => {
    const [count = 0, barcode = 0, manual = 0] = items;
    const { scans, checks, decisions, criticalChecks } = rule('', '', totals.sc, totals.ch, totals.de, totals.cc);
    return {
      month: name,
      scanning: { items: count, barcode, manual, barcodeShare: count === 0 ? null : barcode / count },
      totals: { scans, checks: { ...checks, all: totals.all }, decisions, criticalChecks },
      rules,
    };
  };
  const none = [0, 0, 0];

  // Organisation A, by hand:
  // January: items a1 a2 a3 (barcode), a4 a6 (typed); a5 voided. Scans with findings: a2 (taper), a3 (expired), a4 (side).
  //   a2 put aside, a3 implanted with a reason, a4 pending. Checks: the right knee part followed by its implant scan (a4, by
  //   lot); a box never opened (expired and recalled); the box whose implant scan was voided (not opened); one that found
  //   nothing; at 23:30 on 31 January an information.
  // February: items f1 f2 f3 (barcode). f2 expired: put aside, then corrected to implanted (an override in force); f3 an
  //   unknown product (warning). Checks: a taper stop never opened; f2 checked then scanned (followed); a3's serial checked in
  //   another procedure (not opened: a3 was scanned in p1).
  // March: a warning at 23:30 BST on 31 March; the check at 00:30 BST on 1 April is April's.
  const aMonths = [
    month('2026-01', [5, 3, 2], { sc: [3, 0, 0], ch: [3, 0, 1], all: 5, de: [1, 1, 1], cc: [2, 1] }, [
      rule('PRODUCT_EXPIRED', 'PRODUCT_EXPIRED', [1, 0, 0], [2, 0, 0], [0, 1, 0], [2, 0]),
      rule('PRODUCT_RECALLED', 'PRODUCT_RECALLED', none, [1, 0, 0], none, [1, 0]),
      rule('hip.head-liner-diameter', 'COMPATIBILITY_NOT_CHECKED', none, [0, 0, 1], none, [0, 0]),
      rule('hip.head-stem-taper', 'TAPER_MISMATCH', [1, 0, 0], none, [1, 0, 0], [0, 0]),
      rule('side.laterality', 'SIDE_MISMATCH', [1, 0, 0], [1, 0, 0], [0, 0, 1], [0, 1]),
    ]),
    month('2026-02', [3, 3, 0], { sc: [1, 1, 0], ch: [3, 0, 0], all: 3, de: [0, 1, 0], cc: [2, 1] }, [
      rule('PRODUCT_EXPIRED', 'PRODUCT_EXPIRED', [1, 0, 0], [2, 0, 0], [0, 1, 0], [1, 1]),
      rule('UNKNOWN_PRODUCT', 'UNKNOWN_PRODUCT', [0, 1, 0], none, none, [0, 0]),
      rule('hip.head-stem-taper', 'TAPER_MISMATCH', none, [1, 0, 0], none, [1, 0]),
    ]),
    month('2026-03', [0, 0, 0], { sc: none, ch: [0, 1, 0], all: 1, de: none, cc: [0, 0] }, [rule('hip.manufacturer', 'MIXED_MANUFACTURER', none, [0, 1, 0], none, [0, 0])]),
  ];
  // Organisation B: in January one expired item implanted with a reason, and an expired box checked and never opened.
  const empty = (name: string) => month(name, [0, 0, 0], { sc: none, ch: none, all: 0, de: none, cc: [0, 0] }, []);
  const bMonths = [
    month('2026-01', [1, 1, 0], { sc: [1, 0, 0], ch: [1, 0, 0], all: 1, de: [0, 1, 0], cc: [1, 0] }, [rule('PRODUCT_EXPIRED', 'PRODUCT_EXPIRED', [1, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0])]),
    empty('2026-02'),
    empty('2026-03'),
  ];

  t.test('an organisation’s key: its own counts, exactly', async (t) => {
    const res = await report(a.keys.procurement, 'from=2026-01&to=2026-04');
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
    t.match(res.headers['content-type'], /^application\/json/);
    t.same(res.json(), { from: '2026-01', to: '2026-04', timeZone: 'Europe/London', months: aMonths, byOrganisation: [{ organisation: 'RSA', months: aMonths }] });
    const theirs = await report(b.keys.procurement, 'from=2026-01&to=2026-04');
    t.same(theirs.json(), { from: '2026-01', to: '2026-04', timeZone: 'Europe/London', months: bMonths, byOrganisation: [{ organisation: 'RSB', months: bMonths }] }, 'the other organisation sees only its own');
    const one = await report(a.keys.procurement, 'from=2026-02&to=2026-03');
    t.same(one.json<{ months: unknown[] }>().months, [aMonths[1]], 'one month');
    const audit = await app.db.selectFrom('audit_events').select(['actor_organisation_id', 'detail', 'patient_ids']).where('action', '=', 'report.safety').orderBy('occurred_at').execute();
    t.same(audit.at(0), { actor_organisation_id: a.id, detail: { from: '2026-01', to: '2026-04', format: 'json', organisations: 1 }, patient_ids: [] }, 'audited as a report read');
  });

  t.test('a national key: every organisation apart and together', async (t) => {
    const res = await report(national, 'from=2026-01&to=2026-04');
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
    const body = res.json<{ months: ReturnType<typeof month>[]; byOrganisation: { organisation: string }[] }>();
    t.same(body.byOrganisation, [
      { organisation: 'RSA', months: aMonths },
      { organisation: 'RSB', months: bMonths },
    ]);
    t.same(body.months[0], month('2026-01', [6, 4, 2], { sc: [4, 0, 0], ch: [4, 0, 1], all: 6, de: [1, 2, 1], cc: [3, 1] }, [
      rule('PRODUCT_EXPIRED', 'PRODUCT_EXPIRED', [2, 0, 0], [3, 0, 0], [0, 2, 0], [3, 0]),
      ...aMonths[0]!.rules.slice(1),
    ]), 'the months add the organisations up');
    t.same(body.months.slice(1), aMonths.slice(1));
  });

  t.test('CSV: one row per organisation, month and rule', async (t) => {
    const res = await report(national, 'from=2026-01&to=2026-04&format=csv');
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
    t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
    t.equal(res.headers['content-disposition'], 'attachment; filename="safety-report-national-2026-01-to-2026-04.csv"');
    t.equal(
      res.body,
      [
        'organisation,month,rule,code,scans_critical,scans_warning,scans_info,checks_critical,checks_warning,checks_info,not_used,overridden,pending,checks_not_opened,checks_followed_by_implant_scan,checks_all,items,items_barcode,items_manual',
        'RSA,2026-01,all,,3,0,0,3,0,1,1,1,1,2,1,5,5,3,2',
        'RSA,2026-01,PRODUCT_EXPIRED,PRODUCT_EXPIRED,1,0,0,2,0,0,0,1,0,2,0,,,,',
        'RSA,2026-01,PRODUCT_RECALLED,PRODUCT_RECALLED,0,0,0,1,0,0,0,0,0,1,0,,,,',
        'RSA,2026-01,hip.head-liner-diameter,COMPATIBILITY_NOT_CHECKED,0,0,0,0,0,1,0,0,0,0,0,,,,',
        'RSA,2026-01,hip.head-stem-taper,TAPER_MISMATCH,1,0,0,0,0,0,1,0,0,0,0,,,,',
        'RSA,2026-01,side.laterality,SIDE_MISMATCH,1,0,0,1,0,0,0,0,1,0,1,,,,',
        'RSA,2026-02,all,,1,1,0,3,0,0,0,1,0,2,1,3,3,3,0',
        'RSA,2026-02,PRODUCT_EXPIRED,PRODUCT_EXPIRED,1,0,0,2,0,0,0,1,0,1,1,,,,',
        'RSA,2026-02,UNKNOWN_PRODUCT,UNKNOWN_PRODUCT,0,1,0,0,0,0,0,0,0,0,0,,,,',
        'RSA,2026-02,hip.head-stem-taper,TAPER_MISMATCH,0,0,0,1,0,0,0,0,0,1,0,,,,',
        'RSA,2026-03,all,,0,0,0,0,1,0,0,0,0,0,0,1,0,0,0',
        'RSA,2026-03,hip.manufacturer,MIXED_MANUFACTURER,0,0,0,0,1,0,0,0,0,0,0,,,,',
        'RSB,2026-01,all,,1,0,0,1,0,0,0,1,0,1,0,1,1,1,0',
        'RSB,2026-01,PRODUCT_EXPIRED,PRODUCT_EXPIRED,1,0,0,1,0,0,0,1,0,1,0,,,,',
        'RSB,2026-02,all,,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0',
        'RSB,2026-03,all,,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0',
        '',
      ].join('\n'),
    );
    const mine = await report(b.keys.procurement, 'from=2026-01&to=2026-02', { accept: 'text/csv' });
    t.match(mine.headers['content-type'], /^text\/csv/, 'Accept: text/csv asks for CSV too');
    t.equal(mine.headers['content-disposition'], 'attachment; filename="safety-report-RSB-2026-01-to-2026-02.csv"');
    t.same(mine.body.split('\n').slice(1), ['RSB,2026-01,all,,1,0,0,1,0,0,0,1,0,1,0,1,1,1,0', 'RSB,2026-01,PRODUCT_EXPIRED,PRODUCT_EXPIRED,1,0,0,1,0,0,0,1,0,1,0,,,,', ''], 'only its own rows');
    const audit = await app.db.selectFrom('audit_events').select('detail').where('action', '=', 'report.safety').orderBy('occurred_at', 'desc').executeTakeFirstOrThrow();
    t.match(audit.detail, { format: 'csv' });
  });

  t.test('refusals', async (t) => {
    for (const query of [
      'from=2026-03&to=2026-03',
      'from=2026-04&to=2026-01',
      'from=2026-01&to=2029-02',
      'from=2026-13&to=2027-01',
      'from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z',
      'from=2026-01',
      'from=1899-12&to=1900-02',
      'from=2099-12&to=2100-01',
      'from=2026-01&to=2026-02&format=xlsx',
      'from=2026-01&to=2026-02&organisation=RSB',
    ]) {
      const res = await report(a.keys.procurement, query);
      t.equal(res.statusCode, 422, `${query}: ${res.body}`);
      t.equal(res.json<{ code: string }>().code, 'VALIDATION_FAILED');
    }
    t.equal((await report(a.keys.procurement, 'from=2026-01&to=2029-01')).statusCode, 200, '36 months is the most');
    t.equal((await report(a.keys.scanner, 'from=2026-01&to=2026-02')).statusCode, 403, 'procurement only');
  });

  t.test('checks made through the API now: in this month, by the order of check and scan', async (t) => {
    now = new Date();
    const [{ current, next } = { current: '', next: '' }] = (
      await sql<{ current: string; next: string }>`
        select to_char(now() at time zone 'Europe/London', 'YYYY-MM') as current,
               to_char((now() at time zone 'Europe/London') + interval '1 month', 'YYYY-MM') as next`.execute(app.db)
    ).rows;
    const p3 = await newProcedure(app, a.keys.scanner, 8103, { side: 'left' });
    const check = async (serial: string) => {
      const res = await app.request({ method: 'POST', url: `/v1/procedures/${p3}/check`, key: a.keys.scanner, payload: { barcode: label(PLAIN, serial, EXPIRED) } });
      t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
      t.equal(res.json<{ check: { outcome: string } }>().check.outcome, 'critical');
    };
    await scanned(a, p3, { barcode: label(PLAIN, 'Z3', EXPIRED) });
    await check('Z3'); // after its implant scan: nothing followed it (and the check warns of the serial already scanned)
    await check('Z1');
    await scanned(a, p3, { barcode: label(PLAIN, 'Z1', EXPIRED) }); // followed
    await check('Z2'); // never opened
    const res = await report(a.keys.procurement, `from=${current}&to=${next}`);
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
    const m = res.json<{ months: ReturnType<typeof month>[] }>().months[0];
    t.same(m?.totals, {
      scans: { critical: 2, warning: 0, info: 0 },
      checks: { critical: 3, warning: 1, info: 3, all: 3 },
      decisions: { notUsed: 0, overridden: 0, pending: 2 },
      criticalChecks: { notOpened: 2, followedByImplantScan: 1 },
    });
    t.same(m?.rules.find((r) => r.rule === 'PRODUCT_EXPIRED'), rule('PRODUCT_EXPIRED', 'PRODUCT_EXPIRED', [2, 0, 0], [3, 0, 0], [0, 0, 2], [2, 1]));
    t.same(m?.scanning, { items: 2, barcode: 2, manual: 0, barcodeShare: 1 });
  });

  t.test('the queries can read through their indexes', async (t) => {
    // Plans on a table this small prefer a sequential scan; with it off, a plan through the index shows
    // that the index answers the query (the partial index's predicate is implied by the query's).
    const queries: CompiledQuery[] = [];
    const logging = new Kysely<Database>({ dialect: new PostgresDialect({ pool: poolOf(app.db) }), log: (e) => void (e.level === 'query' && queries.push(e.query)) });
    const organisations = await organisationsInScope(app.db, { kind: 'national' });
    const period = { organisationIds: organisations.map((o) => o.id), fromMonth: '2026-01', toMonth: '2026-04' };
    await safetyScanCounts(logging, period);
    await safetyCheckCounts(logging, period);
    await scanningShare(logging, period);
    const client = await poolOf(app.db).connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      const plans: string[] = [];
      for (const q of queries) {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, [...q.parameters]);
        plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
      }
      t.match(plans[0], /Index\b.* using scans_findings on scans/, 'findings at scan time: the partial index');
      t.match(plans[0], /scans_one_void/, 'voided scans: the voids index');
      t.match(plans[1], /using pre_use_checks_organisation on pre_use_checks/, 'checks by organisation and time');
      t.match(plans[1], /using scans_procedure on scans/, 'the implant scan after a check, by procedure');
      t.match(plans[2], /using items_organisation_scanned on items/, 'the scanning share');
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
