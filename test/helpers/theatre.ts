import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';

import { nhsNumber } from '../../scripts/data/scan-mix.js';

// The theatre's test data and the benchmarks' load share one generator.
export { GS, nhsNumber } from '../../scripts/data/scan-mix.js';

export const GTIN = '09506000134352';
/** Another valid GTIN on the same prefix. */
export const GTIN_B = '09506000134369';
export const WRISTBAND = (gsrn: string) => `]d28018${gsrn}`;
export const PLACE = '4149506000134369';
/** A staff badge (AI 8017 GSRN) as a DataMatrix scanner sends it. */
export const BADGE = ']d28017950600013435200053';

export async function openProcedure(app: TestApp, key: string, body: Record<string, unknown>) {
  return app.request({ method: 'POST', url: '/v1/procedures', key, payload: body });
}

export async function scan(app: TestApp, key: string, procedureId: string, body: Record<string, unknown>, idempotencyKey: string = randomUUID()) {
  return app.request({
    method: 'POST',
    url: `/v1/procedures/${procedureId}/scans`,
    key,
    headers: { 'idempotency-key': idempotencyKey },
    payload: body,
  });
}

/** Opens a procedure for a new patient and answers its id. */
export async function newProcedure(app: TestApp, key: string, seed: number, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await openProcedure(app, key, { patient: { nhsNumber: nhsNumber(seed) }, ...extra });
  if (res.statusCode !== 201) throw new Error(`opening a procedure: ${res.statusCode} ${res.body}`);
  return res.json<{ id: string }>().id;
}
