/**
 * Who owns a product's facts: the national record (national procurement keys,
 * their GUDID imports) and each organisation's own values over it, seen by that
 * organisation alone. Before this, any organisation's procurement key rewrote
 * the one shared record for everyone (a `PUT {"brand":"Hijacked",
 * "implantable":false}` gave every other hospital's scanners NOT_IMPLANTABLE
 * and wiped model and manufacturer), and the audit kept no previous values.
 */
import t from 'tap';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { GTIN, GTIN_B, newProcedure, scan } from '../helpers/theatre.js';

const warningCodes = (res: { json: () => { warnings: { code: string }[] } }) => res.json().warnings.map((w) => w.code);

async function nationalKey(app: TestApp, role: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: `national ${role}`, role, national: true, ...extra } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json<{ key: string }>().key;
}

t.test('catalogue ownership', async (t) => {
  const app = await buildTestApp(t);
  const a = await createOrganisationWithKeys(app, 'RCA');
  const b = await createOrganisationWithKeys(app, 'RCB');
  const mhra = await nationalKey(app, 'procurement');
  const put = (key: string, payload: object, gtin = GTIN) => app.request({ method: 'PUT', url: `/v1/products/${gtin}`, key, payload });
  const patch = (key: string, payload: object, gtin = GTIN) => app.request({ method: 'PATCH', url: `/v1/products/${gtin}`, key, payload });
  const get = (key: string, gtin = GTIN) => app.request({ method: 'GET', url: `/v1/products/${gtin}`, key });

  const national = await put(mhra, { brand: 'Hip Stem X', model: 'S3', manufacturer: 'Acme', implantable: true, productionIdentifiers: { lotNumber: true, serialNumber: true } });
  t.equal(national.statusCode, 200, national.body);
  t.match(national.json(), { brand: 'Hip Stem X', organisationValues: [] });

  t.test('an organisation’s PUT changes what it sees, and nothing another organisation sees', async (t) => {
    const hijack = await put(b.keys.procurement, { brand: 'Hijacked', implantable: false });
    t.equal(hijack.statusCode, 200, hijack.body);
    t.match(hijack.json(), { brand: 'Hijacked', implantable: false, model: 'S3', manufacturer: 'Acme', organisationValues: ['brand', 'implantable'] }, 'model and manufacturer are not wiped: they fall back to the national values');

    t.match((await get(a.keys.scanner)).json(), { brand: 'Hip Stem X', implantable: true, organisationValues: [] }, 'A sees the national record');
    t.match((await get(mhra)).json(), { brand: 'Hip Stem X', implantable: true }, 'so does the national key');

    const inA = await scan(app, a.keys.scanner, await newProcedure(app, a.keys.scanner, 7101), { barcode: `01${GTIN}10LOT121SER-A1` });
    t.equal(inA.statusCode, 201);
    t.notOk(warningCodes(inA).includes('NOT_IMPLANTABLE'), 'A’s scanners are not told the implant is not one');
    const inB = await scan(app, b.keys.scanner, await newProcedure(app, b.keys.scanner, 7102), { barcode: `01${GTIN}10LOT121SER-B1` });
    t.ok(warningCodes(inB).includes('NOT_IMPLANTABLE'), 'B’s own value applies to B’s scans');
  });

  t.test('PATCH changes only the fields sent; null gives a field back to the national record', async (t) => {
    const model = await patch(b.keys.procurement, { model: 'S3-B' });
    t.match(model.json(), { brand: 'Hijacked', model: 'S3-B', implantable: false, organisationValues: ['brand', 'model', 'implantable'] });
    const back = await patch(b.keys.procurement, { brand: null, implantable: null });
    t.match(back.json(), { brand: 'Hip Stem X', model: 'S3-B', implantable: true, organisationValues: ['model'] });
    const flags = await patch(b.keys.procurement, { productionIdentifiers: { serialNumber: false } });
    t.match(flags.json().productionIdentifiers, { lotNumber: true, serialNumber: false }, 'one flag of its own, the others national');

    const nationalPatch = await patch(mhra, { description: 'Cementless femoral stem' });
    t.match(nationalPatch.json(), { brand: 'Hip Stem X', model: 'S3', manufacturer: 'Acme', description: 'Cementless femoral stem', implantable: true }, 'a national PATCH keeps the rest of the record');
    t.equal((await get(b.keys.scanner)).json().description, 'Cementless femoral stem', 'B sees the national change where it has no value of its own');

    const refused = await patch(b.keys.procurement, { brand: '' });
    t.equal(refused.statusCode, 422);
    const unknownField = await patch(b.keys.procurement, { source: 'gudid-import' });
    t.equal(unknownField.statusCode, 422, 'only the product’s facts can be sent');
    t.equal((await patch(b.keys.scanner, { brand: 'x' })).statusCode, 403, 'procurement keys only');
  });

  t.test('PUT replaces only what the writer’s own layer holds', async (t) => {
    const replaced = await put(mhra, { brand: 'Hip Stem X2', implantable: true });
    t.match(replaced.json(), { brand: 'Hip Stem X2', model: null, manufacturer: null, description: null }, 'the national writer replaces the national record');
    const inB = (await get(b.keys.procurement)).json();
    t.match(inB, { brand: 'Hip Stem X2', model: 'S3-B', organisationValues: ['model', 'productionIdentifiers'] }, 'B’s own values stand');
    const bReplaced = await put(b.keys.procurement, { manufacturer: 'Acme UK' });
    t.match(bReplaced.json(), { brand: 'Hip Stem X2', model: null, manufacturer: 'Acme UK', organisationValues: ['manufacturer'] }, 'B’s PUT replaces B’s values only');
  });

  t.test('every change is kept with before and after; each organisation reads the national history and its own', async (t) => {
    interface Change {
      id: string;
      layer: string;
      how: string;
    }
    const history = async (key: string) => (await app.request({ method: 'GET', url: `/v1/products/${GTIN}/history?limit=50`, key })).json<{ changes: Change[] }>();
    const inB = await history(b.keys.procurement);
    const bOwn = inB.changes.filter((c) => c.layer === 'organisation');
    t.ok(bOwn.length >= 4, 'B’s own changes');
    t.match(bOwn.at(-1), { how: 'put', before: null, after: { brand: 'Hijacked', implantable: false, model: null } }, 'the first: from nothing');
    t.match(bOwn[0], { how: 'put', before: { model: 'S3-B' }, after: { manufacturer: 'Acme UK', model: null } }, 'the newest, with what it replaced');
    const inA = await history(a.keys.procurement);
    t.notOk(inA.changes.some((c) => c.layer === 'organisation'), 'A never sees B’s changes');
    t.match(inA.changes.find((c) => c.how === 'patch'), { layer: 'national', before: { description: null }, after: { description: 'Cementless femoral stem' } });
    const nationalView = await history(mhra);
    t.equal(nationalView.changes.length, inA.changes.length, 'the national key sees the national record’s history');
    const page = (await app.request({ method: 'GET', url: `/v1/products/${GTIN}/history?limit=2`, key: b.keys.procurement })).json();
    t.equal(page.changes.length, 2);
    const next = (await app.request({ method: 'GET', url: `/v1/products/${GTIN}/history?limit=2&before=${page.next}`, key: b.keys.procurement })).json();
    t.ok(BigInt(next.changes[0].id) < BigInt(page.changes[1].id), 'older changes on the next page');

    const audit = await app.db.selectFrom('audit_events').select(['action', 'detail', 'organisation_id']).where('action', 'in', ['product.put', 'product.patch']).orderBy('id').execute();
    t.match(audit[1], { action: 'product.put', organisation_id: b.id, detail: { layer: 'organisation', before: null, after: { brand: 'Hijacked' } } }, 'the audit row has the values before and after');
    await t.rejects(app.db.updateTable('product_changes').set({ di: '0' }).execute(), /append-only/, 'the history cannot be rewritten');

    const same = await put(b.keys.procurement, { manufacturer: 'Acme UK' });
    t.equal(same.statusCode, 200);
    t.equal((await history(b.keys.procurement)).changes.length, inB.changes.length, 'a PUT of the values already held records no change');
  });

  t.test('the GUDID import writes the importer’s layer; unchanged rows are not changes', async (t) => {
    const csv = `PrimaryDI|brandName|companyName|implantable\n${GTIN_B}|Cup|Acme|Y\n`;
    const run = (key: string, body = csv) => app.request({ method: 'POST', url: '/v1/products/import', key, headers: { 'content-type': 'text/csv' }, payload: body });
    const first = await run(mhra);
    t.match(first.json(), { accepted: 1, changed: 1 });
    t.match((await get(a.keys.scanner, GTIN_B)).json(), { brand: 'Cup', source: 'gudid-import', organisationValues: [] }, 'a national import is what everyone sees');
    t.match((await run(mhra)).json(), { accepted: 1, changed: 0 }, 'the same file again changes nothing');
    const local = await run(a.keys.procurement, `PrimaryDI|brandName|implantable\n${GTIN_B}|Cup (local)|N\n`);
    t.match(local.json(), { accepted: 1, changed: 1 });
    t.match((await get(a.keys.scanner, GTIN_B)).json(), { brand: 'Cup (local)', manufacturer: 'Acme', implantable: false, organisationValues: ['brand', 'implantable'] });
    t.match((await get(b.keys.scanner, GTIN_B)).json(), { brand: 'Cup', implantable: true, organisationValues: [] }, 'another organisation’s import is not B’s');
  });

  t.test('every reader shows the organisation’s own view', async (t) => {
    const procedureId = await newProcedure(app, b.keys.scanner, 7201);
    await scan(app, b.keys.scanner, procedureId, { barcode: `01${GTIN}10LOT221SER-B2` });
    const detail = (await app.request({ method: 'GET', url: `/v1/procedures/${procedureId}`, key: b.keys.scanner })).json();
    t.match(detail.items[0].product, { brand: 'Hip Stem X2', manufacturer: 'Acme UK' }, 'the procedure shows B’s manufacturer');
    const aProcedure = await newProcedure(app, a.keys.scanner, 7202);
    await scan(app, a.keys.scanner, aProcedure, { barcode: `01${GTIN}10LOT221SER-A2` });
    const aDetail = (await app.request({ method: 'GET', url: `/v1/procedures/${aProcedure}`, key: a.keys.scanner })).json();
    t.match(aDetail.items[0].product, { brand: 'Hip Stem X2', manufacturer: null }, 'and A’s shows the national record');
  });
});
