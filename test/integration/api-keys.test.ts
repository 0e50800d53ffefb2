import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { ensureBootstrapKey } from '../../src/modules/api-keys/api-key.service.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';

t.test('API keys', async (t) => {
  const app = await buildTestApp(t);
  const a = await createOrganisationWithKeys(app, 'AAA');
  const b = await createOrganisationWithKeys(app, 'BBB');

  t.test('a key is shown once and stored only as its SHA-256', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'Theatre 3', role: 'scanner', organisation: 'aaa' } });
    t.equal(res.statusCode, 201);
    const body = res.json();
    t.match(body, { id: String, name: 'Theatre 3', role: 'scanner', national: false, organisation: 'AAA', revokedAt: null, key: /^itk_[A-Za-z0-9_-]{40}$/ });
    t.equal(body.prefix, body.key.slice(0, 12));

    const row = await app.db.selectFrom('api_keys').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    t.same(row.key_hash, createHash('sha256').update(body.key).digest());
    const dump = await sql<{ t: string }>`select row_to_json(k)::text as t from api_keys k`.execute(app.db);
    t.notOk(dump.rows.some((r) => r.t.includes(body.key.slice(12))), 'the secret is nowhere in the table');

    const list = await app.request({ method: 'GET', url: '/v1/api-keys', key: app.adminKey });
    t.notOk(list.body.includes(body.key.slice(12)), 'listing never shows secrets');
    t.notOk('key' in list.json().items[0]);
  });

  t.test('exactly one of organisation or national', async (t) => {
    for (const payload of [
      { name: 'x', role: 'scanner' },
      { name: 'x', role: 'scanner', organisation: 'AAA', national: true },
      { name: 'x', role: 'scanner', national: false },
    ]) {
      const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload });
      t.equal(res.statusCode, 422, JSON.stringify(payload));
      t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'body', pointer: '/organisation' }] });
    }
  });

  t.test('a national admin creates national keys', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'MHRA', role: 'procurement', national: true } });
    t.equal(res.statusCode, 201);
    t.match(res.json(), { national: true, organisation: null });
  });

  t.test('an unknown organisation -> 404', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'x', role: 'scanner', organisation: 'ZZZ' } });
    t.equal(res.statusCode, 404);
    t.equal(res.json().code, 'NOT_FOUND');
  });

  t.test("an organisation's admin: own organisation only; another's looks like it does not exist", async (t) => {
    const own = await app.request({ method: 'POST', url: '/v1/api-keys', key: a.keys.admin, payload: { name: 'x', role: 'procurement', organisation: 'AAA' } });
    t.equal(own.statusCode, 201);
    const other = await app.request({ method: 'POST', url: '/v1/api-keys', key: a.keys.admin, payload: { name: 'x', role: 'procurement', organisation: 'BBB' } });
    const missing = await app.request({ method: 'POST', url: '/v1/api-keys', key: a.keys.admin, payload: { name: 'x', role: 'procurement', organisation: 'ZZZ' } });
    t.equal(other.statusCode, 404);
    t.equal(missing.statusCode, 404);
    const shape = (body: Record<string, unknown>) => ({ ...body, instance: undefined, detail: String(body.detail).replace(/BBB|ZZZ/, '?') });
    t.same(shape(other.json()), shape(missing.json()), 'existing-elsewhere and non-existent answer alike');
    const national = await app.request({ method: 'POST', url: '/v1/api-keys', key: a.keys.admin, payload: { name: 'x', role: 'admin', national: true } });
    t.equal(national.statusCode, 403);
  });

  t.test('listing is scoped to the organisation', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/api-keys', key: b.keys.admin });
    t.equal(res.statusCode, 200);
    const items = res.json().items as Array<{ organisation: string | null }>;
    t.ok(items.length >= 4);
    t.ok(items.every((k) => k.organisation === 'BBB'));
    const all = await app.request({ method: 'GET', url: '/v1/api-keys', key: app.adminKey });
    t.ok(all.json().items.some((k: { organisation: string | null }) => k.organisation === null));
  });

  t.test('revocation takes effect at once, is idempotent and audited', async (t) => {
    const before = await app.request({ method: 'GET', url: '/v1/me', key: b.keys.scanner });
    t.equal(before.statusCode, 200);
    const revoke = await app.request({ method: 'DELETE', url: `/v1/api-keys/${b.keyIds.scanner}`, key: b.keys.admin });
    t.equal(revoke.statusCode, 204);
    t.equal(revoke.body, '');
    const after = await app.request({ method: 'GET', url: '/v1/me', key: b.keys.scanner });
    t.equal(after.statusCode, 401);
    t.equal(after.json().code, 'UNAUTHENTICATED');

    const again = await app.request({ method: 'DELETE', url: `/v1/api-keys/${b.keyIds.scanner}`, key: app.adminKey });
    t.equal(again.statusCode, 204);
    const row = await app.db.selectFrom('api_keys').select(['revoked_at', 'revoked_by']).where('id', '=', b.keyIds.scanner).executeTakeFirstOrThrow();
    t.equal(row.revoked_by, b.keyIds.admin, 'the first revocation is kept');

    const audit = await app.db.selectFrom('audit_events').selectAll().where('action', '=', 'api-key.revoke').orderBy('id').execute();
    t.equal(audit.length, 2);
    t.match(audit[0], { actor_key_id: b.keyIds.admin, organisation_id: b.id, route: 'DELETE /v1/api-keys/:id', detail: { keyId: b.keyIds.scanner, alreadyRevoked: false } });
    t.match(audit[1]?.detail, { alreadyRevoked: true });
  });

  t.test("another organisation's key cannot be revoked: 404, and it keeps working", async (t) => {
    const res = await app.request({ method: 'DELETE', url: `/v1/api-keys/${a.keyIds.registry}`, key: b.keys.admin });
    t.equal(res.statusCode, 404);
    const still = await app.request({ method: 'GET', url: '/v1/me', key: a.keys.registry });
    t.equal(still.statusCode, 200);
  });

  t.test('revoking an unknown id -> 404; a malformed id -> 422', async (t) => {
    const unknown = await app.request({ method: 'DELETE', url: '/v1/api-keys/00000000-0000-4000-8000-000000000000', key: app.adminKey });
    t.equal(unknown.statusCode, 404);
    const malformed = await app.request({ method: 'DELETE', url: '/v1/api-keys/not-a-uuid', key: app.adminKey });
    t.equal(malformed.statusCode, 422);
    t.match(malformed.json(), { errors: [{ in: 'params', pointer: '/id' }] });
  });

  t.test('key creation is audited without the secret', async (t) => {
    const rows = await app.db.selectFrom('audit_events').selectAll().where('action', '=', 'api-key.create').execute();
    t.ok(rows.length >= 10);
    t.ok(rows.every((r) => !JSON.stringify(r.detail).includes('itk_')));
  });

  t.test('the audit trail is append-only', async (t) => {
    await t.rejects(sql`update audit_events set action = 'tampered'`.execute(app.db), /append-only/);
    await t.rejects(sql`delete from audit_events`.execute(app.db), /append-only/);
    await t.rejects(sql`truncate audit_events`.execute(app.db), /append-only/);
  });
});

