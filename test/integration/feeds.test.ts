import { sql } from 'kysely';
import t from 'tap';
import { createOrganisationWithKeys, buildTestApp, type TestApp } from '../helpers/app.js';
import { GS, GTIN, nhsNumber, openProcedure, scan } from '../helpers/theatre.js';

interface Entry {
  cursor: string;
  procedureId: string;
  disclosure: string;
  procedure: null | {
    organisation: string;
    status: string;
    patient: { pseudonym: string; nhsNumber: string | null; dateOfBirth: string | null; consent: string };
    items: Array<{ id: string; status: string; action: string; lotNumber: string | null; revision: unknown; revisionOf: unknown }>;
  };
}

async function page(app: TestApp, key: string, query: string) {
  return app.request({ method: 'GET', url: `/v1/feeds/procedures?${query}`, key });
}

/** Reads the feed from `after` until it is drained; answers every entry and the last cursor. */
async function drain(app: TestApp, key: string, registry: string, after: string | null, limit = 100): Promise<{ entries: Entry[]; cursor: string | null }> {
  const entries: Entry[] = [];
  let cursor = after;
  for (;;) {
    const res = await page(app, key, `registry=${registry}&limit=${limit}${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`);
    if (res.statusCode !== 200) throw new Error(`feed: ${res.statusCode} ${res.body}`);
    const body = res.json<{ entries: Entry[]; nextCursor: string | null; hasMore: boolean }>();
    entries.push(...body.entries);
    cursor = body.nextCursor;
    if (!body.hasMore) return { entries, cursor };
  }
}

const newest = (entries: Entry[], procedureId: string) => entries.filter((e) => e.procedureId === procedureId).at(-1);

