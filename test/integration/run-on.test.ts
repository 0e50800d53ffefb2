/**
 * No dropped GS passes silently at the point of use: a value that swallowed
 * the element strings after it is weighed against what the catalogue says the
 * product's label carries (GUDID's production identifier flags).
 */
import fc from 'fast-check';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { cset82, gtin as gtinArbitrary } from '../../scripts/fuzz/barcode-arbitraries.js';
import { GS, newProcedure, scan } from '../helpers/theatre.js';

const NOW = '2026-11-21T09:00:00Z';
const DROPPED = (gtin: string) => `]d201${gtin}17301231` + `10LOT121SER1`;

t.test('dropped separators at the point of use', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const key = org.keys.scanner;
  const put = (gtin: string, productionIdentifiers?: Record<string, boolean>) =>
    app.request({ method: 'PUT', url: `/v1/products/${gtin}`, key: org.keys.procurement, payload: { brand: 'Knee', manufacturer: 'Acme', implantable: true, ...(productionIdentifiers ? { productionIdentifiers } : {}) } });
  const SERIALISED = '09506000134352';
  const LOT_ONLY = '09506000134369';
  const UNKNOWN = '09506000134376';
  t.equal((await put(SERIALISED, { lotNumber: true, serialNumber: true, expirationDate: true, manufacturingDate: false })).statusCode, 200);
  await put(LOT_ONLY, { lotNumber: true, serialNumber: false, expirationDate: true, manufacturingDate: false });
  const proc = await newProcedure(app, key, 1);

  t.test('the catalogue says the label carries a serial: critical, with the reading it would have had, and a decision', async (t) => {
    const res = await scan(app, key, proc, { barcode: DROPPED(SERIALISED) });
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json().item, { lotNumber: 'LOT121SER1', serialNumber: null, decision: { status: 'pending' } });
    t.match(res.json().warnings, [{ code: 'POSSIBLE_MISSING_SEPARATOR', severity: 'critical', message: /\(10\)LOT1 \(21\)SER1/ }]);
  });

  t.test('the catalogue says the label carries no serial: a "21" inside the lot is no concern', async (t) => {
    const res = await scan(app, key, proc, { barcode: DROPPED(LOT_ONLY) });
    t.equal(res.statusCode, 201);
    t.same(res.json().warnings, []);
    t.equal(res.json().item.decision, null);
  });

  t.test('no catalogue knowledge: a warning', async (t) => {
    const res = await scan(app, key, proc, { barcode: DROPPED(UNKNOWN) });
    t.match(res.json().warnings, [{ code: 'UNKNOWN_PRODUCT' }, { code: 'POSSIBLE_MISSING_SEPARATOR', severity: 'warning' }]);
  });

  t.test('a serialised product scanned with no serial and nothing to explain it', async (t) => {
    const res = await scan(app, key, proc, { barcode: `]d201${SERIALISED}17301231` + `10LOTX` });
    t.match(res.json().warnings, [{ code: 'PRODUCTION_IDENTIFIER_MISSING', severity: 'warning', message: /serial number/ }]);
  });

  t.test('the GUDID import records which identifiers labels carry', async (t) => {
    const csv = `PrimaryDI|brandName|companyName|lotBatch|serialNumber|expirationDate|manufacturingDate\n${UNKNOWN}|Cup|Acme|true|true|true|false\n`;
    const res = await app.request({ method: 'POST', url: '/v1/products/import', key: org.keys.procurement, headers: { 'content-type': 'text/csv' }, payload: csv });
    t.equal(res.statusCode, 200, res.body);
    const product = await app.request({ method: 'GET', url: `/v1/products/${UNKNOWN}`, key: org.keys.procurement });
    t.same(product.json().productionIdentifiers, { lotNumber: true, serialNumber: true, expirationDate: true, manufacturingDate: false });
    const bad = await app.request({ method: 'POST', url: '/v1/products/import', key: org.keys.procurement, headers: { 'content-type': 'text/csv' }, payload: `PrimaryDI|serialNumber\n${UNKNOWN}|perhaps\n` });
    t.match(bad.json().rejected, [{ row: 2, reason: /serialNumber/ }]);
  });

  t.test('property: random labels with the GS after a variable-length AI dropped never read as valid without a warning', async (t) => {
    let seen = 0;
    const layouts = [['10', '21'], ['21', '10']] as const;
    await fc.assert(
      fc.asyncProperty(gtinArbitrary, cset82(20), cset82(20), fc.constantFrom(...layouts), fc.boolean(), async (gtin, lot, serial, order, withExpiry) => {
        await put(gtin, { lotNumber: true, serialNumber: true, expirationDate: withExpiry, manufacturingDate: false });
        const values: Record<string, string> = { '10': lot, '21': serial };
        const [first, second] = order;
        // The GS after the first variable-length value is dropped.
        const raw = `]d201${gtin}${withExpiry ? '17301231' : ''}${first}${values[first]}${second}${values[second]}`;
        const res = await scan(app, key, proc, { barcode: raw });
        if (res.statusCode === 422) return; // refused: not silent
        seen++;
        const warnings = res.json().warnings as Array<{ code: string; severity: string }>;
        const flagged = warnings.some((w) => (w.code === 'POSSIBLE_MISSING_SEPARATOR' || w.code === 'PRODUCTION_IDENTIFIER_MISSING') && w.severity !== 'info');
        if (!flagged) throw new Error(`${JSON.stringify(raw)} read as ${JSON.stringify(res.json().item)} with ${JSON.stringify(warnings)}`);
      }),
      { numRuns: 150, seed: 20261207 },
    );
    t.ok(seen > 50, `most of them read (${seen}): the property is not met only by refusals`);
  });

  t.test('a full label with every GS: no run-on warning', async (t) => {
    const res = await scan(app, key, proc, { barcode: `]d201${SERIALISED}17301231` + `10LOT1${GS}21SER1` });
    t.same(res.json().warnings, []);
  });
});
