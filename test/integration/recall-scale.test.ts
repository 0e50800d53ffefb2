/**
 * Recalls of national size, on a real Postgres: a notice listing 100,000 serials
 * is accepted through the API and stored as rows; a scan of a listed serial is
 * PRODUCT_RECALLED, of an unlisted one not; the recall list is paged and
 * summarises each scope (how many lots and serials) instead of sending its lists,
 * which are read page by page; the caps answer 422 with a pointer; the recall
 * list answers in a bounded number of queries whatever the page holds; and a
 * scope with more lots than a recall shows finds every weaker match as a short one does.
 */
import type { KyselyPlugin } from 'kysely';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { GS, GTIN, GTIN_B, newProcedure, scan } from '../helpers/theatre.js';

const NOW = '2026-11-21T09:00:00Z';
const serialOf = (k: number) => `SN${String(k).padStart(7, '0')}`;

interface RecallOut {
  id: string;
  reference: string;
  scope: Array<Record<string, unknown>>;
}

/** Every page of a paged list, following nextCursor. */
async function walk<T>(app: TestApp, key: string, url: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await app.request({ method: 'GET', url: `${url}${url.includes('?') ? '&' : '?'}${cursor === null ? '' : `cursor=${encodeURIComponent(cursor)}`}`, key });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    const page = res.json<{ items: T[]; nextCursor: string | null }>();
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null);
  return { items, pages };
}

