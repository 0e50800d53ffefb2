/**
 * Clinical attributes from what GUDID publishes (issue 16): the gmdnTerms and
 * deviceSizes files of the delimited release, posted to the catalogue import,
 * fill the clinical attributes of products already in the catalogue: the
 * component from the GMDN term, the diameters from the sizes. Values set
 * explicitly are never replaced; values derived before are corrected.
 */
import t from 'tap';
import { gs1CheckDigit } from '../../src/barcode/gs1/check-digit.js';
import { buildTestApp, nationalProcurementKey as nationalProcurement, createOrganisationWithKeys } from '../helpers/app.js';

const gtin = (n: number) => {
  const body = `0950600${String(n).padStart(6, '0')}`;
  return body + gs1CheckDigit(body);
};
const HEAD = gtin(1001);
const LINER = gtin(1002);
const SHELL = gtin(1003);
const STEM = gtin(1004);
const KNEE = gtin(1005);
const CENTRALIZER = gtin(1006);
const EXPLICIT = gtin(1007);
const BIPOLAR = gtin(1008);
const ABSENT = gtin(1999);

t.test('GUDID gmdnTerms and deviceSizes files fill the clinical attributes', async (t) => {
  const app = await buildTestApp(t);
  const national = await nationalProcurement(app);
  const org = await createOrganisationWithKeys(app, 'RGU');
  const post = (csv: string, key = national) => app.request({ method: 'POST', url: '/v1/products/import', key, headers: { 'content-type': 'text/csv' }, payload: csv });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON, matched field by field
  const clinical = async (di: string, key = national): Promise<any> => (await app.request({ method: 'GET', url: `/v1/products/${di}`, key })).json<{ clinical: unknown }>().clinical;

  // The device file first: GMDN terms and sizes describe products, they do not make them.
  const device = await post(
    [
      'PrimaryDI|brandName|companyName|implantable',
      `${HEAD}|ACME DELTA HEAD 36|Acme Ortho|true`,
      `${LINER}|ACME XLPE LINER|Acme Ortho|true`,
      `${SHELL}|ACME SHELL|Acme Ortho|true`,
      `${STEM}|ACME STEM|Acme Ortho|true`,
      `${KNEE}|ACME KNEE FEMORAL|Acme Ortho|true`,
      `${CENTRALIZER}|ACME CENTRALIZER|Acme Ortho|true`,
      `${EXPLICIT}|ACME METAL HEAD|Acme Ortho|true`,
    ].join('\n'),
  );
  t.match(device.json(), { accepted: 7, rejected: [] });
  const explicit = { component: 'femoral-head', laterality: 'none', taper: '12/14', bearing: 'metal', headDiameterMm: 36 };
  t.equal((await app.request({ method: 'PATCH', url: `/v1/products/${EXPLICIT}`, key: national, payload: { clinical: explicit } })).statusCode, 200);

  t.test('gmdnTerms: the component from the whole GMDN preferred term', async (t) => {
    const report = await post(
      [
        'PrimaryDI|gmdnPTName|gmdnPTDefinition',
        `${HEAD}|Ceramic femoral head prosthesis|A sterile implantable ceramic ball…`,
        `${LINER}|Acetabular cup prosthesis liner|A sterile implantable insert…`,
        `${SHELL}|Acetabular shell|A sterile implantable metal hemisphere…`,
        `${STEM}|Uncoated femoral stem prosthesis, modular|A sterile implantable stem…`,
        `${KNEE}|Uncoated knee femur prosthesis|A sterile implantable femoral component…`,
        `${CENTRALIZER}|Femoral stem centralizer|A device placed at the tip of a cemented stem…`,
        `${EXPLICIT}|Metallic femoral head prosthesis|A sterile implantable metal ball…`,
        `${ABSENT}|Ceramic femoral head prosthesis|…`,
        '12345|Acetabular shell|…',
      ].join('\n'),
    );
    t.equal(report.statusCode, 200, report.body);
    t.match(report.json(), {
      total: 9,
      accepted: 7,
      changed: 5,
      rejected: [
        { row: 9, primaryDi: ABSENT, reason: /not in the catalogue/ },
        { row: 10, primaryDi: '12345', reason: /not a GTIN/ },
      ],
      notApplied: [{ row: 7, primaryDi: CENTRALIZER, reason: /Femoral stem centralizer.*not a stem/ }],
    });
    t.same(await clinical(HEAD), {
      component: 'femoral-head',
      laterality: null,
      system: null,
      taper: null,
      bearing: null,
      headDiameterMm: null,
      innerDiameterMm: null,
      outerDiameterMm: null,
      derivedFromGudid: ['component'],
    });
    t.equal((await clinical(LINER)).component, 'acetabular-liner', '"Acetabular cup prosthesis liner" is a liner, not a cup');
    t.equal((await clinical(SHELL)).component, 'acetabular-shell');
    t.equal((await clinical(STEM)).component, 'femoral-stem');
    t.equal((await clinical(KNEE)).component, 'femoral-component');
    t.equal(await clinical(CENTRALIZER), null, 'a centralizer is no stem: unknown');
    t.same(await clinical(EXPLICIT), { ...explicit, system: null, innerDiameterMm: null, outerDiameterMm: null }, 'explicit values untouched, nothing marked derived');
  });

  const sizes = [
    'PrimaryDI|sizeType|size (unit)|size (value)|sizeText',
    `${HEAD}|Outer Diameter|Millimeter|36|`,
    `${LINER}|Lumen/Inner Diameter|Millimeter|36|`,
    `${LINER}|Outer Diameter|Centimeter|5.2|`,
    `${LINER}|Lumen/Inner Diameter|Degree|36|`,
    `${SHELL}|Outer Diameter|Centimeter|5.4|`,
    `${SHELL}|Diameter|Millimeter|54|`,
    `${STEM}|Length|Millimeter|140|`,
    `${STEM}|Angle|Degree|132|`,
    `${CENTRALIZER}|Outer Diameter|Millimeter|12|`,
    `${EXPLICIT}|Outer Diameter|Millimeter|32|`,
    `${ABSENT}|Outer Diameter|Millimeter|36|`,
  ].join('\n');

  t.test('deviceSizes: diameters by component, in millimetres; what cannot be placed is rejected with its reason', async (t) => {
    const report = await post(sizes);
    t.equal(report.statusCode, 200, report.body);
    t.match(report.json(), {
      total: 11,
      accepted: 7,
      changed: 3,
      rejected: [
        { row: 5, primaryDi: LINER, reason: /"Degree" is not a length/ },
        { row: 7, primaryDi: SHELL, reason: /could be its inner or its outer diameter/ },
        { row: 10, primaryDi: CENTRALIZER, reason: /component is not known/ },
        { row: 12, primaryDi: ABSENT, reason: /not in the catalogue/ },
      ],
      notApplied: [
        { row: 8, primaryDi: STEM, reason: /Length/ },
        { row: 9, primaryDi: STEM, reason: /Angle/ },
        { row: 11, primaryDi: EXPLICIT, reason: /kept 36 mm \(set explicitly\); GUDID says 32 mm/ },
      ],
    });
    t.match(await clinical(HEAD), { component: 'femoral-head', headDiameterMm: 36, derivedFromGudid: ['component', 'headDiameterMm'] });
    t.match(await clinical(LINER), { component: 'acetabular-liner', innerDiameterMm: 36, outerDiameterMm: 52, headDiameterMm: null });
    t.match(await clinical(SHELL), { component: 'acetabular-shell', outerDiameterMm: 54, innerDiameterMm: null });
    t.match(await clinical(STEM), { component: 'femoral-stem', headDiameterMm: null, innerDiameterMm: null, outerDiameterMm: null });
    t.equal((await clinical(EXPLICIT)).headDiameterMm, 36, 'the explicit 36 mm is kept');

    const again = await post(sizes);
    t.match(again.json(), { changed: 0 }, 'the same file again changes nothing');
  });

  t.test('a corrected GUDID record corrects what was derived, and the change is in the history', async (t) => {
    const report = await post(['PrimaryDI|sizeType|size (unit)|size (value)|sizeText', `${HEAD}|Outer Diameter|Millimeter|32|`].join('\n'));
    t.match(report.json(), { accepted: 1, changed: 1, rejected: [], notApplied: [] });
    t.equal((await clinical(HEAD)).headDiameterMm, 32);
    const history = await app.request({ method: 'GET', url: `/v1/products/${HEAD}/history`, key: national });
    const [last, previous] = history.json().changes;
    t.match(last, { how: 'import', before: { clinical: { headDiameterMm: 36 } }, after: { clinical: { headDiameterMm: 32 } } });
    t.match(previous, { how: 'import', after: { clinical: { headDiameterMm: 36 } } });
  });

  t.test('an explicit write makes every value explicit: GUDID no longer replaces them', async (t) => {
    const own = { component: 'femoral-head', headDiameterMm: 32, taper: '12/14' };
    const res = await app.request({ method: 'PATCH', url: `/v1/products/${HEAD}`, key: national, payload: { clinical: own } });
    t.notOk('derivedFromGudid' in res.json().clinical);
    const report = await post(['PrimaryDI|sizeType|size (unit)|size (value)|sizeText', `${HEAD}|Outer Diameter|Millimeter|28|`].join('\n'));
    t.match(report.json(), { changed: 0, notApplied: [{ row: 2, reason: /kept 32 mm/ }] });
    t.equal((await clinical(HEAD)).headDiameterMm, 32);
  });

  t.test("an organisation's import never hides the national clinical attributes", async (t) => {
    const report = await post(['PrimaryDI|sizeType|size (unit)|size (value)|sizeText', `${LINER}|Lumen/Inner Diameter|Millimeter|32|`].join('\n'), org.keys.procurement);
    t.match(report.json(), { accepted: 0, rejected: [{ row: 2, reason: /national record holds this product's clinical attributes/ }] });
    t.equal((await clinical(LINER, org.keys.procurement)).innerDiameterMm, 36, 'the organisation still reads the national liner');
  });

  t.test('a device file may carry the GMDN term and a size in each row', async (t) => {
    const report = await post(
      [
        'PrimaryDI,brandName,companyName,gmdnPTName,sizeType,size (value),size (unit)',
        `${BIPOLAR},ACME BIPOLAR 28/47,Acme Ortho,Bipolar femoral head prosthesis,Lumen/Inner Diameter,28,Millimeter`,
      ].join('\n'),
    );
    t.match(report.json(), { accepted: 1, changed: 1, rejected: [], notApplied: [] });
    t.match(await clinical(BIPOLAR), { component: 'bipolar-head', innerDiameterMm: 28, derivedFromGudid: ['component', 'innerDiameterMm'] });
  });

  t.test('a size file without its value or unit column is refused', async (t) => {
    const res = await post(['PrimaryDI|sizeType|size (value)', `${HEAD}|Outer Diameter|36`].join('\n'));
    t.equal(res.statusCode, 422);
    t.match(res.json(), { code: 'CSV_INVALID', detail: /missing: size \(unit\)/ });
  });
});
