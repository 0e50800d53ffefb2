import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import { createOrganisationWithKeys, type OrganisationKeys, type TestApp } from './app.js';
import { GS, GTIN, nhsNumber, openProcedure, scan } from './theatre.js';

/** One organisation's patient data, made through the API. */
export interface Holdings {
  readonly org: OrganisationKeys;
  readonly nhs: string;
  readonly patientId: string;
  /** Completed procedure with one implanted item. */
  readonly procedureId: string;
  /** A second, still open procedure of the same patient. */
  readonly openProcedureId: string;
  readonly scanId: string;
  readonly itemId: string;
  readonly serial: string;
  /** The organisation's own recall of GTIN (all lots). */
  readonly recallId: string;
}

export interface TwoOrganisations {
  readonly a: Holdings;
  readonly b: Holdings;
  /** A recall of GTIN made with a national procurement key: every organisation sees it. */
  readonly nationalRecallId: string;
  readonly national: { readonly procurement: string; readonly registry: string };
}

function expect(res: { statusCode: number; body: string }, status: number, what: string) {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
}

async function holdings(app: TestApp, odsCode: string, seed: number, lot: string): Promise<Holdings> {
  const org = await createOrganisationWithKeys(app, odsCode);
  const nhs = nhsNumber(seed);
  const opened = await openProcedure(app, org.keys.scanner, {
    patient: { nhsNumber: nhs, dateOfBirth: '1950-05-05' },
    clinician: { localId: `${odsCode}-C1`, name: 'Ms A Surgeon' },
    procedureCode: 'W37.1',
    side: 'left',
    startedAt: '2025-03-01T09:00:00Z',
  });
  expect(opened, 201, 'open procedure');
  const procedureId = opened.json<{ id: string; patient: { id: string } }>().id;
  const patientId = opened.json<{ patient: { id: string } }>().patient.id;
  const serial = `SER-${seed}`;
  const scanned = await scan(app, org.keys.scanner, procedureId, { barcode: `01${GTIN}17301231` + `10${lot}${GS}21${serial}` });
  expect(scanned, 201, 'scan');
  const { scan: s, item } = scanned.json<{ scan: { id: string }; item: { id: string } }>();
  expect(await app.request({ method: 'POST', url: `/v1/procedures/${procedureId}/complete`, key: org.keys.scanner }), 200, 'complete');
  const second = await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: nhs } });
  expect(second, 201, 'open second procedure');
  const consent = await app.request({ method: 'POST', url: '/v1/consents', key: org.keys.scanner, payload: { nhsNumber: nhs, registry: 'NJR', status: 'granted', recordedAt: '2025-03-01T08:00:00Z' } });
  expect(consent, 201, 'consent');
  const recall = await app.request({
    method: 'POST',
    url: '/v1/recalls',
    key: org.keys.procurement,
    payload: { reference: `FSN-${odsCode}`, title: `${odsCode} recall`, scope: [{ gtin: GTIN, allLots: true }] },
  });
  expect(recall, 201, 'recall');
  return {
    org,
    nhs,
    patientId,
    procedureId,
    openProcedureId: second.json<{ id: string }>().id,
    scanId: s.id,
    itemId: item.id,
    serial,
    recallId: recall.json<{ id: string }>().id,
  };
}

/** Organisations RTA and RTB, each with a patient, procedures, a scan, a recall and consent; a national recall and keys. */
export async function twoOrganisations(app: TestApp): Promise<TwoOrganisations> {
  const key = async (payload: object) => {
    const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload });
    expect(res, 201, 'national key');
    return res.json<{ key: string }>().key;
  };
  const national = {
    procurement: await key({ name: 'MHRA', role: 'procurement', national: true }),
    registry: await key({ name: 'National NJR', role: 'registry', national: true, registry: 'NJR' }),
  };
  // The national catalogue record, which both organisations see.
  const product = await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: national.procurement, payload: { brand: 'Hip Stem X', manufacturer: 'Acme', implantable: true } });
  expect(product, 200, 'product');
  const a = await holdings(app, 'RTA', 31_001, 'LOT-A');
  const b = await holdings(app, 'RTB', 32_001, 'LOT-B');
  const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: national.procurement, payload: { reference: 'MHRA-1', title: 'National', scope: [{ gtin: GTIN, allLots: true }] } });
  expect(recall, 201, 'national recall');
  return { a, b, national, nationalRecallId: recall.json<{ id: string }>().id };
}

/** Every row the organisation owns, in every table that has an owner, plus every contact step: to compare before and after. */
export async function ownedRows(db: Db, organisationId: string): Promise<Record<string, unknown[]>> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.columns
     WHERE table_schema = 'public' AND column_name = 'organisation_id' AND table_name <> 'audit_events'
     ORDER BY table_name`.execute(db);
  const out: Record<string, unknown[]> = {};
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: unknown }>`SELECT to_jsonb(t) AS row FROM ${sql.table(table_name)} t WHERE organisation_id = ${organisationId} ORDER BY 1`.execute(db);
    out[table_name] = rows.rows.map((r) => r.row);
  }
  const contacts = await sql<{ row: unknown }>`SELECT to_jsonb(c) AS row FROM recall_contacts c ORDER BY 1`.execute(db);
  out['recall_contacts'] = contacts.rows.map((r) => r.row);
  return out;
}

/** The NHS number as people write it: plain, spaced 3-3-4, hyphenated. */
export function nhsForms(nhs: string): string[] {
  return [nhs, `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`, `${nhs.slice(0, 3)}-${nhs.slice(3, 6)}-${nhs.slice(6)}`];
}

/** Whether the logs hold an NHS number in any written form, or a secret. */
export function leaks(app: TestApp, nhsNumbers: readonly string[], secrets: readonly string[]): string[] {
  const raw = app.rawLogs();
  const found: string[] = [];
  for (const nhs of nhsNumbers) {
    if (app.logsContainNumber(nhs)) found.push(`NHS number ${nhs}`);
    for (const form of nhsForms(nhs).slice(1)) if (raw.includes(form)) found.push(`NHS number written ${form}`);
  }
  for (const secret of secrets) if (raw.includes(secret)) found.push(`secret ${secret.slice(0, 8)}…`);
  if (/bearer\s+\S/i.test(raw)) found.push('a bearer token');
  return found;
}
