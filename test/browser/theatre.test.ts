/// <reference lib="dom" />
/**
 * The theatre page in real headless Chromium against the real service: a
 * keyboard-wedge scanner typing into the page, critical warnings and the
 * decision they ask for, the outbox through a dropped network and a lost
 * response, void, completion, keyboard use and accessibility.
 *
 * SCREENSHOTS_DIR=/tmp saves the STOP banner with its decisions (stop-banner.png, 1024×768; stop-banner-768.png,
 * portrait) and its two steps (stop-banner-put-aside.png, stop-banner-reason.png).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import { createOrganisationWithKeys, type OrganisationKeys } from '../helpers/app.js';
import { browserRequired, browserUnavailable, launchBrowser, newTablet, startConsoleServer, wedgeType, type ConsoleServer } from '../helpers/browser.js';
import { GS, GTIN, GTIN_B, nhsNumber, WRISTBAND } from '../helpers/theatre.js';
import { axeViolations, currentProcedureId, openCase, signIn, THEATRE_GLN } from '../helpers/theatre-page.js';

const SHOTS = process.env.SCREENSHOTS_DIR;
const GSRN = '950600013435200039';

const lines = (page: Page) => page.locator('[data-testid=line]');
/** Lines of items on record (not waiting to be sent, not refused). */
const recorded = (page: Page, text: string) => page.locator('[data-state=recorded]').filter({ hasText: text });

async function itemsOf(server: ConsoleServer, procedureId: string) {
  return server.db.selectFrom('items').select(['id', 'gtin', 'lot_number', 'serial_number', 'expiration_date', 'status', 'action']).where('procedure_id', '=', procedureId).orderBy('first_scanned_at').execute();
}

async function scansOf(server: ConsoleServer, procedureId: string) {
  return server.db.selectFrom('scans').select(['id', 'kind', 'raw', 'lot_number']).where('procedure_id', '=', procedureId).orderBy('recorded_at').execute();
}

/** The text of the focused element and the item whose decision controls hold it, if any. */
const focused = (page: Page) =>
  page.evaluate(() => ({ text: document.activeElement?.textContent ?? '', id: document.activeElement?.id ?? '', decisionFor: document.activeElement?.closest<HTMLElement>('[data-decision-for]')?.dataset.decisionFor ?? null }));

async function itemIdOf(server: ConsoleServer, procedureId: string, lot: string): Promise<string> {
  const row = await server.db.selectFrom('items').select('id').where('procedure_id', '=', procedureId).where('lot_number', '=', lot).executeTakeFirstOrThrow();
  return row.id;
}

/** The items of a case as the API answers them (decision included). */
async function apiItems(server: ConsoleServer, key: string, procedureId: string) {
  const res = await server.request({ method: 'GET', url: `/v1/procedures/${procedureId}`, key });
  return res.json<{ items: Array<{ id: string; lotNumber: string | null; decision: { status: string; reason: string | null; disposition: string | null } | null }> }>().items;
}

const unavailable = browserUnavailable();
// Skipped where no browser is installed; where one is required (CI), its absence fails at launch.
const skip = unavailable !== null && !browserRequired() ? unavailable : false;

