/**
 * The clinical attributes in the catalogue (issue 16): what the compatibility
 * checks before opening read. Set through the catalogue API or a CSV through
 * the import, in the same two layers as every other fact of a product.
 */
import t from 'tap';
import { buildTestApp, nationalProcurementKey as nationalProcurement, createOrganisationWithKeys } from '../helpers/app.js';
import { GTIN, GTIN_B } from '../helpers/theatre.js';

t.test('clinical attributes of a product', async (t) => {
  const app = await buildTestApp(t);
  const a = await createOrganisationWithKeys(app, 'RCA');
  const b = await createOrganisationWithKeys(app, 'RCB');
  const national = await nationalProcurement(app);
  const put = (key: string, payload: object, gtin = GTIN) => app.request({ method: 'PUT', url: `/v1/products/${gtin}`, key, payload });
  const patch = (key: string, payload: object, gtin = GTIN) => app.request({ method: 'PATCH', url: `/v1/products/${gtin}`, key, payload });
  const get = (key: string, gtin = GTIN) => app.request({ method: 'GET', url: `/v1/products/${gtin}`, key });

  const head = { component: 'femoral-head', laterality: 'none', taper: '12/14', bearing: 'ceramic', headDiameterMm: 36, system: 'Pinnacle-like' };
  const res = await put(national, { brand: 'Ceramic head 36', manufacturer: 'Acme Ortho', implantable: true, clinical: head });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().clinical, { ...head, innerDiameterMm: null, outerDiameterMm: null }, 'what is not sent is unknown: null, never guessed');
  t.same((await get(a.keys.scanner)).json().clinical, res.json().clinical, 'every organisation reads the national record');

  t.test('what is refused, and why', async (t) => {
    for (const [clinical, path] of [
      [{ laterality: 'left' }, '/clinical/component'],
      [{ component: 'femoral-knob' }, '/clinical/component'],
      [{ component: 'femoral-head', laterality: 'both' }, '/clinical/laterality'],
      [{ component: 'femoral-head', headDiameterMm: -32 }, '/clinical/headDiameterMm'],
      [{ component: 'femoral-head', headDiameterMm: 1000 }, '/clinical/headDiameterMm'],
      [{ component: 'femoral-head', bearing: 'wood' }, '/clinical/bearing'],
      [{ component: 'femoral-head', colour: 'blue' }, '/clinical'],
    ] as const) {
      const bad = await put(national, { brand: 'x', clinical });
      t.equal(bad.statusCode, 422, JSON.stringify(clinical));
      t.match(bad.json(), { code: 'VALIDATION_FAILED' });
      t.ok(bad.json().errors.some((e: { pointer: string }) => e.pointer.startsWith(path)), `the error points at ${path}`);
    }
    t.same((await get(national)).json().clinical, res.json().clinical, 'nothing stored changed');
  });

  t.test("an organisation's own clinical values are its alone, and null goes back to the national ones", async (t) => {
    const own = await patch(b.keys.procurement, { clinical: { ...head, headDiameterMm: 32 } });
    t.equal(own.statusCode, 200, own.body);
    t.equal(own.json().clinical.headDiameterMm, 32);
    t.ok(own.json().organisationValues.includes('clinical'));
    t.equal((await get(a.keys.scanner)).json().clinical.headDiameterMm, 36, 'A still reads the national 36 mm');
    const history = await app.request({ method: 'GET', url: `/v1/products/${GTIN}/history`, key: b.keys.procurement });
    t.equal(history.json().changes[0].after.clinical.headDiameterMm, 32, 'the change is kept with its values');
    const back = await patch(b.keys.procurement, { clinical: null });
    t.equal(back.json().clinical.headDiameterMm, 36);
    t.notOk(back.json().organisationValues.includes('clinical'));
  });

  t.test('the import reads clinical columns; a file without them leaves the clinical attributes as they are', async (t) => {
    const import_ = (csv: string) => app.request({ method: 'POST', url: '/v1/products/import', key: national, headers: { 'content-type': 'text/csv' }, payload: csv });
    const withClinical = [
      'PrimaryDI,BrandName,CompanyName,Component,Laterality,Taper,Bearing,HeadDiameterMm,InnerDiameterMm,OuterDiameterMm',
      `${GTIN_B},Liner 36,Acme Ortho,acetabular-liner,none,,Polyethylene,,36,52`,
      `${GTIN},Ceramic head 36,Acme Ortho,femoral-head,none,12/14,ceramic,36.0,,`,
      '00000000000017,Bad bearing,Acme Ortho,femoral-head,none,12/14,wood,36,,',
    ].join('\n');
    const report = await import_(withClinical);
    t.equal(report.statusCode, 200, report.body);
    t.match(report.json(), { accepted: 2, rejected: [{ row: 4, reason: /bearing must be one of/ }] });
    t.same((await get(national, GTIN_B)).json().clinical, {
      component: 'acetabular-liner',
      laterality: 'none',
      system: null,
      taper: null,
      bearing: 'polyethylene',
      headDiameterMm: null,
      innerDiameterMm: 36,
      outerDiameterMm: 52,
    });

    // A GUDID device file has no clinical columns: the import updates the rest and keeps the clinical attributes.
    const gudid = await import_(['PrimaryDI,BrandName,CompanyName', `${GTIN_B},Liner 36 (renamed),Acme Ortho`].join('\n'));
    t.equal(gudid.statusCode, 200, gudid.body);
    const after = (await get(national, GTIN_B)).json();
    t.equal(after.brand, 'Liner 36 (renamed)');
    t.equal(after.clinical?.innerDiameterMm, 36, 'kept');
  });
});
