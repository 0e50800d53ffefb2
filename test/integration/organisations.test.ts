import t from 'tap';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';

t.test('organisations', async (t) => {
  const app = await buildTestApp(t);

  t.test('a national admin registers an organisation; the ODS code is normalised', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, payload: { odsCode: ' rh8 ', name: 'Royal Devon' } });
    t.equal(res.statusCode, 201);
    t.match(res.json(), { id: /^[0-9a-f-]{36}$/, odsCode: 'RH8', name: 'Royal Devon', createdAt: /^\d{4}-\d\d-\d\dT/ });
  });

  t.test('the same ODS code twice -> 409 ORGANISATION_EXISTS, nothing changed', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, payload: { odsCode: 'RH8', name: 'Impostor' } });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'ORGANISATION_EXISTS');
    const rows = await app.db.selectFrom('organisations').select('name').where('ods_code', '=', 'RH8').execute();
    t.same(rows, [{ name: 'Royal Devon' }]);
  });

  t.test('bad input -> 422 with pointers to each bad value', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, payload: { odsCode: 'R!', name: '' } });
    t.equal(res.statusCode, 422);
    const body = res.json();
    t.equal(body.code, 'VALIDATION_FAILED');
    t.same(body.errors.map((e: { in: string; pointer: string }) => `${e.in}:${e.pointer}`).sort(), ['body:/name', 'body:/odsCode']);
    t.match(body.errors.find((e: { pointer: string }) => e.pointer === '/odsCode'), { message: /ODS code/ });
  });

  t.test('an organisation admin cannot register organisations and sees only its own', async (t) => {
    const a = await createOrganisationWithKeys(app, 'AAA');
    await createOrganisationWithKeys(app, 'BBB');
    const create = await app.request({ method: 'POST', url: '/v1/organisations', key: a.keys.admin, payload: { odsCode: 'CCC', name: 'C' } });
    t.equal(create.statusCode, 403);
    t.equal(create.json().code, 'FORBIDDEN');

    const own = await app.request({ method: 'GET', url: '/v1/organisations', key: a.keys.admin });
    t.same(own.json().items.map((o: { odsCode: string }) => o.odsCode), ['AAA']);

    const all = await app.request({ method: 'GET', url: '/v1/organisations', key: app.adminKey });
    t.same(all.json().items.map((o: { odsCode: string }) => o.odsCode), ['AAA', 'BBB', 'RH8']);
  });

  t.test('registering an organisation is audited', async (t) => {
    const rows = await app.db.selectFrom('audit_events').selectAll().where('action', '=', 'organisation.create').execute();
    t.equal(rows.length, 3);
    t.match(rows[0], { outcome: 'success', route: 'POST /v1/organisations', actor_role: 'admin', request_id: String });
  });
});
