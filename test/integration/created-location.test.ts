/**
 * Every 201 carries `Location`: the created resource's absolute URL, built from PUBLIC_BASE_URL
 * (with its path prefix), never from the Host header the caller sends. Where the API reads the
 * resource back (procedures, recalls), the Location answers it.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { GTIN, nhsNumber, scan } from '../helpers/theatre.js';

const BASE = 'https://implants.example.nhs.uk/trace';
/** What a caller might put in Host to steer the URLs the service hands out. */
const HOSTILE_HOST = { host: 'evil.example' };

t.test('201 answers carry the Location of what they created', async (t) => {
  const app = await buildTestApp(t, { env: { PUBLIC_BASE_URL: `${BASE}/` } });
  const org = await createOrganisationWithKeys(app, 'RLC');

  /** The Location of a 201, checked to be this resource's URL under PUBLIC_BASE_URL. */
  const locationOf = (t: Test, res: LightMyRequestResponse, path: string) => {
    t.equal(res.statusCode, 201, res.body);
    t.equal(res.headers.location, `${BASE}${path}`, `Location ${path}`);
    return String(res.headers.location);
  };
  /** The path of a Location under PUBLIC_BASE_URL, as the app routes it. */
  const routed = (location: string) => location.slice(BASE.length);

  t.test('POST /v1/organisations', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, headers: HOSTILE_HOST, payload: { odsCode: 'RL2', name: 'Another Trust' } });
    locationOf(t, res, `/v1/organisations/${res.json<{ id: string }>().id}`);
  });

  t.test('POST /v1/api-keys', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, headers: HOSTILE_HOST, payload: { name: 'Theatre 4 scanner', role: 'scanner', organisation: 'RLC' } });
    const location = locationOf(t, res, `/v1/api-keys/${res.json<{ id: string }>().id}`);
    const revoked = await app.request({ method: 'DELETE', url: routed(location), key: app.adminKey });
    t.equal(revoked.statusCode, 204, 'the key is revoked at its Location');
  });

  t.test('POST /v1/locations and POST /v1/staff', async (t) => {
    const place = await app.request({ method: 'POST', url: '/v1/locations', key: org.keys.admin, headers: HOSTILE_HOST, payload: { gln: '9506000134369', name: 'Theatre 4' } });
    locationOf(t, place, `/v1/locations/${place.json<{ id: string }>().id}`);
    const staff = await app.request({ method: 'POST', url: '/v1/staff', key: org.keys.admin, headers: HOSTILE_HOST, payload: { localId: 'EMP-44', name: 'Ms Four' } });
    locationOf(t, staff, `/v1/staff/${staff.json<{ id: string }>().id}`);
  });

  t.test('POST /v1/procedures, and its retry', async (t) => {
    const key = randomUUID();
    const open = () =>
      app.request({ method: 'POST', url: '/v1/procedures', key: org.keys.scanner, headers: { ...HOSTILE_HOST, 'idempotency-key': key }, payload: { patient: { nhsNumber: nhsNumber(4401) } } });
    const res = await open();
    const location = locationOf(t, res, `/v1/procedures/${res.json<{ id: string }>().id}`);
    const read = await app.request({ method: 'GET', url: routed(location), key: org.keys.scanner });
    t.equal(read.statusCode, 200);
    t.equal(read.json<{ id: string }>().id, res.json<{ id: string }>().id, 'the Location answers the procedure');
    const retry = await open();
    t.equal(retry.headers['idempotency-replayed'], 'true');
    t.equal(retry.headers.location, location, 'a retry names the same procedure');
  });

  t.test('POST /v1/procedures/{id}/scans, and its retry', async (t) => {
    const opened = await app.request({ method: 'POST', url: '/v1/procedures', key: org.keys.scanner, payload: { patient: { nhsNumber: nhsNumber(4402) } } });
    const procedureId = opened.json<{ id: string }>().id;
    const key = randomUUID();
    const res = await scan(app, org.keys.scanner, procedureId, { barcode: `01${GTIN}10LOT-L` }, key);
    const location = locationOf(t, res, `/v1/scans/${res.json<{ scan: { id: string } }>().scan.id}`);
    const retry = await scan(app, org.keys.scanner, procedureId, { barcode: `01${GTIN}10LOT-L` }, key);
    t.equal(retry.headers['idempotency-replayed'], 'true');
    t.equal(retry.headers.location, location, 'a retry names the same scan');
    const voided = await app.request({ method: 'POST', url: `${routed(location)}/void`, key: org.keys.scanner, payload: { reason: 'wrong box opened' } });
    t.equal(voided.statusCode, 200, 'the scan is voided under its Location');
  });

  t.test('POST /v1/recalls', async (t) => {
    const res = await app.request({
      method: 'POST',
      url: '/v1/recalls',
      key: org.keys.procurement,
      headers: HOSTILE_HOST,
      payload: { reference: 'FSN-LOC-1', title: 'Location', scope: [{ gtin: GTIN, lots: ['LOT-L'] }] },
    });
    const location = locationOf(t, res, `/v1/recalls/${res.json<{ id: string }>().id}`);
    const read = await app.request({ method: 'GET', url: routed(location), key: org.keys.procurement });
    t.equal(read.statusCode, 200);
    t.equal(read.json<{ reference: string }>().reference, 'FSN-LOC-1', 'the Location answers the recall');
  });

  t.test('PUT /v1/registries/{code}: Location when created, none when changed', async (t) => {
    const body = { name: 'Test Registry', withoutConsent: 'omit' };
    const created = await app.request({ method: 'PUT', url: '/v1/registries/TREG', key: app.adminKey, headers: HOSTILE_HOST, payload: body });
    const location = locationOf(t, created, '/v1/registries/TREG');
    const changed = await app.request({ method: 'PUT', url: routed(location), key: app.adminKey, payload: { ...body, name: 'Test Registry (renamed)' } });
    t.equal(changed.statusCode, 200, 'the registry is configured at its Location');
    t.equal(changed.headers.location, undefined, 'a change creates nothing');
  });

  t.test('POST /v1/consents', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, headers: HOSTILE_HOST, payload: { nhsNumber: nhsNumber(4403), registry: 'NJR', status: 'granted' } });
    locationOf(t, res, `/v1/consents/${res.json<{ id: string }>().id}`);
  });

  t.test('without PUBLIC_BASE_URL: the instance\'s own address', async (t) => {
    const local = await buildTestApp(t, { env: { PORT: '4321' } });
    const res = await local.request({ method: 'POST', url: '/v1/organisations', key: local.adminKey, headers: HOSTILE_HOST, payload: { odsCode: 'RL3', name: 'Local Trust' } });
    t.equal(res.headers.location, `http://localhost:4321/v1/organisations/${res.json<{ id: string }>().id}`);
  });
});
