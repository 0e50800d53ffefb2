import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { GTIN, GTIN_B, nhsNumber, openProcedure, scan } from '../helpers/theatre.js';

const NOW = new Date('2026-11-21T12:00:00Z');

interface Point {
  year: number;
  atRisk: number;
  survival: number;
  cumulativeRevisionPercent: number;
  cumulativeRevisionLower: number;
  cumulativeRevisionUpper: number;
  stdErr: number;
}

async function implant(app: TestApp, key: string, seed: number, gtin: string, serial: string, at: string) {
  const proc = await openProcedure(app, key, { patient: { nhsNumber: nhsNumber(seed) }, startedAt: at });
  if (proc.statusCode !== 201) throw new Error(proc.body);
  const res = await scan(app, key, proc.json().id, { barcode: `01${gtin}21${serial}` });
  if (res.statusCode !== 201) throw new Error(res.body);
}

async function explant(app: TestApp, key: string, seed: number, gtin: string, serial: string, at: string) {
  const proc = await openProcedure(app, key, { patient: { nhsNumber: nhsNumber(seed) }, startedAt: at });
  const res = await scan(app, key, proc.json().id, { barcode: `01${gtin}21${serial}`, action: 'explanted' });
  if (res.statusCode !== 201 || res.json().warnings.some((w: { code: string }) => w.code === 'EXPLANT_NOT_MATCHED')) throw new Error(res.body);
}