t.test('registry change feed', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');
  const registryKey = org.keys.registry; // bound to NJR (pseudonymous without consent)
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: org.keys.procurement, payload: { brand: 'Hip Stem X', manufacturer: 'Acme', implantable: true } });

  const nationalKey = async (registry: string | undefined) => {
    const res = await app.request({
      method: 'POST',
      url: '/v1/api-keys',
      key: app.adminKey,
      payload: { name: `national ${registry ?? 'none'}`, role: 'registry', national: true, ...(registry ? { registry } : {}) },
    });
    t.equal(res.statusCode, 201, res.body);
    return res.json<{ key: string }>().key;
  };

  t.test('who may read which feed', async (t) => {
    t.equal((await page(app, org.keys.scanner, 'registry=NJR')).statusCode, 403, 'scanners do not read feeds');
    const bcir = await page(app, registryKey, 'registry=BCIR');
    t.equal(bcir.statusCode, 403);
    t.equal(bcir.json().code, 'REGISTRY_NOT_PERMITTED', 'an NJR key does not read the BCIR feed');
    const unbound = await page(app, await nationalKey(undefined), 'registry=NJR');
    t.equal(unbound.json().code, 'REGISTRY_NOT_PERMITTED', 'a key bound to no registry reads no feed');
    const bad = await page(app, registryKey, 'registry=NJR&after=v1.bm9wZQ');
    t.equal(bad.statusCode, 400);
    t.equal(bad.json().code, 'CURSOR_INVALID');
    t.equal((await page(app, registryKey, 'registry=NJR&after=garbage')).json().code, 'CURSOR_INVALID');
    t.equal((await page(app, registryKey, 'registry=nj r')).statusCode, 422);
    const wrongBinding = await app.request({
      method: 'POST',
      url: '/v1/api-keys',
      key: app.adminKey,
      payload: { name: 'x', role: 'scanner', organisation: 'RRK', registry: 'NJR' },
    });
    t.equal(wrongBinding.statusCode, 422, 'only registry keys are bound to a registry');
    const unknown = await app.request({
      method: 'POST',
      url: '/v1/api-keys',
      key: app.adminKey,
      payload: { name: 'x', role: 'registry', organisation: 'RRK', registry: 'XYZ' },
    });
    t.equal(unknown.json().code, 'REGISTRY_UNKNOWN');
  });

  t.test('every kind of change shows up as a newer entry, with consent deciding what is disclosed', async (t) => {
    const patient = nhsNumber(7001);
    const start = await drain(app, registryKey, 'NJR', null);
    let cursor = start.cursor;
    const next = async () => {
      const read = await drain(app, registryKey, 'NJR', cursor);
      cursor = read.cursor;
      return read.entries;
    };

    const opened = await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: patient, dateOfBirth: '1950-03-04' }, startedAt: '2024-01-10T09:00:00Z' });
    t.equal(opened.statusCode, 201, opened.body);
    const primary = opened.json<{ id: string }>().id;
    let entries = await next();
    t.same(entries.map((e) => e.procedureId), [primary], 'opening a procedure');
    const first = entries[0]!;
    t.equal(first.disclosure, 'pseudonymous', 'no consent: NJR takes a pseudonymous record');
    t.match(first.procedure?.patient, { nhsNumber: null, dateOfBirth: null, consent: 'not-recorded' });
    t.match(first.procedure?.patient.pseudonym, /^[0-9a-f]{32}$/);
    t.notOk(JSON.stringify(first).includes(patient), 'the NHS number is nowhere in a pseudonymous entry');

    const implant = await scan(app, org.keys.scanner, primary, { barcode: `]d201${GTIN}17301231` + `10LOT1${GS}21SER-77` });
    t.equal(implant.statusCode, 201, implant.body);
    const second = await scan(app, org.keys.scanner, primary, { barcode: `01${GTIN}10LOT2${GS}21SER-78` });
    entries = await next();
    t.equal(entries.length, 1, 'two scans since the last poll: the procedure once, as it is now');
    t.same(entries[0]?.procedure?.items.map((i) => i.lotNumber), ['LOT1', 'LOT2']);

    const voided = await app.request({ method: 'POST', url: `/v1/scans/${second.json().scan.id}/void`, key: org.keys.scanner, payload: { reason: 'wrong item' } });
    t.equal(voided.statusCode, 200, voided.body);
    entries = await next();
    t.same(entries[0]?.procedure?.items.map((i) => i.status), ['active', 'voided'], 'a void');

    const completed = await app.request({ method: 'POST', url: `/v1/procedures/${primary}/complete`, key: org.keys.scanner });
    t.equal(completed.statusCode, 200, completed.body);
    entries = await next();
    t.equal(entries[0]?.procedure?.status, 'completed', 'a completion');

    const granted = await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, payload: { nhsNumber: patient, registry: 'NJR', status: 'granted' } });
    t.equal(granted.statusCode, 201, granted.body);
    entries = await next();
    t.equal(entries[0]?.disclosure, 'identified', 'a consent');
    t.match(entries[0]?.procedure?.patient, { nhsNumber: patient, dateOfBirth: '1950-03-04', consent: 'granted', pseudonym: first.procedure?.patient.pseudonym });

    // The revision is done at another hospital two years later: linked by NHS number and serial.
    const revisionRes = await openProcedure(app, other.keys.scanner, { patient: { nhsNumber: patient }, startedAt: '2026-01-10T09:00:00Z' });
    const revision = revisionRes.json<{ id: string }>().id;
    const explant = await scan(app, other.keys.scanner, revision, { barcode: `01${GTIN}21SER-77`, action: 'explanted' });
    t.equal(explant.statusCode, 201, explant.body);
    t.notOk(explant.json().warnings.some((w: { code: string }) => w.code === 'EXPLANT_NOT_MATCHED'), 'the explant matched the implant at the other hospital');
    entries = await next();
    t.same(entries.map((e) => e.procedureId), [primary], "the primary moves when its revision is linked (the revision itself is the other organisation's)");
    const national = await nationalKey('NJR');
    const all = await drain(app, national, 'NJR', null);
    const primaryNow = newest(all.entries, primary)?.procedure;
    const revisionNow = newest(all.entries, revision)?.procedure;
    t.match(primaryNow?.items[0]?.revision, { procedureId: revision, daysToRevision: 731 }, 'time to revision on the implant');
    t.match(revisionNow?.items[0]?.revisionOf, { procedureId: primary, daysSinceImplant: 731 });
    t.equal(revisionNow?.organisation, 'RH8');

    const withdrawn = await app.request({ method: 'POST', url: '/v1/consents', key: other.keys.procurement, payload: { nhsNumber: patient, registry: 'NJR', status: 'withdrawn' } });
    t.equal(withdrawn.statusCode, 201);
    entries = await next();
    t.same(entries.map((e) => e.procedureId), [primary], 'a withdrawal recorded anywhere moves the patient\'s procedures');
    t.equal(entries[0]?.disclosure, 'pseudonymous');
    t.notOk(JSON.stringify(entries).includes(patient), 'after withdrawal the NHS number is gone from the feed');

    const backdated = await app.request({
      method: 'POST',
      url: '/v1/consents',
      key: org.keys.scanner,
      payload: { nhsNumber: patient, registry: 'NJR', status: 'granted', recordedAt: '2020-01-01T00:00:00Z' },
    });
    t.equal(backdated.statusCode, 201);
    entries = await next();
    t.equal(entries[0]?.disclosure, 'pseudonymous', 'a back-dated form entered late does not override the newer withdrawal');

    const history = await app.request({ method: 'POST', url: '/v1/consents/search', key: org.keys.scanner, payload: { nhsNumber: patient } });
    t.equal(history.statusCode, 200);
    t.same(history.json().history.map((h: { status: string; recordedBy: string }) => `${h.status}:${h.recordedBy}`), [
      'withdrawn:another-organisation',
      'granted:this-organisation',
      'granted:this-organisation',
    ]);
    t.same(history.json().inForce.map((h: { registry: string; status: string }) => `${h.registry}:${h.status}`), ['NJR:withdrawn']);

    const audits = await app.db.selectFrom('audit_events').select(['patient_ids', 'detail']).where('action', '=', 'feed.read').execute();
    t.ok(audits.some((a) => a.patient_ids.length > 0), 'feed pages are audited with the patients they disclose');
    t.notOk(app.logsContainNumber(patient), 'no NHS number in the logs');
  });

  t.test('registries are national configuration', async (t) => {
    const list = await app.request({ method: 'GET', url: '/v1/registries', key: org.keys.scanner });
    t.same(list.json().items.map((r: { code: string; withoutConsent: string }) => `${r.code}:${r.withoutConsent}`), ['BCIR:pseudonymous', 'MDOR:omit', 'NJR:pseudonymous']);
    t.notOk(list.body.includes('ecret'), 'the pseudonym secret never leaves the service');
    const created = await app.request({ method: 'PUT', url: '/v1/registries/ndr', key: app.adminKey, payload: { name: 'National Device Registry', withoutConsent: 'omit' } });
    t.equal(created.statusCode, 201, created.body);
    t.same(created.json(), { code: 'NDR', name: 'National Device Registry', withoutConsent: 'omit' });
    const updated = await app.request({ method: 'PUT', url: '/v1/registries/NDR', key: app.adminKey, payload: { name: 'National Device Registry', withoutConsent: 'pseudonymous' } });
    t.equal(updated.statusCode, 200);
    t.equal(updated.json().withoutConsent, 'pseudonymous');
    t.equal((await app.request({ method: 'PUT', url: '/v1/registries/NDR', key: org.keys.admin, payload: { name: 'x', withoutConsent: 'omit' } })).statusCode, 403, 'not by an organisation admin');
    t.equal((await app.request({ method: 'PUT', url: '/v1/registries/1X', key: app.adminKey, payload: { name: 'x', withoutConsent: 'omit' } })).statusCode, 422);
    const consent = await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, payload: { nhsNumber: nhsNumber(7601), registry: 'NDR', status: 'granted' } });
    t.equal(consent.statusCode, 201);
    const unknown = await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, payload: { nhsNumber: nhsNumber(7601), registry: 'XYZ', status: 'granted' } });
    t.equal(unknown.json().code, 'REGISTRY_UNKNOWN');
    const future = await app.request({
      method: 'POST',
      url: '/v1/consents',
      key: org.keys.scanner,
      payload: { nhsNumber: nhsNumber(7601), registry: 'NDR', status: 'granted', recordedAt: '2999-01-01T00:00:00Z' },
    });
    t.equal(future.statusCode, 422);
    const badNhs = await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, payload: { nhsNumber: '1234567890', registry: 'NDR', status: 'granted' } });
    t.equal(badNhs.statusCode, 422);
    t.equal((await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.registry, payload: { nhsNumber: nhsNumber(7601), registry: 'NDR', status: 'granted' } })).statusCode, 403);
  });

  t.test('a registry that takes nothing without consent gets a withheld marker only', async (t) => {
    const key = await nationalKey('MDOR');
    const start = await drain(app, key, 'MDOR', null);
    const patient = nhsNumber(7101);
    const proc = (await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: patient } })).json<{ id: string }>().id;
    await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10LOTM` });
    let read = await drain(app, key, 'MDOR', start.cursor);
    t.match(read.entries, [{ procedureId: proc, disclosure: 'withheld', procedure: null }]);
    await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, payload: { nhsNumber: patient, registry: 'MDOR', status: 'granted' } });
    read = await drain(app, key, 'MDOR', read.cursor);
    t.equal(read.entries[0]?.procedure?.patient.nhsNumber, patient, 'with consent: identified');
    await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, payload: { nhsNumber: patient, registry: 'MDOR', status: 'withdrawn' } });
    read = await drain(app, key, 'MDOR', read.cursor);
    t.match(read.entries, [{ procedureId: proc, disclosure: 'withheld', procedure: null }], 'withdrawn: withheld again');
  });

  t.test("an organisation's registry key never sees another organisation's procedures", async (t) => {
    const mine = (await openProcedure(app, other.keys.scanner, { patient: { nhsNumber: nhsNumber(7201) } })).json<{ id: string }>().id;
    const theirs = await drain(app, registryKey, 'NJR', null);
    t.notOk(theirs.entries.some((e) => e.procedureId === mine));
    t.ok(theirs.entries.every((e) => e.procedure === null || e.procedure.organisation === 'RRK'));
    const own = await drain(app, other.keys.registry, 'NJR', null);
    t.ok(own.entries.some((e) => e.procedureId === mine));
    t.ok(own.entries.every((e) => e.procedure === null || e.procedure.organisation === 'RH8'));
  });

  t.test('positions are ordered as numbers: one transaction changing many procedures, paged across 99 -> 100', async (t) => {
    const key = await nationalKey('NJR');
    const patient = nhsNumber(7700);
    const procedures: string[] = [];
    for (let i = 0; i < 12; i++) procedures.push((await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: patient } })).json<{ id: string }>().id);
    const start = await drain(app, key, 'NJR', null);
    await sql`select setval('feed_change_seq', 95)`.execute(app.db);
    // One consent change moves all twelve procedures in one transaction: positions (xid, 96) … (xid, 107).
    await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, payload: { nhsNumber: patient, registry: 'NJR', status: 'granted' } });
    const read = await drain(app, key, 'NJR', start.cursor, 3);
    const ids = read.entries.map((e) => e.procedureId);
    t.equal(new Set(ids).size, ids.length, 'no procedure twice');
    t.same(new Set(ids), new Set(procedures), 'every procedure once');
  });

  t.test('a transaction that commits late is never skipped by a cursor already handed out', async (t) => {
    const key = await nationalKey('NJR');
    const start = await drain(app, key, 'NJR', null);
    const a = (await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: nhsNumber(7301) } })).json<{ id: string }>().id;
    const b = (await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: nhsNumber(7302) } })).json<{ id: string }>().id;
    let cursor = (await drain(app, key, 'NJR', start.cursor)).cursor;

    await app.db.connection().execute(async (conn) => {
      // T1 starts first and changes A, but is slow to commit.
      await sql`begin`.execute(conn);
      await sql`update procedures set procedure_code = 'W3710' where id = ${a}`.execute(conn);
      // T2 starts later, changes B and commits at once.
      const scanned = await scan(app, org.keys.scanner, b, { barcode: `01${GTIN}10LATE` });
      t.equal(scanned.statusCode, 201);
      const during = await drain(app, key, 'NJR', cursor);
      t.same(during.entries, [], "B's change waits until the older, still-running transaction has finished");
      t.equal(during.cursor, cursor, 'the cursor does not move past a change that could still land behind it');
      await sql`commit`.execute(conn);
    });
    const after = await drain(app, key, 'NJR', cursor);
    t.same(after.entries.map((e) => e.procedureId), [a, b], 'both changes, in commit-safe order');
    cursor = after.cursor;
    t.same((await drain(app, key, 'NJR', cursor)).entries, [], 'and nothing twice');
  });

  t.test('under concurrent writers a poller that resumes from its cursor sees the final state of every procedure', async (t) => {
    const key = await nationalKey('NJR');
    const start = await drain(app, key, 'NJR', null);
    const procedures = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => (await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: nhsNumber(7400 + i) } })).json<{ id: string }>().id),
    );
    let writing = true;
    const seen = new Map<string, Entry>();
    let cursor = start.cursor;
    const poller = (async () => {
      while (writing) {
        const read = await drain(app, key, 'NJR', cursor, 3);
        for (const entry of read.entries) seen.set(entry.procedureId, entry);
        cursor = read.cursor;
      }
    })();
    const writes = procedures.flatMap((proc, p) =>
      Array.from({ length: 8 }, async (_, n) => {
        await new Promise((resolve) => setTimeout(resolve, (p * 7 + n * 13) % 25));
        const res = await scan(app, org.keys.scanner, proc, { barcode: `01${GTIN}10C${p}-${n}` });
        if (res.statusCode !== 201) throw new Error(res.body);
      }),
    );
    await Promise.all(writes);
    writing = false;
    await poller;
    const final = await drain(app, key, 'NJR', cursor);
    for (const entry of final.entries) seen.set(entry.procedureId, entry);
    for (const proc of procedures) {
      t.equal(seen.get(proc)?.procedure?.items.length, 8, `procedure ${proc}: all 8 items seen by the resuming poller`);
    }
  });
});
