/// <reference lib="dom" />
/**
 * The theatre page's browser tests share these: sign in with a key, open a
 * case as a wedge would, find the case opened; axe-core's WCAG 2.1 A/AA
 * checks are browser.ts's, re-exported.
 */
import type { Page } from 'playwright-core';
import type { ConsoleServer } from './browser.js';
import { wedgeType } from './browser.js';

export { axeViolations } from './browser.js';
import { PLACE } from './theatre.js';

/** The theatre's GLN, typed into the location field (the wall label without its AI). */
export const THEATRE_GLN = PLACE.slice(3);

/** Signs in on the key form: the key typed, then Enter. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.keyboard.press('Enter');
}

/** Opens a case by typing the NHS number and the GLN into the two fields, as a wedge would, Enter after each. */
export async function openCase(page: Page, nhs: string): Promise<void> {
  await page.getByLabel(/^Patient/).waitFor();
  await wedgeType(page, nhs);
  await wedgeType(page, THEATRE_GLN);
  await page.getByLabel('Scan an item').waitFor();
}

/** The id of the patient's latest case. */
export async function currentProcedureId(server: ConsoleServer, nhs: string): Promise<string> {
  const row = await server.db.selectFrom('procedures as p').innerJoin('patients as pa', 'pa.id', 'p.patient_id').select('p.id').where('pa.nhs_number', '=', nhs).orderBy('p.started_at', 'desc').executeTakeFirstOrThrow();
  return row.id;
}

