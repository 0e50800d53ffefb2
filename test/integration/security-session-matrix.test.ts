/**
 * The authorisation matrix for people signed in (issue 18): on every route the
 * live app has, a session in a role profile is let through or refused exactly
 * as a key of that role and tenancy is, and every change made with a session
 * needs its CSRF token. (security-matrix.test.ts is the matrix for keys and
 * SMART tokens; oidc-signin.test.ts drives the sign-in itself with a real
 * provider. The sessions here are made as the sign-in makes them, without one.)
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import type { PersonRole } from '../../src/config.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { storeSession } from '../helpers/sessions.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

t.test('sessions are authorised exactly as keys of the same role', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RSM');
  const now = new Date();

  /** A person's session in one profile, stored as the sign-in stores it; its cookie value and CSRF token. */
  const sessionFor = async (role: PersonRole, national: boolean) => {
    const id = await storeSession(app.db, { subject: `person-${role}-${national}`, name: `A ${role}` }, { role, national, organisationId: national ? null : org.id }, now);
    const me = await app.request({ method: 'GET', url: '/v1/me', cookies: { it_session: id } });
    if (me.statusCode !== 200) throw new Error(`session for ${role}: ${me.statusCode} ${me.body}`);
    return { id, csrf: me.json<{ csrfToken: string }>().csrfToken };
  };
  // Every role a person can hold (registry is for machines), with the key of the same role and tenancy.
  const national = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'national procurement', role: 'procurement', national: true } });
  const callers = [
    { name: 'national admin', key: app.adminKey, session: await sessionFor('admin', true) },
    { name: 'national procurement', key: national.json<{ key: string }>().key, session: await sessionFor('procurement', true) },
    { name: 'admin', key: org.keys.admin, session: await sessionFor('admin', false) },
    { name: 'scanner', key: org.keys.scanner, session: await sessionFor('scanner', false) },
    { name: 'procurement', key: org.keys.procurement, session: await sessionFor('procurement', false) },
  ];

  /** The stable code of a refusal: problem+json's, or under /fhir the OperationOutcome's coding. */
  const codeOf = (res: LightMyRequestResponse) => {
    const body = res.json<{ code?: string; issue?: Array<{ details?: { coding?: Array<{ code?: string }> } }> }>();
    return body.code ?? body.issue?.[0]?.details?.coding?.[0]?.code ?? '(none)';
  };
  /** What the authorisation decided: refused (401, or 403 with its code) or let through (anything else). */
  const decision = (res: LightMyRequestResponse) => {
    if (res.statusCode === 401) return 'unauthenticated';
    if (res.statusCode === 403) return `forbidden ${codeOf(res)}`;
    return 'let through';
  };
  const routes = app.app.routeAccess.filter((r) => r.method !== 'HEAD' && r.access !== 'public');
  t.ok(routes.length > 50, `${routes.length} routes that need a caller`);
  let compared = 0;
  for (const route of routes) {
    // The same request for both: placeholder ids, an empty body (refused by the schema, after the roles).
    const url = route.url.replace(/:(\w+)/g, (_, name: string) => (name === 'registry' || name === 'code' ? 'NJR' : name === 'gtin' ? '09506000134352' : randomUUID())).replace('*', 'x');
    const body = SAFE.has(route.method) ? {} : { payload: {} };
    for (const caller of callers) {
      const byKey = await app.request({ method: route.method, url, key: caller.key, ...body });
      const bySession = await app.request({
        method: route.method,
        url,
        cookies: { it_session: caller.session.id },
        headers: SAFE.has(route.method) ? {} : { 'x-csrf-token': caller.session.csrf },
        ...body,
      });
      const expected = decision(byKey).replace(/^forbidden (?!FORBIDDEN)\S+$/, 'let through');
      const got = decision(bySession).replace(/^forbidden (?!FORBIDDEN)\S+$/, 'let through');
      if (got !== expected) t.fail(`${route.method} ${route.url} as ${caller.name}: a key is ${decision(byKey)}, a session ${decision(bySession)} (${bySession.body.slice(0, 200)})`);
      compared++;
      if (!SAFE.has(route.method)) {
        const noToken = await app.request({ method: route.method, url, cookies: { it_session: caller.session.id }, ...body });
        if (noToken.statusCode !== 403 || codeOf(noToken) !== 'CSRF_INVALID') {
          t.fail(`${route.method} ${route.url} as ${caller.name} without the CSRF token: ${noToken.statusCode} ${noToken.body.slice(0, 200)}`);
        }
      }
    }
  }
  t.equal(compared, routes.length * callers.length, 'every route, every role a person can hold');
  const audit = await app.db.selectFrom('audit_events').select('actor_person_subject').where('actor_person_subject', 'is not', null).limit(1).executeTakeFirst();
  t.ok(audit, 'what the sessions did is audited under their people');
});
