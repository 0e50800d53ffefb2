/** What the backup tests share: a realistic data set made through the API, scanners writing meanwhile, and fingerprints of every table. */
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { claimLogoutToken, insertAttempt } from '../../src/modules/sign-in/session.repository.js';
import type { TestApp } from './app.js';
import { exportAll } from './fhir-export.js';
import { storeSession } from './sessions.js';
import { BADGE, GS, GTIN, GTIN_B, newProcedure, scan } from './theatre.js';
import { twoOrganisations, type TwoOrganisations } from './two-organisations.js';

function expect(res: { statusCode: number; body: string }, status: number, what: string) {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
}

export interface DataSet extends TwoOrganisations {
  /** RTA's recall of lots and serials, with a patient contacted. */
  readonly recallId: string;
}

/**
 * Two organisations with their keys, the catalogue (a national record and an
 * organisation's own values), procedures with implants at a place by a lead
 * clinician, an explant, a voided scan, recalls (all lots; lots and serials;
 * national) with a patient contacted, a critical warning and its decision,
 * consents, an organisation's compatibility rules and waivers, and a registry's
 * FHIR export downloaded: a row in every table.
 */
export async function realisticData(app: TestApp): Promise<DataSet> {
  const world = await twoOrganisations(app);
  const { a, national } = world;
  const s = a.org.keys.scanner;
  const p = a.org.keys.procurement;
  // Text COPY must carry exactly: quotes, a backslash, a tab, non-ASCII.
  expect(await app.request({ method: 'PATCH', url: `/v1/products/${GTIN}`, key: p, payload: { brand: 'Stem "X" \\ 2.0\tünïcode ✓' } }), 200, 'product override');
  expect(await app.request({ method: 'PUT', url: `/v1/products/${GTIN_B}`, key: national.procurement, payload: { brand: 'Cup B', manufacturer: 'Acme', implantable: true } }), 200, 'product');

  const items: string[] = [];
  for (let k = 0; k < 6; k++) {
    const proc = await newProcedure(app, s, 40_000 + k, { location: { gln: '9506000134369' }, clinician: { localId: 'CONS-1', name: 'Mr Knee' }, side: k % 2 ? 'left' : 'right' });
    const stem = await scan(app, s, proc, { barcode: `]d201${GTIN}17301231` + `10LOT-${k % 2 ? 'A' : 'B'}${GS}21S-${k}-1` });
    expect(stem, 201, 'scan');
    items.push(stem.json<{ item: { id: string } }>().item.id);
    expect(await scan(app, s, proc, { barcode: `01${GTIN_B}10CUP-${k}${GS}21C-${k}` }), 201, 'scan');
    if (k === 2) {
      const wrong = await scan(app, s, proc, { barcode: `01${GTIN_B}10CUP-X${GS}21C-X` });
      expect(await app.request({ method: 'POST', url: `/v1/scans/${wrong.json<{ scan: { id: string } }>().scan.id}/void`, key: s, payload: { reason: 'wrong box opened' } }), 200, 'void');
    }
  }
  // Every GTIN implant met the organisations' recalls: a critical warning. One is put aside, one overridden.
  expect(await app.request({ method: 'POST', url: `/v1/items/${items[0]}/decision`, key: s, payload: { outcome: 'not-used', disposition: 'quarantined' } }), 200, 'decision');
  expect(await app.request({ method: 'POST', url: `/v1/items/${items[1]}/decision`, key: s, payload: { outcome: 'implanted', reason: 'no alternative in stock' } }), 200, 'override');
  // A revision: patient 40,001's cup comes out.
  const revision = await newProcedure(app, s, 40_001);
  expect(await scan(app, s, revision, { barcode: `01${GTIN_B}21C-1`, action: 'explanted' }), 201, 'explant');

  const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: p, payload: { reference: 'FSN-BR-1', title: 'Cups, some lots and serials', scope: [{ gtin: GTIN_B, lots: ['CUP-1', 'CUP-2'], serials: ['C-4'] }] } });
  expect(recall, 201, 'recall');
  const recallId = recall.json<{ id: string }>().id;
  const affected = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients`, key: p });
  const first = affected.json<{ items: Array<{ itemId: string }> }>().items[0];
  if (!first) throw new Error('the recall affects nobody');
  expect(await app.request({ method: 'PATCH', url: `/v1/recalls/${recallId}/items/${first.itemId}`, key: p, payload: { status: 'contacted', note: 'letter sent' } }), 200, 'contact');

  // The organisation's compatibility rules: one of its own (then retired), and a national rule waived, lifted and waived again.
  const rule = { slug: 'one-stem', kind: 'at-most', severity: 'critical', components: ['femoral-stem'], max: 1, message: 'A second {candidate} "here": stop.' };
  expect(await app.request({ method: 'POST', url: '/v1/compatibility/rules', key: p, payload: rule }), 201, 'own rule');
  expect(await app.request({ method: 'POST', url: '/v1/compatibility/rules', key: p, payload: { ...rule, slug: 'retired-rule' } }), 201, 'own rule');
  expect(await app.request({ method: 'POST', url: '/v1/compatibility/rules/org.retired-rule/retire', key: p, payload: { reason: 'replaced' } }), 200, 'retire');
  const waive = { reason: 'Metal liners not stocked \\ "trial"\tünïcode' };
  expect(await app.request({ method: 'POST', url: '/v1/compatibility/rules/hip.bearing/waiver', key: p, payload: waive }), 200, 'waiver');
  expect(await app.request({ method: 'DELETE', url: '/v1/compatibility/rules/hip.bearing/waiver', key: p }), 200, 'lift');
  expect(await app.request({ method: 'POST', url: '/v1/compatibility/rules/hip.bearing/waiver', key: p, payload: waive }), 200, 'waiver again');

  // Stock: received (a unit and a lot with its AI 30 count, with quotes and non-ASCII in the supplier), moved, quarantined.
  const stock = (url: string, payload: object) => app.request({ method: 'POST', url, key: p, headers: { 'idempotency-key': randomUUID() }, payload });
  expect(await stock('/v1/stock/receipts', { location: { gln: '9506000134376' }, scans: [{ barcode: `01${GTIN_B}1728123121C-S1` }, { barcode: `01${GTIN_B}1728123110CUP-S${GS}3012` }], supplier: 'Acme "Ortho" \\ ünïcode', consignment: true }), 201, 'stock receipt');
  expect(await stock('/v1/stock/moves', { from: { gln: '9506000134376' }, to: { gln: '9506000134369' }, lines: [{ barcode: `01${GTIN_B}1728123110CUP-S`, quantity: 2 }] }), 201, 'stock move');
  expect(await stock('/v1/stock/quarantine', { location: { gln: '9506000134376' }, reason: 'FSN-BR-1', lines: [{ barcode: `01${GTIN_B}1728123121C-S1` }] }), 201, 'stock quarantine');
  // Par levels: set, then replaced (the history), one of them for an HIBC product.
  const par = (payload: object[]) => app.request({ method: 'PUT', url: '/v1/stock/par-levels', key: p, headers: { 'idempotency-key': randomUUID() }, payload });
  expect(await par([{ location: { gln: '9506000134369' }, gtin: GTIN_B, par: 4, reorderAt: 1 }, { location: { gln: '9506000134376' }, hibc: { lic: 'A123', pcn: 'CUP9' }, par: 2 }]), 200, 'par levels');
  expect(await par([{ location: { gln: '9506000134369' }, gtin: GTIN_B, par: 6 }]), 200, 'par level replaced');

  // Prices: a JSON list (an HIBC product, a supplier with quotes and non-ASCII) and a CSV import correcting one.
  expect(await stock('/v1/prices', [{ gtin: GTIN, unitPrice: '150.00', effectiveFrom: '2026-01-01', supplier: 'Acme "Ortho" \\ ünïcode', contractRef: 'NHSSC-1' }, { hibc: { lic: 'A123', pcn: 'CUP52' }, unitPrice: '19.15', effectiveFrom: '2026-03-01' }]), 201, 'prices');
  expect(
    await app.request({ method: 'POST', url: '/v1/prices/import', key: p, headers: { 'idempotency-key': randomUUID(), 'content-type': 'text/csv' }, payload: `gtin,unit_price,effective_from,contract_ref\n${GTIN},650.00,2026-01-01,"NHSSC-1, corrected"\n` }),
    201,
    'price import',
  );

  // A box checked before opening (a finding event, no item).
  expect(await app.request({ method: 'POST', url: `/v1/procedures/${revision}/check`, key: s, payload: { barcode: `01${GTIN_B}10CUP-9${GS}21C-9` } }), 200, 'check');
  // The case team: a scrub nurse badged in and handed over (the lead clinicians joined at opening).
  const scrub = await app.request({ method: 'POST', url: `/v1/procedures/${revision}/staff`, key: s, payload: { staff: { barcode: BADGE, name: 'Sam Scrub' }, role: 'scrub' } });
  expect(scrub, 200, 'badge in');
  expect(await app.request({ method: 'DELETE', url: `/v1/procedures/${revision}/staff/${scrub.json<{ atScanner: string }>().atScanner}`, key: s }), 200, 'hand over');

  // A person signed in, as the sign-in stores them (people, principal, session, a sign-in under way), who then acts.
  const now = new Date();
  const sessionId = await storeSession(app.db, { subject: 'subject-"1"', name: 'Nurse Ünïcode \\ "Tab"\t' }, { role: 'procurement', national: false, organisationId: a.org.id }, now);
  await insertAttempt(app.db, randomBytes(32), { state: 'state', nonce: 'nonce', codeVerifier: 'verifier', returnTo: '/console/recalls', expiresAt: new Date(now.getTime() + 600_000) }, now);
  expect(await app.request({ method: 'GET', url: `/v1/recalls/${recallId}`, cookies: { it_session: sessionId } }), 200, 'a read in a session');
  // A back-channel logout token accepted from the provider (its jti, kept until it is too old anyway).
  await claimLogoutToken(app.db, 'https://idp.example.invalid', 'logout-jti-1', new Date(now.getTime() + 360_000), now);

  // A registry's SMART client, and a token it got with a signed assertion.
  const { privateKey, publicKey } = await generateKeyPair('ES384');
  const clientId = 'njr-backup-client';
  expect(
    await app.request({ method: 'POST', url: '/v1/smart/clients', key: app.adminKey, payload: { clientId, registry: 'NJR', national: true, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' }] } } }),
    201,
    'SMART client',
  );
  const tokenUrl = (await app.request({ method: 'GET', url: '/.well-known/smart-configuration' })).json<{ token_endpoint: string }>().token_endpoint;
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES384', kid: 'k1', typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl)
    .setExpirationTime('4m')
    .sign(privateKey);
  const form = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope: 'system/*.rs' };
  expect(await app.request({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form).toString() }), 200, 'SMART token');

  await exportAll(app, national.registry, 'NJR');
  return { ...world, recallId };
}

/** Every page of a recall's affected patients, its detail and counts: what the Medical Device Safety Officer sees. */
export async function recallAnswers(app: TestApp, data: DataSet): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {};
  const asks: Array<[string, string, string]> = [
    ['RTA lots and serials', data.recallId, data.a.org.keys.procurement],
    ['RTA all lots', data.a.recallId, data.a.org.keys.procurement],
    ['national, seen nationally', data.nationalRecallId, data.national.procurement],
  ];
  for (const [name, id, key] of asks) {
    const detail = await app.request({ method: 'GET', url: `/v1/recalls/${id}`, key });
    expect(detail, 200, name);
    const patients: unknown[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.request({ method: 'GET', url: `/v1/recalls/${id}/patients?limit=2${cursor ? `&cursor=${cursor}` : ''}`, key });
      expect(res, 200, name);
      const page = res.json<{ items: unknown[]; nextCursor: string | null }>();
      patients.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const csv = await app.request({ method: 'GET', url: `/v1/recalls/${id}/patients?format=csv`, key });
    // The CSV's row order is not defined (no ORDER BY): compare its lines as a set, the header first.
    const [head, ...lines] = csv.body.trimEnd().split('\n');
    answers[name] = { detail: detail.json(), patients, csv: [head, ...lines.sort()] };
  }
  return answers;
}

export interface Acked {
  readonly idempotencyKey: string;
  readonly body: Record<string, unknown>;
  readonly scanId: string;
}

export interface Writers {
  readonly acked: readonly Acked[];
  /** Resolves once this many scans have been acknowledged in all. */
  waitFor(count: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Scanners recording scans one after another into an open procedure, each
 * with its own Idempotency-Key, until stopped; every 201 is kept. `send`
 * answers the status and the scan id.
 */
export function startWriters(send: (body: Record<string, unknown>, idempotencyKey: string) => Promise<{ status: number; scanId: string | undefined; text: string }>, scanners = 3): Writers {
  let stopping = false;
  const acked: Acked[] = [];
  const loops = Array.from({ length: scanners }, async (_, w) => {
    for (let i = 0; !stopping; i++) {
      // A cup nobody recalled: the recalls' answers stay as they were.
      const body = { barcode: `01${GTIN_B}10W${w}${GS}21W${w}-${i}` };
      const idempotencyKey = randomUUID();
      const res = await send(body, idempotencyKey);
      if (res.status !== 201 || res.scanId === undefined) throw new Error(`a writer's scan: ${res.status} ${res.text}`);
      acked.push({ idempotencyKey, body, scanId: res.scanId });
    }
  });
  const all = Promise.all(loops);
  all.catch(() => undefined);
  return {
    acked,
    async waitFor(count) {
      while (acked.length < count) {
        await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 5))]);
      }
    },
    async stop() {
      stopping = true;
      await all;
    },
  };
}

