/**
 * `npm run demo` on a real database, seeded once (it replays ~2,900 requests):
 * the seed (scripts/demo/seed.ts) writes what its plan says, every identifier
 * is valid, every patient has an NHS number from the test range, the recall
 * finds its patients, every rule the API enforces held (ledgers, audit), and
 * seeding again adds nothing. Then the README's quick start, run as written:
 * the commands between its walkthrough markers go to bash and curl against
 * this service (the demo's keys in their environment), and every answer the
 * README shows must be in what they printed. Last, the entry point itself.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { buildConsole } from '../../scripts/build-console.js';
import { parseBarcode } from '../../src/barcode/index.js';
import { gs1CheckDigit } from '../../src/barcode/gs1/check-digit.js';
import { nhsNumberError } from '../../src/shared/nhs-number.js';
import { issueNewDemoKeys, seedDemo } from '../../scripts/demo/seed.js';
import { PRODUCTS, RECALL, STAFF, THEATRES } from '../../scripts/demo/trust.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { runWalkthrough, shows, walkthrough, walkthroughUnavailable } from '../helpers/walkthrough.js';

// Seeding replays two years of a trust through the API: up to a minute or two on a busy two-core machine.
t.setTimeout(360_000);

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const checkDigitOk = (key: string) => gs1CheckDigit(key.slice(0, -1)) === key.slice(-1);
const DEMO = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));

/** `npm run demo` in a child process (the test runner's TypeScript loader), until it exits or, serving, answers /health. */
function runDemo(args: string[], env: Record<string, string>) {
  const clean = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'BOOTSTRAP_ADMIN_KEY', 'PORT', 'HOST', 'LOG_LEVEL']) delete clean[name];
  const child = spawn(process.execPath, [...process.execArgv, DEMO, ...args], { env: { ...clean, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

t.test('the README walkthrough is read as commands, each with the answers shown under it', async (t) => {
  const { steps } = walkthrough(await readFile(README, 'utf8'));
  t.ok(steps.length >= 8, `${steps.length} commands`);
  t.ok(steps.filter((s) => s.shown.length > 0).length >= 8, 'the answers of most are shown');
  const urls = steps.flatMap((s) => [...s.command.matchAll(/localhost:3000[^\s"']*/g)].map((m) => m[0]));
  t.same(urls.filter((u) => /\d{3}[\s%+-]*\d{3}[\s%+-]*\d{4}|nhs/i.test(u)), [], `no NHS number in any of ${urls.length} URLs`);
  t.ok(shows('{"a":1,"b":{"c":2}}', '{"a":1,…"c":2…'));
  t.notOk(shows('{"b":{"c":2},"a":1}', '{"a":1,…"c":2…'), 'the pieces must come in order');
});

t.test('the demo', async (t) => {
  const { db, url } = await createTestDatabase(t);
  const result = await seedDemo({ db });
  if (result.status !== 'seeded') throw new Error('a fresh database was not seeded');
  const { keys, plan } = result;
  const app = await buildTestApp(t, { db, bootstrap: false });
  const org = await db.selectFrom('organisations').selectAll().where('ods_code', '=', 'DEMO').executeTakeFirstOrThrow();
  const count = async (query: Promise<{ n: string | number | bigint }>) => Number((await query).n);
  const items = () => db.selectFrom('items').where('organisation_id', '=', org.id);

  t.test('what was written is what the plan says', async (t) => {
    const procedures = await db.selectFrom('procedures').select(['status']).where('organisation_id', '=', org.id).execute();
    t.equal(procedures.length, plan.counts.procedures, `${procedures.length} procedures`);
    t.ok(procedures.length >= 300, 'a few hundred');
    t.ok(procedures.every((p) => p.status === 'completed'), 'every case completed');
    t.equal(await count(db.selectFrom('patients').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', org.id).executeTakeFirstOrThrow()), plan.counts.patients);
    const inPatients = await count(
      items().select((eb) => eb.fn.countAll().as('n')).where('action', '=', 'implanted').where('status', '=', 'active').where((eb) => eb.or([eb('decision_status', 'is', null), eb('decision_status', '<>', 'not-used')])).executeTakeFirstOrThrow(),
    );
    t.equal(inPatients, plan.counts.implanted, `${inPatients} items implanted`);
    t.equal(await count(items().select((eb) => eb.fn.countAll().as('n')).where('action', '=', 'wasted').executeTakeFirstOrThrow()), plan.counts.wasted, 'opened and wasted');
    t.equal(await count(items().select((eb) => eb.fn.countAll().as('n')).where('decision_status', '=', 'not-used').executeTakeFirstOrThrow()), plan.counts.notUsed, 'put aside after a critical warning');
    t.equal(await count(items().select((eb) => eb.fn.countAll().as('n')).where('decision_status', '=', 'pending').executeTakeFirstOrThrow()), 0, 'no decision left pending');
    t.equal(await count(items().select((eb) => eb.fn.countAll().as('n')).where('status', '=', 'voided').executeTakeFirstOrThrow()), plan.counts.voided, 'scanned by mistake and voided');
    const explants = await items().select(['explant_of_item_id']).where('action', '=', 'explanted').execute();
    t.equal(explants.length, plan.counts.explanted);
    t.ok(explants.every((e) => e.explant_of_item_id !== null), 'every explant is linked to the implant it removed');
    t.equal(await count(items().select((eb) => eb.fn.countAll().as('n')).where('entry_type', '=', 'manual').executeTakeFirstOrThrow()), plan.counts.typed, 'typed in');
    t.equal(await count(db.selectFrom('product_overrides').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', org.id).executeTakeFirstOrThrow()), PRODUCTS.length, 'the catalogue, in the trust’s layer');
    const stem = await app.request({ method: 'GET', url: `/v1/products/${PRODUCTS[0]?.gtin ?? ''}`, key: keys.scanner });
    t.match(stem.json(), { brand: 'Aster', manufacturer: 'Northbridge Orthopaedics Ltd', implantable: true, productionIdentifiers: { lotNumber: true, serialNumber: true, expirationDate: true, manufacturingDate: false } });
  });

  t.test('every GTIN, GLN and GSRN has its check digit; every scan reads; every NHS number is a test number', async (t) => {
    const products = await db.selectFrom('product_overrides').select('di').where('organisation_id', '=', org.id).execute();
    t.same(products.filter((p) => !checkDigitOk(p.di)).map((p) => p.di), [], `${products.length} GTINs`);
    const places = await db.selectFrom('locations').select('gln').where('organisation_id', '=', org.id).execute();
    t.same(places.map((p) => p.gln).sort(), THEATRES.map((th) => th.gln).sort());
    t.ok(places.every((p) => checkDigitOk(p.gln)), 'GLNs');
    const staff = await db.selectFrom('staff').select('gsrn').where('organisation_id', '=', org.id).execute();
    t.same(staff.map((s) => s.gsrn).sort(), STAFF.map((s) => s.gsrn).sort());
    t.ok(staff.every((s) => s.gsrn !== null && checkDigitOk(s.gsrn)), 'GSRNs');
    const scans = await db.selectFrom('scans').select(['raw', 'scanned_at']).where('organisation_id', '=', org.id).where('raw', 'is not', null).execute();
    t.same(scans.filter((s) => !parseBarcode(s.raw ?? '', { today: s.scanned_at }).valid).map((s) => s.raw), [], `${scans.length} scans read`);
    const gtins = new Set(PRODUCTS.map((p) => p.gtin));
    t.ok(scans.every((s) => gtins.has(parseBarcode(s.raw ?? '', { today: s.scanned_at }).gtin ?? '')), 'every label is of a catalogued product');
    const patients = await db.selectFrom('patients').select('nhs_number').where('organisation_id', '=', org.id).execute();
    t.same(patients.filter((p) => !/^999\d{7}$/.test(p.nhs_number) || nhsNumberError(p.nhs_number) !== undefined).map((p) => p.nhs_number), [], `${patients.length} patients, all 999 000 0000 – 999 999 9999 and modulus-11 valid`);
  });

  t.test('the recall: its patients, the one revised, the first contacts, the unit caught on the shelf', async (t) => {
    const list = await app.request({ method: 'GET', url: '/v1/recalls', key: keys.procurement });
    t.equal(list.statusCode, 200);
    const recalls = list.json<{ items: Array<{ id: string; reference: string; status: string; counts: Record<string, unknown> }> }>().items;
    t.equal(recalls.length, 1);
    t.match(recalls[0], {
      id: result.recall.id,
      reference: RECALL.reference,
      status: 'active',
      counts: { items: plan.counts.recallPatients, patients: plan.counts.recallPatients, explanted: 1, notUsed: 1, byStatus: { identified: plan.counts.recallPatients - 4, contacted: 2, reviewed: 1, explanted: 1 } },
    });
    t.ok(plan.counts.recallPatients >= 8, `${plan.counts.recallPatients} patients`);
    const patients = await app.request({ method: 'GET', url: `/v1/recalls/${result.recall.id}/patients?limit=100`, key: keys.procurement });
    const rows = patients.json<{ items: Array<{ patient: { nhsNumber: string }; item: { lotNumber: string; explantedAt: string | null }; procedure: { organisation: string } }> }>().items;
    t.equal(rows.length, plan.counts.recallPatients);
    t.ok(rows.every((r) => r.item.lotNumber === RECALL.lot && r.procedure.organisation === 'DEMO' && r.patient.nhsNumber.startsWith('999')));
    t.equal(rows.filter((r) => r.item.explantedAt !== null).length, 1, 'one patient had the head exchanged before the notice');
    const notUsed = await app.request({ method: 'GET', url: `/v1/recalls/${result.recall.id}/not-used`, key: keys.procurement });
    t.match(notUsed.json(), { items: [{ disposition: 'quarantined', item: { lotNumber: RECALL.lot } }] });
  });

  t.test('the rules held: every scan and case is in the audit trail, every key is the right one, the set-up key is revoked', async (t) => {
    const scans = await count(db.selectFrom('scans').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', org.id).where('kind', '=', 'product').executeTakeFirstOrThrow());
    const audited = await count(db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', org.id).where('action', '=', 'scan.record').executeTakeFirstOrThrow());
    t.equal(audited, scans, `${scans} scans, each audited`);
    t.equal(await count(db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', org.id).where('action', '=', 'procedure.create').executeTakeFirstOrThrow()), plan.counts.procedures);
    for (const [role, key] of Object.entries(keys)) {
      const me = await app.request({ method: 'GET', url: '/v1/me', key });
      t.match(me.json(), { role, organisation: 'DEMO', national: false }, `the ${role} key`);
    }
    const national = await db.selectFrom('api_keys').select(['revoked_at']).where('national', '=', true).execute();
    t.ok(national.length === 1 && national[0]?.revoked_at !== null, 'the one-off national key the seed set up with is revoked');
    const survival = await app.request({ method: 'GET', url: '/v1/outcomes/survival?groupBy=brand', key: keys.registry });
    t.equal(survival.statusCode, 200);
    t.ok(survival.json<{ groups: Array<{ revisions: number }> }>().groups.some((g) => g.revisions > 0), 'revisions show in implant survival');
    const feed = await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR&limit=5', key: keys.registry });
    t.equal(feed.statusCode, 200, 'the NJR feed serves the demo');
  });

  const unavailable = walkthroughUnavailable();
  t.test('every command of the README walkthrough works, and answers what the README shows', { skip: unavailable !== undefined && process.env.CI !== 'true' ? unavailable : false }, async (t) => {
    const { steps, text } = walkthrough(await readFile(README, 'utf8'));
    const consoleDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-readme-console-'));
    t.teardown(() => rm(consoleDir, { recursive: true, force: true }));
    await buildConsole(consoleDir);
    const served = await buildTestApp(t, { db, bootstrap: false, env: { CONSOLE_DIR: consoleDir } });
    await served.app.listen({ port: 0, host: '127.0.0.1' });
    const address = served.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    const here = `127.0.0.1:${address.port}`;
    const outputs = await runWalkthrough(steps, here, { ADMIN_KEY: keys.admin, SCANNER_KEY: keys.scanner, PROCUREMENT_KEY: keys.procurement, REGISTRY_KEY: keys.registry });
    t.equal(outputs.length, steps.length, 'every command ran');
    steps.forEach((step, i) => {
      for (const shown of step.shown) t.ok(shows(outputs[i] ?? '', shown), `step ${i + 1} shows ${shown.slice(0, 70)}`, { command: step.command, output: (outputs[i] ?? '').slice(0, 3000) });
    });
    // The console pages the walkthrough sends the reader to.
    const pages = [...text.matchAll(/<http:\/\/127\.0\.0\.1:3000(\/console\/[a-z]*)>/g)].map((m) => m[1] as string);
    t.ok(pages.length >= 2, pages.join(', '));
    for (const page of pages) {
      const res = await fetch(`http://${here}${page}`);
      t.equal(res.status, 200, page);
      t.match(res.headers.get('content-type'), /text\/html/, page);
    }
  });

  t.test('seeding again adds nothing; new keys can be issued', async (t) => {
    const before = {
      procedures: await count(db.selectFrom('procedures').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
      scans: await count(db.selectFrom('scans').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
      audit: await count(db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
      keys: await count(db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
    };
    t.same(await seedDemo({ db }), { status: 'already-seeded' });
    t.same(
      {
        procedures: await count(db.selectFrom('procedures').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
        scans: await count(db.selectFrom('scans').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
        audit: await count(db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
        keys: await count(db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
      },
      before,
      'not a row more',
    );

    // With the installation's BOOTSTRAP_ADMIN_KEY: that key does the work and stays as it was.
    const bootstrap = `demo-test-bootstrap-${'x'.repeat(32)}`;
    const fresh = await issueNewDemoKeys({ db, bootstrapAdminKey: bootstrap });
    if (!fresh) throw new Error('no keys issued');
    t.not(fresh.scanner, keys.scanner);
    t.match((await app.request({ method: 'GET', url: '/v1/me', key: fresh.procurement })).json(), { role: 'procurement', organisation: 'DEMO' });
    t.equal((await app.request({ method: 'GET', url: '/v1/me', key: bootstrap })).statusCode, 200, 'the bootstrap key is not revoked');
    t.equal((await app.request({ method: 'GET', url: '/v1/me', key: keys.scanner })).statusCode, 200, 'the first keys still work');

    const empty = await createTestDatabase(t);
    t.equal(await issueNewDemoKeys({ db: empty.db }), undefined, 'no keys for a trust that is not there');
    // A seed stopped part way (the trust is there, its recall is not) is said to be so, and left alone.
    const partial = await buildTestApp(t, { db: empty.db, bootstrap: true });
    t.equal((await partial.request({ method: 'POST', url: '/v1/organisations', key: partial.adminKey, payload: { odsCode: 'DEMO', name: 'Half a demo' } })).statusCode, 201);
    t.same(await seedDemo({ db: empty.db }), { status: 'incomplete' });
  });

  t.test('npm run demo on DATABASE_URL: says it is seeded already, issues keys, serves; refuses what it does not know', async (t) => {
    const again = runDemo(['--seed-only'], { DATABASE_URL: url });
    t.equal(await again.exited, 0);
    t.match(again.output().stdout, /The demo trust \(ODS code DEMO\) is already in this database: nothing was added/);
    t.match(again.output().stdout, /npm run demo -- --new-keys/);

    const keyed = runDemo(['--new-keys', '--seed-only'], { DATABASE_URL: url });
    t.equal(await keyed.exited, 0);
    const scanner = /export SCANNER_KEY=(itk_\S+)/.exec(keyed.output().stdout)?.[1];
    t.ok(scanner, 'a new scanner key, as an export line');
    t.match((await app.request({ method: 'GET', url: '/v1/me', key: scanner ?? '' })).json(), { role: 'scanner', organisation: 'DEMO' });
    t.notMatch(keyed.output().stdout + keyed.output().stderr, /999\d{7}/, 'no NHS number in its output');

    // Without --seed-only it goes on to serve, as npm start does.
    const serving = runDemo([], { DATABASE_URL: url, LOG_LEVEL: 'info' });
    t.teardown(() => void serving.child.kill('SIGKILL'));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(serving.output().stdout)?.[1];
        if (listening) {
          clearInterval(timer);
          resolve(listening);
        }
      }, 100);
      void serving.exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`npm run demo exited (${code}) before serving: ${serving.output().stderr}`));
      });
    });
    t.equal((await fetch(`${base}/health`)).status, 200, 'serving');
    serving.child.kill('SIGTERM');
    t.equal(await serving.exited, 0, 'and stops gracefully');

    const wrong = runDemo(['--seed-everything'], { DATABASE_URL: url });
    t.equal(await wrong.exited, 64);
    t.match(wrong.output().stderr, /unknown option --seed-everything/);
  });
});