t.test('a national recall of 100,000 serials', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const nationalKey = (await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'MHRA', role: 'procurement', national: true } })).json<{ key: string }>().key;
  const serials = Array.from({ length: 100_000 }, (_, k) => serialOf(k));

  // Implanted before the notice: one listed serial, one not.
  const before = await newProcedure(app, org.keys.scanner, 1);
  const listedItem = (await scan(app, org.keys.scanner, before, { barcode: `01${GTIN}10LOT-7${GS}21${serialOf(54_321)}` })).json<{ item: { id: string } }>().item.id;
  await scan(app, org.keys.scanner, before, { barcode: `01${GTIN}10LOT-7${GS}21SN9999999` });

  const created = await app.request({
    method: 'POST',
    url: '/v1/recalls',
    key: nationalKey,
    payload: { reference: 'FSN-CARDIAC-1', title: 'Lead insulation breach', manufacturer: 'Example Cardiac', scope: [{ gtin: GTIN, serials }] },
  });
  t.equal(created.statusCode, 201, created.body.slice(0, 500));
  const recall = created.json<RecallOut & { counts: { items: number; byMatch: Record<string, number> } }>();
  t.match(recall, { national: true, scope: [{ ordinal: 0, gtin: GTIN, lotCount: 0, serialCount: 100_000 }], counts: { items: 1, byMatch: { udi: 1 } } });
  t.notOk('serials' in (recall.scope[0] ?? {}), 'the answer counts the serials, it does not send them back');
  t.ok(created.body.length < 5_000, `the answer is small (${created.body.length} bytes)`);
  const stored = await app.db.selectFrom('recall_scope_members').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(Number(stored.n), 100_000, 'one row per serial');

  t.test('a scan of a listed serial is PRODUCT_RECALLED; of an unlisted one, not', async (t) => {
    const proc = await newProcedure(app, org.keys.scanner, 2);
    const listed = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOT-9${GS}21${serialOf(99_999)}` });
    t.equal(listed.statusCode, 201, listed.body);
    t.match(listed.json().warnings, [{ code: 'PRODUCT_RECALLED', severity: 'critical', message: /FSN-CARDIAC-1/ }]);
    const first = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOT-9${GS}21${serialOf(0)}` });
    t.match(first.json().warnings, [{ code: 'PRODUCT_RECALLED' }], 'the first serial of the list too');
    for (const serial of ['SN0100000', 'SN9999998', 'sn0000001', 'SN000001']) {
      const unlisted = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOT-9${GS}21${serial}` });
      t.equal(unlisted.statusCode, 201);
      t.notOk(
        unlisted.json().warnings.some((w: { code: string }) => w.code === 'PRODUCT_RECALLED'),
        `${serial} is not listed (byte for byte), so not recalled`,
      );
    }
    const noSerial = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOT-9` });
    t.match(noSerial.json().warnings, [{ code: 'PRODUCT_RECALLED' }], 'a unit whose serial was not captured cannot be ruled out');
    const otherProduct = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN_B}10LOT-9${GS}21${serialOf(5)}` });
    t.notOk(otherProduct.json().warnings.some((w: { code: string }) => w.code === 'PRODUCT_RECALLED'), 'the same serial of another product is not');
  });

  t.test('the affected list joins the rows: the listed implant is there, the unlisted one not', async (t) => {
    const { items } = await walk<{ itemId: string; match: string; item: { serialNumber: string | null } }>(app, org.keys.procurement, `/v1/recalls/${recall.id}/patients?limit=1000`);
    t.ok(items.some((i) => i.itemId === listedItem && i.match === 'udi'), 'listed serial, by its serial');
    t.notOk(items.some((i) => i.item.serialNumber === 'SN9999999'), 'unlisted serial');
    const csv = await app.request({ method: 'GET', url: `/v1/recalls/${recall.id}/patients?format=csv`, key: org.keys.procurement });
    t.equal(csv.statusCode, 200);
    t.equal(csv.body.trimEnd().split('\n').length - 1, items.length, 'the CSV lists the same items');
    const detail = await app.request({ method: 'GET', url: `/v1/recalls/${recall.id}`, key: org.keys.procurement });
    t.equal(detail.json().counts.items, items.length, 'and the counts agree');
  });

  t.test("the scope's serials, page by page, in byte order", async (t) => {
    const url = `/v1/recalls/${recall.id}/scopes/0/serials?limit=10000`;
    const { items, pages } = await walk<string>(app, org.keys.procurement, url);
    t.equal(pages, 11, 'ten full pages, then an empty one');
    t.same(items, serials, 'every serial once, in order');
    const lots = await app.request({ method: 'GET', url: `/v1/recalls/${recall.id}/scopes/0/lots`, key: org.keys.procurement });
    t.same(lots.json(), { items: [], nextCursor: null }, 'no lot list');
    const noScope = await app.request({ method: 'GET', url: `/v1/recalls/${recall.id}/scopes/1/serials`, key: org.keys.procurement });
    t.equal(noScope.statusCode, 404);
    const tooMany = await app.request({ method: 'GET', url: `/v1/recalls/${recall.id}/scopes/0/serials?limit=10001`, key: org.keys.procurement });
    t.equal(tooMany.statusCode, 422);
    t.match(tooMany.json().errors, [{ in: 'querystring', pointer: '/limit' }]);
  });

  t.test('GET /v1/recalls is paged and summarises scopes', async (t) => {
    for (let k = 1; k <= 5; k++) {
      const res = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: `FSN-SMALL-${k}`, title: 'Small', scope: [{ gtin: GTIN, lots: [`LOT-${k}`, `LOT-${k}0`] }] } });
      t.equal(res.statusCode, 201, res.body);
    }
    const first = await app.request({ method: 'GET', url: '/v1/recalls?limit=2', key: org.keys.procurement });
    t.equal(first.statusCode, 200);
    t.equal(first.json().items.length, 2);
    t.type(first.json().nextCursor, 'string');
    const { items, pages } = await walk<RecallOut>(app, org.keys.procurement, '/v1/recalls?limit=2');
    t.equal(pages, 4, 'six recalls, two a page (then an empty one, as every list here ends)');
    t.same(
      items.map((r) => r.reference),
      ['FSN-SMALL-5', 'FSN-SMALL-4', 'FSN-SMALL-3', 'FSN-SMALL-2', 'FSN-SMALL-1', 'FSN-CARDIAC-1'],
      'newest first, each once',
    );
    const big = items.find((r) => r.reference === 'FSN-CARDIAC-1');
    t.match(big?.scope, [{ ordinal: 0, gtin: GTIN, serialCount: 100_000, lotCount: 0 }]);
    t.ok(items.every((r) => r.scope.every((s) => !('serials' in s) && !('lots' in s))), 'no list is sent with the recall list');
    const whole = await app.request({ method: 'GET', url: '/v1/recalls', key: org.keys.procurement });
    t.ok(whole.body.length < 20_000, `the list of six recalls, one of them of 100,000 serials, is small (${whole.body.length} bytes)`);
    t.equal(whole.json().nextCursor, null, 'the default page holds them all');

    const unknown = await app.request({ method: 'GET', url: '/v1/recalls?cursor=00000000-0000-4000-8000-000000000000', key: org.keys.procurement });
    t.equal(unknown.statusCode, 400);
    t.equal(unknown.json().code, 'CURSOR_INVALID');
    const other = await createOrganisationWithKeys(app, 'RH8');
    const theirs = await app.request({ method: 'GET', url: `/v1/recalls?cursor=${items[0]?.id ?? ''}`, key: other.keys.procurement });
    t.equal(theirs.statusCode, 400, "another organisation's recall is no cursor of this list");
    const theirList = await app.request({ method: 'GET', url: '/v1/recalls', key: other.keys.procurement });
    t.same(theirList.json().items.map((r: RecallOut) => r.reference), ['FSN-CARDIAC-1'], 'it sees the national recall only');
    const theirMembers = await app.request({ method: 'GET', url: `/v1/recalls/${items[0]?.id ?? ''}/scopes/0/lots`, key: other.keys.procurement });
    t.equal(theirMembers.statusCode, 404, "nor another organisation's lists");
    const bad = await app.request({ method: 'GET', url: '/v1/recalls?limit=101', key: org.keys.procurement });
    t.equal(bad.statusCode, 422);
  });
});

t.test('caps: 422 with a pointer at the list that crosses them; 413 past the body limit', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const preview = (scope: unknown[]) => app.request({ method: 'POST', url: '/v1/recalls/preview', key: org.keys.procurement, payload: { reference: 'X', title: 'x', scope } });
  const many = (n: number, prefix = 'S') => Array.from({ length: n }, (_, k) => `${prefix}${k}`);

  const one = await preview([{ gtin: GTIN, serials: many(200_001) }]);
  t.equal(one.statusCode, 422, one.body.slice(0, 300));
  t.match(one.json().errors, [{ in: 'body', pointer: '/scope/0/serials' }]);

  const split = await preview([{ gtin: GTIN, lots: many(50_000, 'L') }, { gtin: GTIN_B, serials: many(150_001) }]);
  t.equal(split.statusCode, 422, split.body.slice(0, 300));
  t.match(split.json().errors, [{ in: 'body', pointer: '/scope/1/serials', message: /at most 200,000 lots and serials in all/ }]);

  const atTheCap = await preview([{ gtin: GTIN, lots: many(50_000, 'L') }, { gtin: GTIN_B, serials: [...many(150_000), 'S0'] }]);
  t.equal(atTheCap.statusCode, 200, 'exactly 200,000 distinct values (one listed twice) are accepted');

  const huge = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: 'X', title: 'x', scope: [{ gtin: GTIN, serials: many(400_000, 'SERIAL-NUMBER-') }] } });
  t.equal(huge.statusCode, 413, 'a body over 8 MiB');
  t.equal(huge.json().code, 'PAYLOAD_TOO_LARGE');
  const other = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, payload: { odsCode: 'AAA', name: 'x'.repeat(1_100_000) } });
  t.equal(other.statusCode, 413, 'other routes keep the 1 MiB limit');
  const recalls = await app.db.selectFrom('recalls').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(Number(recalls.n), 0, 'nothing stored (a preview is rolled back)');
});

t.test('the recall list answers in the same number of queries for 2 recalls as for 8', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const proc = await newProcedure(app, org.keys.scanner, 1);
  await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOT-1${GS}21S-1` });
  // The same database through a second app whose queries are counted.
  let queries = 0;
  const counter: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: (args) => {
      queries++;
      return Promise.resolve(args.result);
    },
  };
  const counted = await buildTestApp(t, { db: app.db.withPlugin(counter), clock: fixedClock(NOW) });
  const create = async (k: number) => {
    const scope = k % 2 === 0 ? [{ gtin: GTIN, lots: ['LOT-1'] }, { gtin: GTIN_B, allLots: true }] : [{ gtin: GTIN, serials: ['S-1', `S-${k}`] }];
    const res = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: `FSN-${k}`, title: 'n+1', scope } });
    t.equal(res.statusCode, 201, res.body);
  };
  const listQueries = async () => {
    const res = await counted.request({ method: 'GET', url: '/v1/recalls', key: org.keys.procurement }); // the key lookup is cached after the first
    t.equal(res.statusCode, 200, res.body);
    queries = 0;
    const again = await counted.request({ method: 'GET', url: '/v1/recalls', key: org.keys.procurement });
    t.ok((again.json().items as Array<{ counts: { items: number } }>).every((r) => r.counts.items === 1), 'each recall counted');
    return { queries, recalls: again.json().items.length as number };
  };
  for (const k of [1, 2]) await create(k);
  const two = await listQueries();
  for (const k of [3, 4, 5, 6, 7, 8]) await create(k);
  const eight = await listQueries();
  t.same([two.recalls, eight.recalls], [2, 8]);
  t.equal(eight.queries, two.queries, `${two.queries} queries for 2 recalls, ${eight.queries} for 8`);
});

