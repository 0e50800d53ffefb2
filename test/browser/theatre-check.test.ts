/// <reference lib="dom" />
/**
 * The theatre page's check before opening (issue 16), in real headless
 * Chromium against the real service: a box scanned in check mode is checked
 * against the case (POST /v1/procedures/{id}/check) and nothing is recorded;
 * the verdict is read at arm's length; put aside sends nothing, open and
 * record goes through the outbox as an ordinary scan, and a critical warning
 * then asks for the usual decision. Offline, a check is refused plainly and
 * never queued as a scan.
 *
 * SCREENSHOTS_DIR=/tmp/… saves the DO NOT OPEN view (check-do-not-open.png, 1024×768; check-do-not-open-768.png, portrait).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import { createOrganisationWithKeys, type OrganisationKeys } from '../helpers/app.js';
import { browserRequired, browserUnavailable, launchBrowser, newTablet, startConsoleServer, wedgeType, type ConsoleServer } from '../helpers/browser.js';
import { GS, nhsNumber } from '../helpers/theatre.js';
import { axeViolations, currentProcedureId, openCase, signIn } from '../helpers/theatre-page.js';

const SHOTS = process.env.SCREENSHOTS_DIR;

// Valid GTINs on GS1's example prefix 952 (as in test/integration/compatibility-check.test.ts).
const STEM_10_12 = '09520000000011';
const HEAD_12_14 = '09520000000028';
const STEM_12_14 = '09520000000042';
const PLAIN = '09520000000066';
const HEAD_OTHER_12_14 = '09520000000073';

let serial = 0;
/** A GS1 DataMatrix as a wedge types it: GTIN, expiry, lot, GS, serial. */
const label = (gtin: string, lot: string) => `]d201${gtin}1730123110${lot}${GS}21C${++serial}`;

const recorded = (page: Page, text: string) => page.locator('[data-state=recorded]').filter({ hasText: text });
const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? '');
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

interface ApiItem {
  id: string;
  gtin: string | null;
  lotNumber: string | null;
  entryType: string;
  decision: { status: string; reason: string | null } | null;
}

/** The case's items as the API answers them. */
async function apiItems(server: ConsoleServer, key: string, procedureId: string): Promise<ApiItem[]> {
  const res = await server.request({ method: 'GET', url: `/v1/procedures/${procedureId}`, key });
  return res.json<{ items: ApiItem[] }>().items;
}

/** The checks kept for the case, as the API lists them (oldest first). */
async function apiChecks(server: ConsoleServer, key: string, procedureId: string) {
  const res = await server.request({ method: 'GET', url: `/v1/procedures/${procedureId}/checks`, key });
  return res.json<{ checks: Array<{ outcome: string; entryType: string; lotNumber: string | null; findings: Array<{ code: string; severity: string }> }> }>().checks;
}

async function scansOf(server: ConsoleServer, procedureId: string) {
  return server.db.selectFrom('scans').select(['raw', 'entry_type', 'lot_number']).where('procedure_id', '=', procedureId).orderBy('recorded_at').execute();
}

const unavailable = browserUnavailable();
const skip = unavailable !== null && !browserRequired() ? unavailable : false;

