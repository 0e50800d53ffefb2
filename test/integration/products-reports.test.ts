import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { GS, GTIN, newProcedure, PLACE, scan } from '../helpers/theatre.js';

t.test('catalogue', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-11-21T09:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RRK');

  t.test('PUT then GET by GTIN (any length, normalised to 14)', async (t) => {
    const put = await app.request({ method: 'PUT', url: '/v1/products/9506000134352', key: org.keys.procurement, payload: { brand: 'Stem', model: 'S-12', manufacturer: 'Acme Ortho', implantable: true } });
    t.equal(put.statusCode, 200);
    t.match(put.json(), { di: GTIN, issuingAgency: 'GS1', brand: 'Stem', model: 'S-12', manufacturer: 'Acme Ortho', implantable: true, source: 'api' });
    const get = await app.request({ method: 'GET', url: `/v1/products/${GTIN}`, key: org.keys.scanner });
    t.equal(get.json().brand, 'Stem');
    const missing = await app.request({ method: 'GET', url: '/v1/products/09506000134376', key: org.keys.scanner });
    t.equal(missing.statusCode, 404);
    const bad = await app.request({ method: 'GET', url: '/v1/products/09506000134353', key: org.keys.scanner });
    t.equal(bad.statusCode, 422);
    t.match(bad.json(), { errors: [{ in: 'params', pointer: '/gtin', message: /check digit/ }] });
    t.equal((await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: org.keys.scanner, payload: {} })).statusCode, 403);
  });

  t.test('GUDID CSV import: rows accepted and rejected with reasons', async (t) => {
    const csv = [
      'PrimaryDI|brandName|versionModelNumber|companyName|deviceDescription|implantable',
      '09506000134369|Cup|C-50|Acme Ortho|Acetabular cup, 50 mm|Y',
      '9506000134376|Liner|L-1|"Acme, Inc."|Liner|false',
      '09506000134353|Bad|X|Acme|Bad check digit|Y',
      '|Empty|X|Acme|No DI|Y',
      '09506000134383|Odd|X|Acme|Odd flag|maybe',
      '09506000134369|Cup again|C-50|Acme Ortho|Duplicate row|Y',
      '+A123BJC5D6E71G|HIBC product|H-1|Beta Medical|HIBC primary|yes',
    ].join('\n');
    const res = await app.request({ method: 'POST', url: '/v1/products/import', key: org.keys.procurement, headers: { 'content-type': 'text/csv' }, payload: csv });
    t.equal(res.statusCode, 200, res.body);
    const report = res.json();
    t.equal(report.total, 7);
    t.equal(report.accepted, 3);
    t.same(
      report.rejected.map((r: { row: number; reason: string }) => [r.row, r.reason]),
      [
        [4, 'GTIN check digit is wrong'],
        [5, 'primary DI is empty'],
        [6, 'implantable must be true/false, yes/no, Y/N or 1/0'],
        [7, 'the same DI as row 2'],
      ],
    );
    const liner = await app.request({ method: 'GET', url: '/v1/products/09506000134376', key: org.keys.procurement });
    t.match(liner.json(), { manufacturer: 'Acme, Inc.', implantable: false, source: 'gudid-import' });
    // An organisation's key imports into its own values.
    const hibc = await app.db.selectFrom('product_overrides').selectAll().where('organisation_id', '=', org.id).where('di', '=', 'A123BJC5D6E71').executeTakeFirst();
    t.match(hibc, { issuing_agency: 'HIBCC', brand: 'HIBC product', implantable: true });
  });

  t.test('a CSV without a primary DI column -> 422 CSV_INVALID', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/products/import', key: org.keys.procurement, headers: { 'content-type': 'text/csv' }, payload: 'brandName,companyName\nX,Y\n' });
    t.equal(res.statusCode, 422);
    t.equal(res.json().code, 'CSV_INVALID');
  });

  t.test('a CSV that is not UTF-8 is refused, never stored with U+FFFD in place of what was sent', async (t) => {
    const latin1 = Buffer.concat([Buffer.from('PrimaryDI,brandName,companyName\n09506000134352,Hip,Soci'), Buffer.from([0xe9]), Buffer.from('t\u00e9\n')]);
    const res = await app.request({ method: 'POST', url: '/v1/products/import', key: org.keys.procurement, headers: { 'content-type': 'text/csv' }, payload: latin1 });
    t.equal(res.statusCode, 422);
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'body', code: 'invalid_characters' }] });
  });
});

t.test('data-quality report', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-11-21T09:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: org.keys.procurement, payload: { brand: 'Stem', implantable: true } });
  const key = org.keys.scanner;
  const theatre = await newProcedure(app, key, 101, { location: { barcode: PLACE } });
  await scan(app, key, theatre, { barcode: `01${GTIN}10L1${GS}21S1` });
  await scan(app, key, theatre, { barcode: `01${GTIN}10L2` });
  await scan(app, key, theatre, { barcode: '0109506000134376' + '21S9' });
  await scan(app, key, theatre, { manual: { gtin: GTIN } });
  await scan(app, key, theatre, { barcode: '10ORPHAN', scannerId: 'X' });
  const voided = await scan(app, key, theatre, { barcode: `01${GTIN}10VOID` });
  await app.request({ method: 'POST', url: `/v1/scans/${voided.json().scan.id}/void`, key, payload: { reason: 'mistake' } });
  await newProcedure(app, other.keys.scanner, 102);

  const res = await app.request({ method: 'GET', url: '/v1/reports/data-quality?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z', key: org.keys.procurement });
  t.equal(res.statusCode, 200, res.body);
  const expected = { items: 5, scanned: 4, manual: 1, scannedShare: 0.8, missingLot: 2, missingSerial: 3, missingLotAndSerial: 1, unknownProduct: 1, incompleteSplitLabels: 1 };
  t.match(res.json(), { total: expected, byLocation: [{ organisation: 'RRK', location: { gln: '9506000134369' }, ...expected }] });
  t.equal(res.json().byLocation.length, 1, "only this organisation's locations");

  const empty = await app.request({ method: 'GET', url: '/v1/reports/data-quality?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z', key: org.keys.procurement });
  t.match(empty.json(), { total: { items: 0, scannedShare: null }, byLocation: [] });
  const backwards = await app.request({ method: 'GET', url: '/v1/reports/data-quality?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z', key: org.keys.procurement });
  t.equal(backwards.statusCode, 422);
});