t.test('a scope with more lots than a recall shows finds every weaker match, in the list and at scan', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const key = org.keys.scanner;
  const proc = await newProcedure(app, key, 1);
  const itemOf = async (body: Record<string, unknown>) => {
    const res = await scan(app, key, proc, body);
    if (res.statusCode !== 201) throw new Error(res.body);
    return res.json<{ item: { id: string } }>().item.id;
  };
  // As in recall-weak-matches.test.ts, where the recall lists one lot.
  const exact = await itemOf({ barcode: `]d201${GTIN}17301231` + `10LOT1${GS}21S-1` });
  const runOn = await itemOf({ barcode: `]d201${GTIN}17301231` + `10LOT121SER1` });
  const typed = await itemOf({ manual: { gtin: GTIN, lotNumber: 'lot1' } });
  const confused = await itemOf({ manual: { gtin: GTIN, lotNumber: 'L0T1' } });
  await itemOf({ barcode: `]d201${GTIN}17301231` + `10L0T1` });
  const lotOnly = await itemOf({ barcode: `]d217301231` + `10LOT1`, scannerId: 'lone' });
  await itemOf({ barcode: `]d201${GTIN}17301231` + `10LOT2` });
  await itemOf({ barcode: `]d201${GTIN}17301231` + `10LOT1234` });
  await itemOf({ barcode: `]d201${GTIN_B}17301231` + `10LOT1` });

  const lots = ['LOT1', ...Array.from({ length: 300 }, (_, k) => `FILL-${k}`)];
  const created = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: 'FSN-W301', title: '301 lots', scope: [{ gtin: GTIN, lots }] } });
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), { scope: [{ lotCount: 301 }], counts: { byMatch: { lot: 1, 'lot-run-on': 1, 'lot-similar': 2, 'lot-without-product': 1 } } });
  t.notOk('lots' in created.json().scope[0], 'a long list is not sent with the recall');
  const id = created.json<{ id: string }>().id;
  const rows = (await app.request({ method: 'GET', url: `/v1/recalls/${id}/patients`, key: org.keys.procurement })).json<{ items: Array<{ itemId: string; match: string }> }>().items;
  t.same(Object.fromEntries(rows.map((r) => [r.itemId, r.match])), { [exact]: 'lot', [runOn]: 'lot-run-on', [typed]: 'lot-similar', [confused]: 'lot-similar', [lotOnly]: 'lot-without-product' });
  const csv = await app.request({ method: 'GET', url: `/v1/recalls/${id}/patients?format=csv`, key: org.keys.procurement });
  t.equal(csv.body.trim().split('\n').length, 6, 'the CSV lists the same five');
  const notUsed = await app.request({ method: 'GET', url: `/v1/recalls/${id}/not-used`, key: org.keys.procurement });
  t.equal(notUsed.statusCode, 200);

  const p2 = await newProcedure(app, key, 2);
  const confusedAgain = await scan(app, key, p2, { manual: { gtin: GTIN, lotNumber: 'l0t1', expirationDate: '2030-12-31' } });
  t.match(confusedAgain.json().warnings, [{ code: 'PRODUCT_RECALLED', severity: 'critical', message: /Possibly subject to recall FSN-W301.*look-alike characters/ }]);
  const runOnAgain = await scan(app, key, p2, { barcode: `]d201${GTIN}17301231` + `10LOT121SER2` });
  t.match(runOnAgain.json().warnings, [{ code: 'PRODUCT_RECALLED', severity: 'critical', message: /runs on past a listed lot/ }]);
  const lone = await scan(app, key, p2, { barcode: `]d217301231` + `10FILL-299`, scannerId: 'lone-2' });
  t.match(lone.json().warnings, [{ code: 'PRODUCT_RECALLED', severity: 'warning', message: /without its product label/ }]);
  const filler = await scan(app, key, p2, { barcode: `]d201${GTIN}17301231` + `10FILL-150` });
  t.match(filler.json().warnings, [{ code: 'PRODUCT_RECALLED', severity: 'critical' }], 'any listed lot');
  const other = await scan(app, key, p2, { barcode: `]d201${GTIN}17301231` + `10FILL-300` });
  t.notOk(other.json().warnings.some((w: { code: string }) => w.code === 'PRODUCT_RECALLED'), 'an unlisted lot is not');
});