t.test('BOOTSTRAP_ADMIN_KEY: created once, then present; a revoked one stays revoked', async (t) => {
  const app = await buildTestApp(t);
  const secret = 'a-bootstrap-secret-of-sufficient-length-0001';
  t.equal(await ensureBootstrapKey(app.db, secret), 'created');
  t.equal(await ensureBootstrapKey(app.db, secret), 'exists');

  const me = await app.request({ method: 'GET', url: '/v1/me', key: secret });
  t.match(me.json(), { role: 'admin', national: true, keyName: 'bootstrap' });

  // A new installation is set up by script: organisation, then a scanner key.
  const org = await app.request({ method: 'POST', url: '/v1/organisations', key: secret, payload: { odsCode: 'RRK', name: 'Trust' } });
  t.equal(org.statusCode, 201);
  const scanner = await app.request({ method: 'POST', url: '/v1/api-keys', key: secret, payload: { name: 'Theatre 1', role: 'scanner', organisation: 'RRK' } });
  t.equal(scanner.statusCode, 201);
  const forbidden = await app.request({ method: 'POST', url: '/v1/organisations', key: scanner.json().key, payload: { odsCode: 'XYZ', name: 'x' } });
  t.equal(forbidden.statusCode, 403);

  const revoke = await app.request({ method: 'DELETE', url: `/v1/api-keys/${me.json().keyId}`, key: app.adminKey });
  t.equal(revoke.statusCode, 204);
  t.equal(await ensureBootstrapKey(app.db, secret), 'revoked');
  const after = await app.request({ method: 'GET', url: '/v1/me', key: secret });
  t.equal(after.statusCode, 401, 'revocation is final even though the variable is still set');
});

t.test('key lookups are cached briefly: a key revoked through another instance is refused within AUTH_CACHE_SECONDS', async (t) => {
  let now = Date.parse('2026-11-21T09:00:00Z');
  const clock = { now: () => new Date(now) };
  const app = await buildTestApp(t, { clock, env: { AUTH_CACHE_SECONDS: '10' } });
  const org = await createOrganisationWithKeys(app, 'RCA');
  const me = async () => (await app.request({ method: 'GET', url: '/v1/me', key: org.keys.scanner })).statusCode;
  t.equal(await me(), 200);
  // Another instance revokes it: this one does not hear of it.
  await app.db.updateTable('api_keys').set({ revoked_at: new Date(now) }).where('id', '=', org.keyIds.scanner).execute();
  now += 9_000;
  t.equal(await me(), 200, 'still accepted within the cache lifetime');
  now += 1_001;
  t.equal(await me(), 401, 'refused once the lifetime has passed');

  const uncached = await buildTestApp(t, { env: { AUTH_CACHE_SECONDS: '0' } });
  const other = await createOrganisationWithKeys(uncached, 'RCB');
  t.equal((await uncached.request({ method: 'GET', url: '/v1/me', key: other.keys.scanner })).statusCode, 200);
  await uncached.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', other.keyIds.scanner).execute();
  t.equal((await uncached.request({ method: 'GET', url: '/v1/me', key: other.keys.scanner })).statusCode, 401, 'AUTH_CACHE_SECONDS=0: refused at once');
  t.notOk(uncached.app.actorCache.size > 0, 'nothing was cached');
});