t.test('theatre page', { skip }, async (t) => {
  const server = await startConsoleServer(t);
  const org: OrganisationKeys = await createOrganisationWithKeys(server, 'RTH');
  const browser = await launchBrowser(t);
  const url = `${server.baseUrl}/console/theatre`;

  t.test('a scanner key signs in; a procurement key is refused, with the reason', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    t.same(await axeViolations(page), [], 'the sign-in page has no WCAG A/AA violations');
    await signIn(page, org.keys.procurement);
    t.match(await page.getByRole('alert').innerText(), /procurement key\. This page needs a scanner key/);
    await signIn(page, 'not-a-key-at-all');
    t.match(await page.getByRole('alert').innerText(), /not known/);
    await signIn(page, org.keys.scanner);
    await page.getByRole('heading', { name: 'Open a case' }).waitFor();
    t.same(await axeViolations(page), [], 'the open-case page has no WCAG A/AA violations');
    t.same(errors, [], 'no page errors');
  });

  t.test('opening a case: a mistyped NHS number is marked on its field; an unknown wristband asks for its NHS number once', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    await page.getByLabel(/^Patient/).waitFor();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'patient', 'the patient field has the focus');
    const good = nhsNumber(811);
    const mistyped = good.slice(0, 9) + String((Number(good[9]) + 1) % 10);
    await wedgeType(page, mistyped);
    await wedgeType(page, THEATRE_GLN);
    await page.locator('#open-error').waitFor();
    t.equal(await page.locator('#patient').getAttribute('aria-invalid'), 'true', 'the patient field is marked');
    t.equal(await page.locator('#location').getAttribute('aria-invalid'), null, 'the location field is not');
    t.equal(await page.evaluate(() => document.activeElement?.id), 'patient', 'and takes the focus back');

    // A wristband the service has never seen: its NHS number links them, once.
    await page.locator('#patient').fill('');
    await wedgeType(page, WRISTBAND(GSRN)); // the location is still filled in: Enter opens the case
    await page.getByLabel('NHS number on the wristband').waitFor();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'wristband-nhs', 'the NHS number field takes the focus');
    await page.keyboard.type(good);
    await page.keyboard.press('Enter');
    await page.getByLabel('Scan an item').waitFor();
    const patient = await server.db.selectFrom('patients').select(['wristband_gsrn']).where('nhs_number', '=', good).executeTakeFirstOrThrow();
    t.equal(patient.wristband_gsrn, GSRN, 'the wristband is linked to the patient');
    await page.getByRole('button', { name: 'Switch case' }).click();
    await wedgeType(page, WRISTBAND(GSRN));
    await wedgeType(page, THEATRE_GLN);
    await page.getByLabel('Scan an item').waitFor();
    t.match(await page.locator('h1').innerText(), new RegExp(`${good.slice(0, 3)} ${good.slice(3, 6)} ${good.slice(6)}`), 'the wristband alone opens the next case');
    t.same(errors, []);
  });

  t.test('a wedge-typed GS1 DataMatrix with GS lands as the right item, whichever way the scanner sends GS', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(801);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);
    t.match(await page.locator('h1').innerText(), new RegExp(`${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`), 'the case shows whose it is');

    // GS as the control character itself; lot first, so without GS the expiry would be swallowed into the lot.
    await wedgeType(page, `]d201${GTIN}10LOT42${GS}17301231`, { gsAs: 'control-character' });
    await t.resolves(recorded(page, 'LOT42').waitFor(), 'the line appears');
    const first = lines(page).first();
    t.match(await first.innerText(), /GTIN\s+09506000134352[\s\S]*Lot\s+LOT42[\s\S]*Expiry\s+31 Dec 2030/);

    // GS as Ctrl+], the classic keyboard chord for ASCII 29.
    await wedgeType(page, `]d201${GTIN_B}10LOT77${GS}21SER-9${GS}17291130`, { gsAs: 'ctrl-bracket' });
    await recorded(page, 'SER-9').waitFor();

    // GS as a substitute configured on the scanner: set on the page once.
    await page.getByText('Scanner settings').click();
    await page.getByLabel('The scanner sends the GS1 separator as').selectOption('<GS>');
    await page.getByLabel('Scan an item').focus();
    await wedgeType(page, `]d201${GTIN}10LOT88<GS>17310131`);
    await recorded(page, 'LOT88').waitFor();

    const items = await itemsOf(server, procedureId);
    t.same(
      items.map((i) => [i.gtin, i.lot_number, i.serial_number, i.expiration_date]),
      [
        [GTIN, 'LOT42', null, '2030-12-31'],
        [GTIN_B, 'LOT77', 'SER-9', '2029-11-30'],
        [GTIN, 'LOT88', null, '2031-01-31'],
      ],
      'three items on record, each with its own lot, serial and expiry',
    );
    t.equal(await page.getByLabel('Scan an item').inputValue(), '', 'the field is cleared for the next scan');
    t.same(errors, []);
  });

  t.test('a critical warning cannot be missed: banner, alarm text and line, in words as well as colour', async (t) => {
    const recall = await server.request({
      method: 'POST',
      url: '/v1/recalls',
      key: org.keys.procurement,
      payload: { reference: 'FSN-2026-77', title: 'Liner may crack', scope: [{ gtin: GTIN_B, lots: ['BADLOT'] }] },
    });
    t.equal(recall.statusCode, 201);
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    await openCase(page, nhsNumber(802));
    await wedgeType(page, `]d201${GTIN_B}10BADLOT${GS}17301231`);
    const banner = page.getByRole('alert').filter({ hasText: 'STOP' });
    await banner.waitFor();
    t.match(await banner.innerText(), /STOP: do not implant[\s\S]*PRODUCT RECALLED[\s\S]*FSN-2026-77/);
    const line = lines(page).filter({ hasText: 'BADLOT' });
    t.match(await line.getAttribute('class'), /critical/);
    t.match(await line.innerText(), /STOP: product recalled\./);
    // Severity also shows as colour: the critical warning is white on dark red.
    const colours = await line.locator('.warn.critical').evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]);
    t.same(colours, ['rgb(177, 14, 30)', 'rgb(255, 255, 255)']);
    t.same(await axeViolations(page), [], 'the case page with a critical warning has no WCAG A/AA violations');
    // An implant that raised it waits for a decision: the banner asks for it, and Escape does not dismiss it.
    t.equal((await focused(page)).text, 'Put aside (not used)', 'the first decision takes the focus');
    await page.keyboard.press('Escape');
    await page.getByLabel('Scan an item').focus();
    await page.keyboard.press('Escape');
    t.equal(await banner.count(), 1, 'Escape does not dismiss a decision');
    t.equal((await focused(page)).text, 'Put aside (not used)', 'Escape in the scan field goes to the decision');
    t.match(await line.innerText(), /Pending decision: make it in the STOP banner above/, 'the line points at the banner rather than asking twice');

    // An expired implant is critical too.
    await wedgeType(page, `]d201${GTIN}10OLDLOT${GS}17200131`);
    await lines(page).filter({ hasText: 'OLDLOT' }).getByText('STOP: product expired.').waitFor();
    t.same(errors, []);
  });

  t.test('a critical warning without a decision to make is acknowledged, by button or Escape', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    await openCase(page, nhsNumber(812));
    // An explant of a recalled item: critical, but nothing to decide.
    await page.getByLabel('Explant').check();
    await page.getByLabel('Scan an item').focus();
    await wedgeType(page, `]d201${GTIN_B}10BADLOT${GS}17301231${GS}21OUT-1`);
    const banner = page.getByRole('alert').filter({ hasText: 'STOP' });
    await banner.waitFor();
    t.equal(await banner.getByRole('button', { name: 'Acknowledge' }).count(), 1, 'Acknowledge, and no decision');
    t.equal(await banner.getByRole('button', { name: /Put aside/ }).count(), 0);
    t.equal(await page.evaluate(() => document.activeElement?.id), 'scan', 'the scan field kept the focus');
    await page.keyboard.press('Escape');
    await banner.waitFor({ state: 'detached' });
    t.match(await lines(page).filter({ hasText: 'OUT-1' }).innerText(), /STOP: product recalled\./, 'the line still says it after acknowledgement');
    t.same(errors, []);
  });

  t.test('the decision a critical warning asks for, keyboard only: put aside, implant anyway with a reason, and completion waits for it', async (t) => {
    const recall = await server.request({
      method: 'POST',
      url: '/v1/recalls',
      key: org.keys.procurement,
      payload: { reference: 'FSN-2026-88', title: 'Stem may fracture', scope: [{ gtin: GTIN_B, lots: ['ASIDE1'] }] },
    });
    t.equal(recall.statusCode, 201);
    const { page, errors } = await newTablet(browser, t);
    const decisions: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/decision')) decisions.push(r.postData() ?? '');
    });
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(813);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);

    // A recalled implant: STOP, with the two decisions; the first takes the focus.
    await wedgeType(page, `]d201${GTIN_B}10ASIDE1${GS}17301231`);
    const banner = page.locator('#alert-decision');
    await banner.getByRole('button', { name: 'Put aside (not used)' }).waitFor();
    const aside = await itemIdOf(server, procedureId, 'ASIDE1');
    t.same(await focused(page), { text: 'Put aside (not used)', id: '', decisionFor: aside }, 'the first decision has the focus');
    t.equal(await banner.getAttribute('role'), 'alert');
    t.match(await banner.innerText(), /STOP: do not implant[\s\S]*lot ASIDE1[\s\S]*PRODUCT RECALLED[\s\S]*Put aside \(not used\)[\s\S]*Implant anyway/);
    t.same(await axeViolations(page), [], 'the STOP banner with its decisions has no WCAG A/AA violations');
    if (SHOTS) {
      await page.screenshot({ path: path.join(SHOTS, 'stop-banner.png') });
      await page.setViewportSize({ width: 768, height: 1024 });
      await page.screenshot({ path: path.join(SHOTS, 'stop-banner-768.png') });
      await page.setViewportSize({ width: 1024, height: 768 });
    }
    t.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, 'nothing scrolls sideways');

    // Put aside: the disposition takes the focus, none chosen; arrows choose quarantined; Tab, Enter records it.
    await page.keyboard.press('Enter');
    await banner.getByRole('radio', { name: /Returned to stock/ }).waitFor();
    t.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value), 'returned-to-stock', 'the first disposition has the focus');
    t.equal(await banner.locator('input[type=radio]:checked').count(), 0, 'none chosen');
    t.same(await axeViolations(page), [], 'the disposition step has no WCAG A/AA violations');
    // Recorded with none chosen: refused beside the choices, nothing sent, the focus back on them.
    await page.keyboard.press('Tab');
    t.equal((await focused(page)).text, 'Record: not used');
    await page.keyboard.press('Enter');
    await page.locator('#alert-decision-disposition-error').waitFor();
    t.match(await page.locator('#alert-decision-disposition-error').innerText(), /Choose what becomes of the item/);
    t.equal(await banner.locator('fieldset').getAttribute('aria-describedby'), 'alert-decision-disposition-error', 'the error is tied to the choices');
    t.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value), 'returned-to-stock', 'the focus is back on the choices');
    t.equal(decisions.length, 0, 'nothing sent');
    t.same(await axeViolations(page), [], 'the disposition step with its error has no WCAG A/AA violations');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    t.equal(await banner.locator('input[type=radio]:checked').getAttribute('value'), 'quarantined');
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'stop-banner-put-aside.png') });
    t.equal(await page.locator('#alert-decision-disposition-error').count(), 0, 'choosing clears the error');
    await page.keyboard.press('Tab');
    t.equal((await focused(page)).text, 'Record: not used');
    await page.keyboard.press('Enter');
    await banner.waitFor({ state: 'detached' });
    const asideLine = recorded(page, 'ASIDE1');
    await asideLine.getByText('Not used: quarantined').waitFor();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'scan', 'the focus is back on the scan field');
    t.match(await page.locator('.decided').innerText(), /Recorded for .*lot ASIDE1: Not used: quarantined/);
    t.match((await apiItems(server, org.keys.scanner, procedureId)).find((i) => i.id === aside)?.decision, { status: 'not-used', disposition: 'quarantined' }, 'on record');

    // An expired implant: Implant anyway asks for a reason; "." is refused beside the field, and nothing is sent.
    await wedgeType(page, `]d201${GTIN}10EXPD1${GS}17200131`);
    await banner.getByRole('button', { name: 'Put aside (not used)' }).waitFor();
    const expired = await itemIdOf(server, procedureId, 'EXPD1');
    await page.keyboard.press('Tab');
    t.equal((await focused(page)).text, 'Implant anyway');
    await page.keyboard.press('Enter');
    t.equal((await focused(page)).id, 'alert-decision-reason', 'the reason takes the focus');
    const sent = decisions.length;
    await page.keyboard.type('.');
    await page.keyboard.press('Enter');
    await page.locator('#alert-decision-reason-error').waitFor();
    t.match(await page.locator('#alert-decision-reason-error').innerText(), /at least 3 letters or digits/);
    t.equal(await page.locator('#alert-decision-reason').getAttribute('aria-invalid'), 'true');
    t.match(await page.locator('#alert-decision-reason').getAttribute('aria-describedby'), /alert-decision-reason-error/, 'the error is tied to its field');
    t.equal(decisions.length, sent, 'nothing sent');
    t.same(await axeViolations(page), [], 'the reason step, with its error, has no WCAG A/AA violations');
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'stop-banner-reason.png') });
    // Escape steps back to the two decisions; it never dismisses them.
    await page.keyboard.press('Escape');
    t.equal((await focused(page)).text, 'Put aside (not used)', 'Escape goes back to the two decisions');
    t.equal(await banner.count(), 1);

    // The tab is reloaded before the decision is made: the case, resumed, shows the item waiting, with its controls.
    await page.reload();
    await page.getByRole('button', { name: /^Resume/ }).first().click();
    const expiredLine = recorded(page, 'EXPD1');
    await expiredLine.getByText(/^Pending decision: the case cannot be completed/).waitFor();
    t.equal(await expiredLine.locator(`[data-decision-for="${expired}"]`).count(), 1, 'the waiting line offers the decision');
    t.match(await expiredLine.locator('.badge.decision').innerText(), /Pending decision/);

    // Complete is refused while it waits: said, and the focus goes to its controls.
    await page.getByRole('button', { name: 'Complete case' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.getByText(/The case is not completed: 1 item waits for a decision/).waitFor();
    await page.waitForFunction((id) => document.activeElement?.closest<HTMLElement>('[data-decision-for]')?.dataset.decisionFor === id, expired, { timeout: 5_000 }).catch(() => undefined);
    t.same(await focused(page), { text: 'Put aside (not used) for GTIN 09506000134352, lot EXPD1', id: '', decisionFor: expired }, 'the focus is on the waiting item’s first decision');
    t.equal((await server.db.selectFrom('procedures').select('status').where('id', '=', procedureId).executeTakeFirstOrThrow()).status, 'open');

    // Implant anyway, with a reason: a refusal the service still gives is shown by its field (pointer /reason), then the reason is accepted.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const reasonField = expiredLine.getByLabel(/Why is it implanted despite the warning/);
    t.equal(await page.evaluate(() => document.activeElement?.tagName), 'INPUT', 'the reason takes the focus');
    await page.route('**/v1/items/*/decision', (route) =>
      route.fulfill({
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({ status: 422, code: 'VALIDATION_FAILED', title: 'Validation failed', detail: 'The request is not valid.', errors: [{ in: 'body', pointer: '/reason', message: 'must say why in words (at least 3 letters or digits)', code: 'custom' }] }),
      }),
    );
    const reason = 'Only size in stock; consultant accepted the expiry';
    await page.keyboard.type(reason);
    await page.keyboard.press('Enter');
    await expiredLine.getByText('Must say why in words (at least 3 letters or digits).').waitFor();
    t.equal(await reasonField.getAttribute('aria-invalid'), 'true', 'the service’s refusal is marked on the field');
    await page.unroute('**/v1/items/*/decision');
    await page.keyboard.press('Enter');
    await expiredLine.getByText(`Implanted despite warning: ${reason}`).waitFor();
    t.match(await expiredLine.locator('.badge.decision').innerText(), /Override/);
    t.match((await apiItems(server, org.keys.scanner, procedureId)).find((i) => i.id === expired)?.decision, { status: 'implanted', reason }, 'the override is on record with its reason');
    t.equal(await page.evaluate(() => document.activeElement?.id), 'scan');

    // Nothing waits now: the case completes.
    await page.getByRole('button', { name: 'Complete case' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.getByText(/Case completed with 2 items on record/).waitFor();
    t.equal((await server.db.selectFrom('procedures').select('status').where('id', '=', procedureId).executeTakeFirstOrThrow()).status, 'completed');
    t.same(errors, []);
  });

  t.test('offline: scans are kept on the device, survive the page closing, and are recorded once when the network returns', async (t) => {
    const { context, page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(803);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);

    await context.setOffline(true);
    for (const lot of ['OFF1', 'OFF2', 'OFF3']) await wedgeType(page, `]d201${GTIN}10${lot}${GS}17301231`);
    await t.resolves(lines(page).filter({ hasText: 'Waiting to send' }).nth(2).waitFor(), 'three scans wait on the device');
    t.match(await page.locator('.connection').innerText(), /Offline: 3 scans kept on this device/);
    t.match(await lines(page).filter({ hasText: 'OFF2' }).innerText(), /Lot\s+OFF2[\s\S]*Expiry\s+31 Dec 2030/, 'a waiting scan is read on the device');
    t.match(await lines(page).filter({ hasText: 'OFF2' }).innerText(), /decision \(put aside, or implant anyway\) come once its answer is back/, 'a waiting implant says a decision it may need comes with its answer');
    t.equal((await scansOf(server, procedureId)).length, 0, 'nothing reached the service');

    // The tab closes while offline; the team signs in again on a new one when the network is back.
    await page.close();
    await context.setOffline(false);
    const again = await context.newPage();
    again.on('pageerror', (e) => errors.push(e.message));
    await again.goto(url);
    await signIn(again, org.keys.scanner);
    await again.getByRole('button', { name: /^Resume/ }).first().click();
    await again.getByLabel('Scan an item').waitFor();
    await again.locator('.connection').filter({ hasText: 'every scan is on record' }).waitFor();
    await recorded(again, 'OFF3').waitFor();
    const scans = await scansOf(server, procedureId);
    t.same(scans.map((s) => s.lot_number), ['OFF1', 'OFF2', 'OFF3'], 'each scan recorded once, in the order taken');
    t.equal(await again.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('implant-trace.outbox.')).length), 0, 'the outbox is empty');
    t.same(errors, []);
  });

  t.test('a response lost on the way back: the retry with the same key is answered from the first, recorded once', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(804);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);
    const keys: string[] = [];
    let dropped = 0;
    await page.route('**/v1/procedures/*/scans', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (dropped === 0) {
        dropped += 1;
        await route.fetch(); // reaches the service, which records it…
        await route.abort('connectionreset'); // …but the answer never arrives
        return;
      }
      await route.continue();
    });
    await wedgeType(page, `]d201${GTIN}10LOST1${GS}17301231`);
    await recorded(page, 'LOST1').waitFor({ timeout: 15_000 });
    t.equal(keys.length, 2, `sent twice: ${JSON.stringify(keys)}`);
    t.equal(keys[0], keys[1], 'with one Idempotency-Key');
    t.equal((await scansOf(server, procedureId)).length, 1, 'recorded once');
    t.equal(await lines(page).count(), 1, 'shown once');
    t.same(errors, []);
  });

  t.test('an answer to Open case lost on the way back: opening again opens no second case', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(809);
    const keys: string[] = [];
    await page.route('**/v1/procedures', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length === 1) {
        await route.fetch(); // the service opens the case…
        return route.abort('connectionreset'); // …but the answer never arrives
      }
      return route.continue();
    });
    await page.getByLabel(/^Patient/).waitFor();
    await wedgeType(page, nhs);
    await wedgeType(page, THEATRE_GLN);
    await page.locator('#open-error').waitFor();
    await page.getByRole('button', { name: 'Open case' }).click();
    await page.getByLabel('Scan an item').waitFor();
    t.equal(keys.length, 2, 'sent twice');
    t.ok(keys[0] && keys[0] === keys[1], `with one Idempotency-Key: ${JSON.stringify(keys)}`);
    const cases = await server.db.selectFrom('procedures as p').innerJoin('patients as pa', 'pa.id', 'p.patient_id').select('p.id').where('pa.nhs_number', '=', nhs).execute();
    t.equal(cases.length, 1, 'one case on record');
    t.equal(await page.evaluate(() => document.activeElement?.id), 'scan');
    t.same(errors, []);
  });

  t.test('void a line, complete the case: keyboard only, with the focus back on the scan field', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(805);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);
    await wedgeType(page, `]d201${GTIN}10KEEP1${GS}17301231`);
    await wedgeType(page, `]d201${GTIN}10WRONG1${GS}17301231`);
    await recorded(page, 'WRONG1').waitFor();

    // Tab from the scan field to the newest line's Void button.
    let guard = 0;
    while (!(await page.evaluate(() => document.activeElement?.textContent ?? '')).startsWith('Void') && guard++ < 20) await page.keyboard.press('Tab');
    t.match(await page.evaluate(() => document.activeElement?.closest('li')?.textContent ?? ''), /WRONG1/, 'Tab reaches the Void of the newest line');
    await page.keyboard.press('Enter');
    t.equal(await page.evaluate(() => document.activeElement?.tagName), 'SELECT', 'the reason takes the focus');
    await page.keyboard.press('ArrowDown'); // "Scanned twice"
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter'); // Void line
    await page.locator('[data-state=voided]').filter({ hasText: 'WRONG1' }).waitFor();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'scan', 'the focus is back on the scan field');

    // A scanner fires while the focus is on a button: the scan still lands in the scan field.
    await page.getByRole('button', { name: 'Switch case' }).focus();
    await wedgeType(page, `]d201${GTIN_B}10AFTER1${GS}17301231`);
    await recorded(page, 'AFTER1').waitFor();

    const items = await itemsOf(server, procedureId);
    t.same(items.map((i) => [i.lot_number, i.status]), [['KEEP1', 'active'], ['WRONG1', 'voided'], ['AFTER1', 'active']]);
    const voids = await server.db.selectFrom('scans').select(['reason']).where('procedure_id', '=', procedureId).where('kind', '=', 'void').execute();
    t.same(voids.map((v) => v.reason), ['Scanned twice'], 'the void is on record with its reason');

    await page.getByRole('button', { name: 'Complete case' }).focus();
    await page.keyboard.press('Enter');
    t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Complete case', 'the confirmation takes the focus');
    await page.keyboard.press('Enter');
    await page.getByText(/Case completed with 2 items on record/).waitFor();
    const procedure = await server.db.selectFrom('procedures').select(['status']).where('id', '=', procedureId).executeTakeFirstOrThrow();
    t.equal(procedure.status, 'completed');
    t.same(errors, []);
  });

  t.test('an item typed in when its label will not scan: checked on the device, recorded as typed in; a late entry after completion, with its reason', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(808);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);

    await page.getByRole('button', { name: 'Type an item in' }).click();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'manual-gtin', 'the GTIN field takes the focus');
    await page.keyboard.type('09506000134353'); // a slip of the last digit
    await page.getByLabel('Lot').fill('LOT 9');
    await page.getByLabel('Lot').press('Enter');
    await page.locator('#manual-gtin-error').waitFor();
    t.match(await page.locator('#manual-gtin-error').innerText(), /check digit is 3, should be 2/, 'the GTIN’s error is by the GTIN');
    t.match(await page.locator('#manual-lotNumber-error').innerText(), /cannot contain a space/, 'the lot’s error is by the lot');
    t.equal(await page.getByLabel('GTIN (required)').getAttribute('aria-invalid'), 'true');
    t.match(await page.getByLabel('GTIN (required)').getAttribute('aria-describedby'), /manual-gtin-error/, 'the error is announced with its field');
    t.equal(await page.evaluate(() => document.activeElement?.id), 'manual-gtin', 'the focus goes to the first field in error');
    t.same(await scansOf(server, procedureId), [], 'nothing is sent while the entry breaks the GS1 rules');
    t.same(await axeViolations(page), [], 'the typed-entry form, with its errors, has no WCAG A/AA violations');

    await page.getByLabel('GTIN (required)').fill(`0 9506000 13435 2`);
    await page.getByLabel('Lot').fill('TYPED9');
    await page.getByLabel('Serial number').fill('SN-9');
    await page.getByLabel('Expiry date').fill('2030-12-31');
    await page.getByLabel('Serial number').press('Enter');
    const typed = recorded(page, 'TYPED9');
    await typed.waitFor();
    t.match(await typed.innerText(), /Typed in/, 'the line says it was typed in');
    t.equal(await page.locator('#manual-gtin').count(), 0, 'the form closes');
    t.equal(await page.evaluate(() => document.activeElement?.id), 'scan', 'the focus is back on the scan field');
    const items = await itemsOf(server, procedureId);
    t.match(items, [{ gtin: GTIN, lot_number: 'TYPED9', serial_number: 'SN-9', status: 'active', action: 'implanted' }]);
    t.equal(items[0]?.expiration_date, '2030-12-31');
    const entry = await server.db.selectFrom('scans').select(['entry_type', 'raw']).where('procedure_id', '=', procedureId).executeTakeFirstOrThrow();
    t.same(entry, { entry_type: 'manual', raw: null }, 'recorded as manual entry, with no barcode');

    // Escape closes the form without sending anything.
    await page.getByRole('button', { name: 'Type an item in' }).click();
    await page.keyboard.type(GTIN);
    await page.keyboard.press('Escape');
    t.equal(await page.locator('#manual-gtin').count(), 0, 'Escape closes the form');
    t.equal(await page.evaluate(() => document.activeElement?.id), 'scan');

    await page.getByRole('button', { name: 'Complete case' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Complete case' }).click();
    await page.getByText(/Case completed with 1 items? on record/).waitFor();

    // Back into the completed case: read-only until a late-entry reason is given.
    await page.getByRole('button', { name: /^Resume/ }).click();
    await page.getByRole('button', { name: 'Record a late entry' }).waitFor();
    t.equal(await page.locator('#scan').count(), 0, 'a completed case has no scan field until a reason is given');
    await page.getByRole('button', { name: 'Record a late entry' }).click();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'late-reason', 'the reason takes the focus');
    await page.keyboard.press('Enter');
    await page.locator('#late-reason-error').waitFor();
    t.equal(await page.locator('#scan').count(), 0, 'no reason, no scanning');
    // The service's rule, on the device: a "." is no reason.
    await page.keyboard.type(' . ');
    await page.keyboard.press('Enter');
    t.match(await page.locator('#late-reason-error').innerText(), /at least 3 letters or digits/, 'a "." is refused beside the field');
    t.equal(await page.locator('#late-reason').getAttribute('aria-invalid'), 'true');
    t.equal(await page.locator('#scan').count(), 0);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Found in the count after closure');
    await page.keyboard.press('Enter');
    await page.getByLabel('Scan an item').waitFor();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'scan', 'the scan field takes the focus');
    t.match(await page.locator('.late-banner').innerText(), /Found in the count after closure/, 'the page says scans are late entries, and why');
    t.same(await axeViolations(page), [], 'the late-entry view has no WCAG A/AA violations');
    await wedgeType(page, `]d201${GTIN_B}10LATE1${GS}17301231`);
    await recorded(page, 'LATE1').waitFor();
    const late = await server.db.selectFrom('scans').select(['late_entry', 'reason']).where('procedure_id', '=', procedureId).where('lot_number', '=', 'LATE1').executeTakeFirstOrThrow();
    t.same(late, { late_entry: true, reason: 'Found in the count after closure' }, 'the scan is on record as a late entry with its reason');

    await page.getByRole('button', { name: 'Finish late entries' }).click();
    t.equal(await page.locator('#scan').count(), 0, 'finished: the case is read-only again');
    t.same(errors, []);
  });

  t.test('a void in the team’s own words: a "." is refused beside the field, words are accepted', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(814);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);
    await wedgeType(page, `]d201${GTIN}10OWN1${GS}17301231`);
    await recorded(page, 'OWN1').waitFor();
    await recorded(page, 'OWN1').getByRole('button', { name: /^Void/ }).click();
    await page.getByLabel('Why void this line?').selectOption('other');
    const own = page.getByLabel('The reason, in words');
    await own.fill('..');
    await own.press('Enter');
    await page.getByText('Say why in words: at least 3 letters or digits.').waitFor();
    t.equal(await own.getAttribute('aria-invalid'), 'true');
    t.match(await own.getAttribute('aria-describedby'), /-error$/);
    t.same(await axeViolations(page), [], 'the void form with its error has no WCAG A/AA violations');
    t.equal((await itemsOf(server, procedureId))[0]?.status, 'active', 'nothing voided');
    await own.fill('Opened for the wrong side');
    await own.press('Enter');
    await page.locator('[data-state=voided]').filter({ hasText: 'OWN1' }).waitFor();
    const voids = await server.db.selectFrom('scans').select(['reason']).where('procedure_id', '=', procedureId).where('kind', '=', 'void').execute();
    t.same(voids.map((v) => v.reason), ['Opened for the wrong side']);
    t.same(errors, []);
  });

  t.test('an unreadable scan is refused at once with the parser’s reason, and nothing is sent', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(url);
    await signIn(page, org.keys.scanner);
    const nhs = nhsNumber(806);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);
    await wedgeType(page, `]d201${GTIN.slice(0, 13)}9`);
    const refused = lines(page).filter({ hasText: 'Not recorded' });
    await refused.waitFor();
    t.match(await refused.innerText(), /check digit/i);
    t.equal((await scansOf(server, procedureId)).length, 0);
    t.same(errors, []);
  });

  t.test('fits a tablet in portrait and a phone: nothing scrolls sideways', async (t) => {
    for (const viewport of [{ width: 768, height: 1024 }, { width: 390, height: 844 }]) {
      const { page } = await newTablet(browser, t);
      await page.setViewportSize(viewport);
      await page.goto(url);
      await signIn(page, org.keys.scanner);
      await openCase(page, nhsNumber(807 + viewport.width));
      await wedgeType(page, `]d201${GTIN}10WIDTH1${GS}17301231`);
      await recorded(page, 'WIDTH1').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      t.equal(overflow, 0, `no sideways scroll at ${viewport.width}×${viewport.height}`);
    }
  });
});