t.test('scopes that differ only in their lists match as one scope of all their values, and only those', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const key = org.keys.scanner;
  const proc = await newProcedure(app, key, 1);
  const items: Record<string, string> = {};
  const add = async (name: string, barcode: string) => {
    const res = await scan(app, key, proc, { barcode });
    if (res.statusCode !== 201) throw new Error(res.body);
    items[res.json<{ item: { id: string } }>().item.id] = name;
  };
  await add('lot A', `01${GTIN}17300630` + `10LOT-A${GS}21X-1`);
  await add('lot C', `01${GTIN}17300630` + `10LOT-C${GS}21X-2`);
  await add('serial 7', `01${GTIN}17300630` + `10LOT-Z${GS}21S-7`);
  await add('serial 250', `01${GTIN}17300630` + `10LOT-Z${GS}21S-250`);
  await add('neither', `01${GTIN}17300630` + `10LOT-Z${GS}21S-999`);
  await add('no lot, no serial', `01${GTIN}17300630`);
  await add('in the window', `01${GTIN}17301015` + `10LOT-W${GS}21W-1`);
  await add('run-on', `01${GTIN}17300630` + `10LOT-C21SER1`);
  const listOf = async (scope: unknown[], reference: string) => {
    const created = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference, title: 'alike', scope } });
    t.equal(created.statusCode, 201, created.body);
    const rows = (await app.request({ method: 'GET', url: `/v1/recalls/${created.json<{ id: string }>().id}/patients`, key: org.keys.procurement })).json<{ items: Array<{ itemId: string; match: string }> }>().items;
    return Object.fromEntries(rows.map((r) => [items[r.itemId] ?? r.itemId, r.match])) as Record<string, string>;
  };
  const serialsA = Array.from({ length: 150 }, (_, k) => `S-${k}`);
  const serialsB = Array.from({ length: 150 }, (_, k) => `S-${150 + k}`);
  const split = await listOf(
    [
      { gtin: GTIN, lots: ['LOT-A'] },
      { gtin: GTIN, serials: serialsA },
      { gtin: GTIN, lots: ['LOT-C'], serials: serialsB },
    ],
    'FSN-SPLIT',
  );
  const whole = await listOf([{ gtin: GTIN, lots: ['LOT-A', 'LOT-C'], serials: [...serialsA, ...serialsB] }], 'FSN-WHOLE');
  t.same(split, whole, 'three scopes of one product answer as the one scope of all their lots and serials');
  t.same(whole, { 'lot A': 'lot', 'lot C': 'lot', 'serial 7': 'udi', 'serial 250': 'udi', 'no lot, no serial': 'gtin-only', 'run-on': 'gtin-only' });

  const windowed = await listOf(
    [
      { gtin: GTIN, expiryFrom: '2030-10-01', expiryTo: '2030-10-31' },
      { gtin: GTIN, expiryFrom: '2030-10-01', expiryTo: '2030-10-31', lots: ['LOT-Q'] },
    ],
    'FSN-WINDOW',
  );
  t.same(windowed, { 'in the window': 'lot' }, 'a scope with no list is not merged into one with a list (it would narrow it to LOT-Q)');

  const proc2 = await newProcedure(app, key, 2);
  const serial = await scan(app, key, proc2, { barcode: `01${GTIN}17300630` + `10LOT-Z${GS}21S-251` });
  t.same(
    (serial.json<{ warnings: Array<{ code: string; message: string }> }>().warnings.filter((w) => w.code === 'PRODUCT_RECALLED')).map((w) => /FSN-[A-Z]+/.exec(w.message)?.[0]).sort(),
    ['FSN-SPLIT', 'FSN-WHOLE'],
    'at scan time too',
  );
});
