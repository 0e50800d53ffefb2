import t from 'tap';
import { GS } from '../../src/barcode/index.js';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';


t.test('POST /v1/barcodes/parse', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-11-21T09:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RRK');

  t.test('every role may parse; the result follows the contract', async (t) => {
    for (const role of ['admin', 'scanner', 'procurement', 'registry'] as const) {
      const res = await app.request({
        method: 'POST',
        url: '/v1/barcodes/parse',
        key: org.keys[role],
        payload: { barcode: `]d20109506000134352` + `17261231` + `10ABC123${GS}21S1` },
      });
      t.equal(res.statusCode, 200, role);
      t.match(res.json(), {
        valid: true,
        issuingAgency: 'GS1',
        carrier: 'gs1-element',
        symbologyId: ']d2',
        gtin: '09506000134352',
        di: '09506000134352',
        lotNumber: 'ABC123',
        serialNumber: 'S1',
        expirationDate: '2026-12-31',
        hri: '(01)09506000134352(17)261231(10)ABC123(21)S1',
        warnings: [],
      });
    }
  });

  t.test('a dropped GS: the warning says where the GS belongs and what the label would read', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/barcodes/parse', key: org.keys.scanner, payload: { barcode: `]d20104000000000051` + `17301231` + `10LOT121SER1` } });
    t.equal(res.statusCode, 200);
    t.match(res.json(), { valid: true, lotNumber: 'LOT121SER1', warnings: [{ code: 'POSSIBLE_MISSING_SEPARATOR', ai: '10', position: 33, length: 6, reading: { '10': 'LOT1', '21': 'SER1' } }] });
  });

  t.test('an invalid scan is still a 200, explaining what is wrong and where', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/barcodes/parse', key: org.keys.scanner, payload: { barcode: '0109506000134353' } });
    t.equal(res.statusCode, 200);
    t.match(res.json(), { valid: false, error: { kind: 'checkDigit', code: 'GS1_CHECK_DIGIT', position: 15, length: 1, ai: '01' } });
  });

  t.test('the server clock decides what "today" is for the sliding century', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/barcodes/parse', key: org.keys.scanner, payload: { barcode: '(01)09506000134352(17)771231' } });
    t.equal(res.json().expirationDate, '1977-12-31');
  });

  t.test('no key -> 401; a missing or oversized barcode -> 422', async (t) => {
    t.equal((await app.request({ method: 'POST', url: '/v1/barcodes/parse', payload: { barcode: 'x' } })).statusCode, 401);
    const missing = await app.request({ method: 'POST', url: '/v1/barcodes/parse', key: org.keys.scanner, payload: {} });
    t.equal(missing.statusCode, 422);
    t.match(missing.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/barcode' }] });
    const huge = await app.request({ method: 'POST', url: '/v1/barcodes/parse', key: org.keys.scanner, payload: { barcode: 'x'.repeat(5000) } });
    t.equal(huge.statusCode, 422);
  });
});
