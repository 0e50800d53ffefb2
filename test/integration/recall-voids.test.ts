/**
 * A patient cannot be taken off a recall unnoticed: a void needs a reason in
 * words, and an item voided after the recall was entered stays on its list,
 * marked voided and by whom, for the safety officer to review.
 */
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { GS, GTIN, newProcedure, scan } from '../helpers/theatre.js';

t.test('voids and recalls', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-11-21T09:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const key = org.keys.scanner;
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: org.keys.procurement, payload: { brand: 'Stem', manufacturer: 'Acme', implantable: true } });

  // Voided before the recall existed: an ordinary correction, not on the list.
  const early = await newProcedure(app, key, 1);
  const earlyScan = await scan(app, key, early, { barcode: `01${GTIN}10LOTV${GS}21EARLY` });
  t.equal((await app.request({ method: 'POST', url: `/v1/scans/${earlyScan.json().scan.id}/void`, key, payload: { reason: 'Scanned the wrong box' } })).statusCode, 200);

  const proc = await newProcedure(app, key, 2);
  const implanted = await scan(app, key, proc, { barcode: `01${GTIN}10LOTV${GS}21LATE` });
  const itemId = implanted.json().item.id as string;
  await app.request({ method: 'POST', url: `/v1/procedures/${proc}/complete`, key });

  const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: 'FSN-V', title: 'Lot V', scope: [{ gtin: GTIN, lots: ['LOTV'] }] } });
  const recallId = recall.json().id as string;
  const list = async () => (await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients`, key: org.keys.procurement })).json().items as Array<{ itemId: string; voided: unknown }>;
  t.same((await list()).map((i) => i.itemId), [itemId], 'the item voided before the recall is not listed');

  t.test('a void needs a reason in words', async (t) => {
    for (const reason of ['.', '\u200b', ' \u200b\u200c ', '!!']) {
      const res = await app.request({ method: 'POST', url: `/v1/scans/${implanted.json().scan.id}/void`, key, payload: { reason } });
      t.equal(res.statusCode, 422, JSON.stringify(reason));
      t.match(res.json().errors, [{ pointer: '/reason' }]);
    }
  });

  t.test('voided after the recall was entered: still listed, marked, by whom; counted; in the CSV; reviewable', async (t) => {
    const res = await app.request({ method: 'POST', url: `/v1/scans/${implanted.json().scan.id}/void`, key, payload: { reason: 'Recorded against the wrong patient' } });
    t.equal(res.statusCode, 200, res.body);
    const rows = await list();
    t.equal(rows.length, 1);
    t.match(rows[0], { itemId, voided: { at: String, by: 'RRK scanner' } });
    const detail = (await app.request({ method: 'GET', url: `/v1/recalls/${recallId}`, key: org.keys.procurement })).json();
    t.equal(detail.counts.items, 1, 'counted');
    const csv = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients?format=csv`, key: org.keys.procurement });
    t.match(csv.body, /RRK scanner/);
    const reviewed = await app.request({ method: 'PATCH', url: `/v1/recalls/${recallId}/items/${itemId}`, key: org.keys.procurement, payload: { status: 'reviewed', note: 'Void confirmed with theatre' } });
    t.equal(reviewed.statusCode, 200, reviewed.body);
    const adHoc = await app.request({ method: 'GET', url: `/v1/recalls/affected-patients?gtin=${GTIN}&lot=LOTV`, key: org.keys.procurement });
    t.same(adHoc.json().items, [], 'an ad hoc question (no recall entered) lists active items only');
  });
});