t.test('implant survival', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');
  const national = await app.request({
    method: 'POST',
    url: '/v1/api-keys',
    key: app.adminKey,
    payload: { name: 'analyst', role: 'procurement', national: true },
  });
  const nationalKey = national.json().key as string;
  // The national catalogue record: both hospitals see it.
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: nationalKey, payload: { brand: 'Hip Stem X', model: 'Size 3', manufacturer: 'Acme', implantable: true } });
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN_B}`, key: nationalKey, payload: { brand: 'Cup <Y> & Co', manufacturer: 'Acme', implantable: true } });

  // Product A: five implants six years ago; two revised, at 1.5 and 3.5 years (one of them at another hospital).
  for (let i = 0; i < 5; i++) await implant(app, org.keys.scanner, 9000 + i, GTIN, `A-${i}`, '2020-11-21T09:00:00Z');
  await explant(app, org.keys.scanner, 9000, GTIN, 'A-0', '2022-05-21T09:00:00Z');
  await explant(app, other.keys.scanner, 9001, GTIN, 'A-1', '2024-05-21T09:00:00Z');
  // Product B: two implants a year and a half ago, none revised; one at the other hospital.
  await implant(app, org.keys.scanner, 9100, GTIN_B, 'B-0', '2025-05-21T09:00:00Z');
  await implant(app, other.keys.scanner, 9101, GTIN_B, 'B-1', '2025-05-21T09:00:00Z');


  t.test('Kaplan–Meier per product, by hand', async (t) => {
    const res = await app.request({ method: 'GET', url: `/v1/outcomes/survival?groupBy=product`, key: nationalKey });
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.equal(body.population, 'national');
    t.equal(body.asOf, NOW.toISOString());
    const a = body.groups.find((g: { group: string }) => g.group === GTIN);
    t.match(a, { label: `Hip Stem X Size 3 (${GTIN})`, n: 5, revisions: 2 });
    const points = a.points as Point[];
    t.same(points.map((p) => p.year), [0, 1, 2, 3, 4, 5], 'follow-up ends just before six years: the table stops at year 5');
    t.same(points.map((p) => p.atRisk), [5, 5, 4, 4, 3, 3]);
    // S = 4/5 after the first revision, 4/5 × 3/4 after the second.
    t.same(points.map((p) => Math.round(p.survival * 1e9) / 1e9), [1, 1, 0.8, 0.8, 0.6, 0.6]);
    t.same(points.map((p) => Math.round(p.cumulativeRevisionPercent * 1e6) / 1e6), [0, 0, 20, 20, 40, 40]);
    // Greenwood: Σ d/(n(n−d)) = 1/20 + 1/12; SE = S √Σ.
    const sum = 1 / 20 + 1 / 12;
    t.ok(Math.abs(points[5]!.stdErr - 0.6 * Math.sqrt(sum)) < 1e-12, 'Greenwood standard error');
    // log(−log) interval for S = 0.6, turned into cumulative revision %.
    const se = Math.sqrt(sum) / Math.abs(Math.log(0.6));
    const lower = 0.6 ** Math.exp(1.959963984540054 * se);
    const upper = 0.6 ** Math.exp(-1.959963984540054 * se);
    t.ok(Math.abs(points[5]!.cumulativeRevisionLower - 100 * (1 - upper)) < 1e-9);
    t.ok(Math.abs(points[5]!.cumulativeRevisionUpper - 100 * (1 - lower)) < 1e-9);
    t.ok(points[5]!.cumulativeRevisionLower < 40 && points[5]!.cumulativeRevisionUpper > 40);
    const b = body.groups.find((g: { group: string }) => g.group === GTIN_B);
    t.match(b, { n: 2, revisions: 0 });
    t.same(b.points.map((p: Point) => [p.year, p.atRisk, p.survival]), [[0, 2, 1], [1, 2, 1]]);
  });

  t.test('by brand and manufacturer, and filtered by GTIN', async (t) => {
    const byBrand = (await app.request({ method: 'GET', url: `/v1/outcomes/survival?groupBy=brand`, key: nationalKey })).json();
    t.same(byBrand.groups.map((g: { label: string; n: number }) => `${g.label}:${g.n}`), ['Cup <Y> & Co:2', 'Hip Stem X:5']);
    const byMaker = (await app.request({ method: 'GET', url: `/v1/outcomes/survival?groupBy=manufacturer`, key: nationalKey })).json();
    t.same(byMaker.groups.map((g: { label: string; n: number; revisions: number }) => `${g.label}:${g.n}:${g.revisions}`), ['Acme:7:2']);
    const one = (await app.request({ method: 'GET', url: `/v1/outcomes/survival?gtin=${GTIN_B}`, key: nationalKey })).json();
    t.same(one.groups.map((g: { group: string }) => g.group), [GTIN_B]);
    const two = (await app.request({ method: 'GET', url: `/v1/outcomes/survival?gtin=${GTIN_B}&gtin=${GTIN}&horizonYears=2`, key: nationalKey })).json();
    t.same(two.groups.find((g: { group: string }) => g.group === GTIN).points.length, 3, 'horizonYears=2: years 0, 1, 2');
    const bad = await app.request({ method: 'GET', url: `/v1/outcomes/survival?gtin=123&groupBy=colour`, key: nationalKey });
    t.equal(bad.statusCode, 422);
    t.same(bad.json().errors.map((e: { pointer: string }) => e.pointer).sort(), ['/groupBy', '/gtin']);
  });

  t.test('an organisation sees the survival of its own implants; revisions elsewhere still count', async (t) => {
    const own = (await app.request({ method: 'GET', url: `/v1/outcomes/survival`, key: org.keys.procurement })).json();
    t.equal(own.population, 'RRK');
    t.match(own.groups.find((g: { group: string }) => g.group === GTIN), { n: 5, revisions: 2 }, 'the revision at RH8 counts against the RRK implant');
    t.match(own.groups.find((g: { group: string }) => g.group === GTIN_B), { n: 1 });
    const theirs = (await app.request({ method: 'GET', url: `/v1/outcomes/survival`, key: other.keys.registry })).json();
    t.same(theirs.groups.map((g: { group: string; n: number }) => `${g.group}:${g.n}`), [`${GTIN_B}:1`], 'RH8 implanted one product B only');
    t.equal((await app.request({ method: 'GET', url: `/v1/outcomes/survival`, key: org.keys.scanner })).statusCode, 403);
  });

  t.test('the plot', async (t) => {
    const res = await app.request({ method: 'GET', url: `/v1/outcomes/survival.svg?groupBy=brand`, key: nationalKey });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^image\/svg\+xml/);
    t.match(res.body, /^<svg[\s\S]*<\/svg>\s*$/);
    t.match(res.body, /Cup &lt;Y&gt; &amp; Co/, 'labels are escaped');
    t.match(res.body, /Hip Stem X/);
    t.match(res.body, /Cumulative revision/);
    t.notMatch(res.body, /<Y>/);
    const empty = await app.request({ method: 'GET', url: `/v1/outcomes/survival.svg?gtin=09506000134376`, key: nationalKey });
    t.equal(empty.statusCode, 200);
    t.match(empty.body, /No data/i);
  });
});