/** Scans through the app, for startWriters. */
export const injectScans = (app: TestApp, key: string, procedureId: string) => async (body: Record<string, unknown>, idempotencyKey: string) => {
  const res = await scan(app, key, procedureId, body, idempotencyKey);
  return { status: res.statusCode, scanId: res.statusCode === 201 ? res.json<{ scan: { id: string } }>().scan.id : undefined, text: res.body };
};

/**
 * Every table of the service's schema: its row count and an MD5 of all its
 * rows in order, as this connection sees them (in its snapshot). Two
 * databases with equal fingerprints hold the same rows, column for column.
 */
export async function fingerprint(client: pg.ClientBase): Promise<Record<string, string>> {
  const tables = await client.query<{ name: string }>(`select relname as name from pg_class where relnamespace = current_schema()::regnamespace and relkind = 'r' order by 1`);
  const out: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const row = await client.query<{ n: number; md5: string }>(
      `select count(*)::int as n, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as md5 from ${client.escapeIdentifier(name)} t`,
    );
    out[name] = `${row.rows[0]?.n} rows, md5 ${row.rows[0]?.md5}`;
  }
  return out;
}

export const rowsOf = (print: Record<string, string>) => Object.fromEntries(Object.entries(print).map(([table, value]) => [table, Number.parseInt(value, 10)]));

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const SCRIPTS = { backup: fileURLToPath(new URL('../../scripts/backup.ts', import.meta.url)), restore: fileURLToPath(new URL('../../scripts/restore.ts', import.meta.url)) };

/** Runs `npm run backup` or `npm run restore` (the script, with the test runner's TypeScript loader) to its end. */
export function runScript(script: keyof typeof SCRIPTS, args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const clean = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR']) delete clean[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, SCRIPTS[script], ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** The row counts a backup or restore printed, table by table. */
export function countsPrinted(stderr: string): Record<string, number> {
  return Object.fromEntries([...stderr.matchAll(/^(?:backup|restore): {3}(\S+) +([0-9,]+) rows$/gm)].map((m) => [m[1] ?? '', Number((m[2] ?? '').replaceAll(',', ''))]));
}