t.test('theatre page: check before opening', { skip }, async (t) => {
  const server = await startConsoleServer(t);
  const org: OrganisationKeys = await createOrganisationWithKeys(server, 'RTC');
  const key = org.keys.scanner;
  const national = await server.request({ method: 'POST', url: '/v1/api-keys', key: server.adminKey, payload: { name: 'national procurement', role: 'procurement', national: true } });
  if (national.statusCode !== 201) throw new Error(`national key: ${national.statusCode}`);
  const product = async (gtin: string, manufacturer: string, clinical: object | null) => {
    const res = await server.request({ method: 'PUT', url: `/v1/products/${gtin}`, key: national.json<{ key: string }>().key, payload: { brand: `Brand ${gtin.slice(-3)}`, manufacturer, implantable: true, ...(clinical ? { clinical } : {}) } });
    if (res.statusCode !== 200) throw new Error(res.body);
  };
  await product(STEM_10_12, 'Acme Ortho', { component: 'femoral-stem', laterality: 'none', taper: '10/12' });
  await product(STEM_12_14, 'Acme Ortho', { component: 'femoral-stem', laterality: 'none', taper: '12/14' });
  await product(HEAD_12_14, 'Acme Ortho', { component: 'femoral-head', laterality: 'none', taper: '12/14', headDiameterMm: 32, bearing: 'ceramic' });
  await product(HEAD_OTHER_12_14, 'Other Joint Co', { component: 'femoral-head', laterality: 'none', taper: '12/14', headDiameterMm: 32, bearing: 'ceramic' });
  await product(PLAIN, 'Acme Ortho', null);
  const browser = await launchBrowser(t);
  const url = `${server.baseUrl}/console/theatre`;

  /** A case with a stem already implanted, and the page in check mode. */
  async function caseWithStem(seed: number, stem: string, stemLot: string) {
    const tablet = await newTablet(browser, t);
    const { page } = tablet;
    await page.goto(url);
    await signIn(page, key);
    const nhs = nhsNumber(seed);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);
    await wedgeType(page, label(stem, stemLot));
    await recorded(page, stemLot).waitFor();
    await page.getByRole('radio', { name: 'Check before opening' }).check();
    await page.locator('.check-banner').waitFor();
    return { ...tablet, procedureId };
  }

  t.test('a 12/14 head checked against a 10/12 stem: DO NOT OPEN, in large type; nothing recorded; put aside returns to the field', async (t) => {
    const { page, errors, procedureId } = await caseWithStem(901, STEM_10_12, 'STEM1');
    t.equal(await focusedId(page), 'scan', 'the scan field keeps the focus in check mode');
    t.equal(await page.locator('.check-banner').innerText(), 'CHECK ONLY — nothing is recorded', 'the banner says a check records nothing');
    t.equal(await page.getByLabel('Scan a box to check it').count(), 1, 'the field says it checks');
    t.equal(await page.getByRole('radio', { name: 'Implant' }).count(), 0, 'no action to choose: a check is always as implanted');
    t.same(await axeViolations(page), [], 'check mode has no WCAG A/AA violations');

    await wedgeType(page, label(HEAD_12_14, 'HEAD1'));
    const result = page.getByTestId('check-result');
    await result.waitFor();
    t.equal(await result.getAttribute('data-outcome'), 'critical');
    t.equal(await result.getAttribute('role'), 'alert', 'announced at once');
    t.equal(await result.getByRole('heading', { level: 2 }).innerText(), 'DO NOT OPEN');
    const text = await result.innerText();
    t.match(text, /CHECK ONLY: NOTHING WAS RECORDED\. CHECKED \d+ \w+ \d{4}, \d\d:\d\d/i);
    const inView = await page.evaluate(() => {
      const verdict = document.querySelector('.check-verdict')?.getBoundingClientRect();
      const choice = document.activeElement?.getBoundingClientRect();
      return verdict !== undefined && choice !== undefined && verdict.top >= 0 && choice.bottom <= window.innerHeight;
    });
    t.ok(inView, 'the verdict and the focused choice are both on the screen');
    t.match(text, /STOP: taper mismatch\.\s*[\s\S]*femoral head has a 12\/14 taper and the stem a 10\/12 taper/i, 'the finding’s message, with its severity in words');
    t.match(text, new RegExp(`GTIN\\s+${HEAD_12_14}[\\s\\S]*Lot\\s+HEAD1[\\s\\S]*Serial\\s+C${serial}[\\s\\S]*Expiry\\s+31 Dec 2030`), 'the box: GTIN, lot, serial, expiry');
    t.match(text, /must then decide: put it aside, or implant it anyway with a reason/);
    const size = await result.locator('.check-verdict').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    t.ok(size >= 48, `the verdict reads at arm's length (${size}px)`);
    const finding = await result.locator('.check-findings li').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    t.ok(finding >= 24, `the finding too (${finding}px)`);
    t.equal(await focusedText(page), 'Put aside — do not open', 'put aside takes the focus');
    t.equal(await result.getByRole('button', { name: 'Open it and record as implanted' }).count(), 1);
    t.same(await axeViolations(page), [], 'the DO NOT OPEN view has no WCAG A/AA violations');
    if (SHOTS) {
      await page.screenshot({ path: path.join(SHOTS, 'check-do-not-open.png') });
      await page.screenshot({ path: path.join(SHOTS, 'check-do-not-open-full.png'), fullPage: true });
      await page.setViewportSize({ width: 768, height: 1024 });
      await page.screenshot({ path: path.join(SHOTS, 'check-do-not-open-768.png') });
      await page.setViewportSize({ width: 1024, height: 768 });
    }
    t.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, 'nothing scrolls sideways');

    const items = await apiItems(server, key, procedureId);
    t.same(
      items.map((i) => i.lotNumber),
      ['STEM1'],
      'only the stem is on record: the check recorded no item',
    );
    const checks = await apiChecks(server, key, procedureId);
    t.match(checks, [{ outcome: 'critical', entryType: 'barcode', lotNumber: 'HEAD1', findings: [{ code: 'TAPER_MISMATCH', severity: 'critical' }] }], 'the check is kept');

    await page.keyboard.press('Enter');
    await result.waitFor({ state: 'detached' });
    t.equal(await focusedId(page), 'scan', 'put aside: back to the scan field');
    t.match(await page.locator('.notice').innerText(), /Put aside, not opened: GTIN 09520000000028, lot HEAD1.*Nothing was recorded/);
    t.equal(await page.locator('.check-banner').count(), 1, 'still in check mode');
    t.equal((await apiItems(server, key, procedureId)).length, 1, 'still nothing recorded');
    t.equal((await scansOf(server, procedureId)).length, 1, 'no scan sent');
    const history = page.getByTestId('check');
    await history.first().waitFor();
    t.match(await history.first().innerText(), /DO NOT OPEN[\s\S]*GTIN 09520000000028, lot HEAD1[\s\S]*STOP: taper mismatch/, 'the check is listed under the case');

    // Escape from the scan field goes to the check's choices; Escape there puts the box aside.
    await wedgeType(page, label(HEAD_12_14, 'HEAD1B'));
    await result.waitFor();
    await page.getByLabel('Scan a box to check it').focus();
    await page.keyboard.press('Escape');
    t.equal(await focusedText(page), 'Put aside — do not open', 'Escape in the field goes to the choice');
    await page.keyboard.press('Escape');
    await result.waitFor({ state: 'detached' });
    t.equal(await focusedId(page), 'scan');
    await page.getByTestId('check').nth(1).waitFor();
    t.match(await page.getByTestId('check').first().innerText(), /HEAD1B/, 'newest first');
    t.same(errors, []);
  });

  t.test('nothing found: OK TO OPEN, and Record as implanted records it; a product without clinical details is "not fully checked", never OK', async (t) => {
    const { page, errors, procedureId } = await caseWithStem(902, STEM_12_14, 'STEM2');
    const head = label(HEAD_12_14, 'HEAD2');
    await wedgeType(page, head);
    const result = page.getByTestId('check-result');
    await result.waitFor();
    t.equal(await result.getByRole('heading', { level: 2 }).innerText(), 'OK TO OPEN');
    t.equal(await focusedText(page), 'Record as implanted', 'the primary choice takes the focus');
    t.same(await axeViolations(page), [], 'the OK TO OPEN view has no WCAG A/AA violations');
    t.equal((await apiItems(server, key, procedureId)).length, 1, 'checked, not recorded');
    await page.keyboard.press('Enter');
    await result.waitFor({ state: 'detached' });
    await recorded(page, 'HEAD2').waitFor();
    t.equal(await focusedId(page), 'scan', 'back to the scan field');
    const items = await apiItems(server, key, procedureId);
    t.match(items.find((i) => i.lotNumber === 'HEAD2'), { gtin: HEAD_12_14, entryType: 'barcode', decision: null }, 'recorded as implanted, no decision needed');
    t.same((await scansOf(server, procedureId)).at(-1), { raw: head, entry_type: 'barcode', lot_number: 'HEAD2' }, 'the label exactly as it was checked');

    // A product the catalogue does not describe: information only, said as not fully checked.
    await wedgeType(page, label(PLAIN, 'PLAIN2'));
    await result.waitFor();
    t.equal(await result.getAttribute('data-outcome'), 'info');
    t.equal(await result.getByRole('heading', { level: 2 }).innerText(), 'No problem found — not fully checked');
    const text = await result.innerText();
    t.match(text, /Compatibility not checked\.[\s\S]*no clinical details/i, 'what could not be checked, in words');
    t.notMatch(text, /OK TO OPEN/, 'never OK TO OPEN');
    const background = await result.evaluate((el) => getComputedStyle(el).backgroundColor);
    t.not(background, 'rgb(229, 242, 234)', 'not the green of OK TO OPEN');
    t.equal(await focusedText(page), 'Record as implanted');
    t.same(await axeViolations(page), [], 'the not-fully-checked view has no WCAG A/AA violations');
    await page.keyboard.press('Escape');
    await result.waitFor({ state: 'detached' });
    t.equal((await apiItems(server, key, procedureId)).length, 2, 'put aside: nothing recorded');

    // Back to recording: a scan is recorded again.
    await page.getByRole('radio', { name: 'Record it' }).check();
    t.equal(await page.locator('.check-banner').count(), 0);
    t.equal(await focusedId(page), 'scan');
    await wedgeType(page, label(PLAIN, 'PLAIN3'));
    await recorded(page, 'PLAIN3').waitFor();
    t.same(errors, []);
  });

  t.test('a warning: CHECK BEFORE OPENING, with put aside first and the finding in words', async (t) => {
    const { page, errors, procedureId } = await caseWithStem(905, STEM_12_14, 'STEM5');
    await wedgeType(page, label(HEAD_OTHER_12_14, 'OTHER5'));
    const result = page.getByTestId('check-result');
    await result.waitFor();
    t.equal(await result.getAttribute('data-outcome'), 'warning');
    t.equal(await result.getByRole('heading', { level: 2 }).innerText(), 'CHECK BEFORE OPENING');
    t.match(await result.innerText(), /Check: mixed manufacturer\./i);
    t.equal(await focusedText(page), 'Put aside — do not open', 'put aside takes the focus');
    t.equal(await result.getByRole('button', { name: 'Open it and record as implanted' }).count(), 1);
    t.same(await axeViolations(page), [], 'the CHECK BEFORE OPENING view has no WCAG A/AA violations');
    t.equal((await apiItems(server, key, procedureId)).length, 1, 'checked, not recorded');
    t.same(errors, []);
  });

  t.test('a critical check typed in, then Open it and record: the STOP and its decision, an override with a reason', async (t) => {
    const { page, errors, procedureId } = await caseWithStem(903, STEM_10_12, 'STEM3');
    await page.getByRole('button', { name: 'Type a box in to check it' }).click();
    t.equal(await focusedId(page), 'manual-gtin');
    await page.keyboard.type(HEAD_12_14);
    await page.getByLabel('Lot').fill('HEAD3');
    await page.getByLabel('Serial number').fill('SN-3');
    await page.getByLabel('Expiry date').fill('2030-12-31');
    await page.getByRole('button', { name: 'Check this box' }).click();
    const result = page.getByTestId('check-result');
    await result.waitFor();
    t.equal(await result.getByRole('heading', { level: 2 }).innerText(), 'DO NOT OPEN');
    t.match(await result.innerText(), /Entry\s+Typed in/);
    t.equal(await focusedText(page), 'Put aside — do not open');
    t.equal((await apiItems(server, key, procedureId)).length, 1, 'checked, not recorded');
    t.match(await apiChecks(server, key, procedureId), [{ entryType: 'manual', outcome: 'critical' }]);

    await page.keyboard.press('Tab');
    t.equal(await focusedText(page), 'Open it and record as implanted');
    await page.keyboard.press('Enter');
    // Recorded like any scan: the critical warning stops the team and asks for the decision.
    const banner = page.locator('#alert-decision');
    await banner.getByRole('button', { name: 'Put aside (not used)' }).waitFor();
    t.match(await banner.innerText(), /STOP: do not implant[\s\S]*lot HEAD3[\s\S]*TAPER MISMATCH/);
    t.equal(await focusedText(page), 'Put aside (not used)', 'the decision takes the focus');
    const head = (await apiItems(server, key, procedureId)).find((i) => i.lotNumber === 'HEAD3');
    t.match(head, { entryType: 'manual', decision: { status: 'pending' } }, 'recorded as typed in, waiting for the decision');
    await page.keyboard.press('Tab');
    t.equal(await focusedText(page), 'Implant anyway');
    await page.keyboard.press('Enter');
    t.equal(await focusedId(page), 'alert-decision-reason', 'the override asks for its reason');
    const reason = 'Consultant confirmed the adaptor sleeve is used';
    await page.keyboard.type(reason);
    await page.keyboard.press('Enter');
    await banner.waitFor({ state: 'detached' });
    await recorded(page, 'HEAD3').getByText(`Implanted despite warning: ${reason}`).waitFor();
    t.match((await apiItems(server, key, procedureId)).find((i) => i.lotNumber === 'HEAD3')?.decision, { status: 'implanted', reason }, 'the override is on record with its reason');
    t.same(
      (await scansOf(server, procedureId)).map((s) => [s.entry_type, s.lot_number]),
      [
        ['barcode', 'STEM3'],
        ['manual', 'HEAD3'],
      ],
    );
    t.same(errors, []);
  });

  t.test('offline: a check is refused plainly, and never queued as a scan', async (t) => {
    const { context, page, errors, procedureId } = await caseWithStem(904, STEM_10_12, 'STEM4');
    await context.setOffline(true);
    await wedgeType(page, label(HEAD_12_14, 'HEAD4'));
    const problem = page.locator('.check-problem');
    await problem.waitFor();
    t.equal(await problem.getAttribute('role'), 'alert');
    t.match(await problem.innerText(), /Offline: this box cannot be checked now\. A check needs the service’s answer[\s\S]*Nothing was checked and nothing was recorded/);
    t.equal(await page.getByTestId('check-result').count(), 0, 'no verdict');
    t.equal(await page.locator('[data-state=pending]').count(), 0, 'nothing waits to be sent');
    t.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('implant-trace.outbox.')).length), 0, 'the outbox is empty');
    t.equal(await focusedId(page), 'scan');
    t.same(await axeViolations(page), [], 'the refusal has no WCAG A/AA violations');
    await context.setOffline(false);
    await page.locator('.connection').filter({ hasText: 'every scan is on record' }).waitFor();
    await page.waitForTimeout(500);
    t.same(
      (await scansOf(server, procedureId)).map((s) => s.lot_number),
      ['STEM4'],
      'back online: nothing was sent as a scan',
    );
    t.same(await apiChecks(server, key, procedureId), [], 'and no check was made');
    t.same(errors, []);
  });
});
