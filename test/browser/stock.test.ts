/**
 * The stock page in real Chromium against the real app and Postgres: a scanner key is refused in
 * words, a procurement key opens it; goods in by typing real GS1 element strings as a keyboard
 * wedge does (GS as the control character and as Ctrl+]), an unreadable label refused beside its
 * line and removed, the receipt sent and its stock on hand shown, a dropped answer retried with the
 * same Idempotency-Key (recorded once) and the same delivery again recorded again, GS sent as a
 * substitute set on the page, a serial already on hand refused beside its line; the stock
 * on hand filtered, paged by its cursor and downloaded as CSV; a row quarantined and another written
 * off after a confirmation; the expiring report marking an expired lot in words; a recall's shelf
 * stock quarantined with the recall's reference as the reason. axe-core's WCAG 2 A/AA checks on
 * every view.
 *
 * Saves screenshots of goods in with its lines and of the stock table to /tmp/stock-goods-in.png
 * and /tmp/stock-on-hand.png.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import t from 'tap';
import { createOrganisationWithKeys } from '../helpers/app.js';
import { axeViolations, browserRequired, browserUnavailable, launchBrowser, newTablet, startConsoleServer, wedgeType } from '../helpers/browser.js';

const GS = '\u001d';
const GTIN = '09506000134352';
const STORE = '9506000134376';
const SHELF = '9506000134383';

/** A lot-only pack: GTIN, expiry, lot, then its count in AI 30 after a GS. */
const lot = (lotNumber: string, expiry: string, count: number) => `]d201${GTIN}17${expiry}10${lotNumber}${GS}30${count}`;
/** A serialised unit: GTIN, expiry, serial. */
const unit = (serial: string) => `]d201${GTIN}1730123121${serial}`;

/** A script run in the page by the DevTools protocol (a string: this project's Node types have no DOM lib). */
/** The focused field's id, or the text of what else has the focus (a heading, a button, a message). */
const focused = (page: Page) => page.evaluate<string>('(() => { const e = document.activeElement; return e && ["INPUT", "SELECT", "TEXTAREA"].includes(e.tagName) ? e.id : (e?.textContent ?? ""); })()');
async function focusSettled(page: Page, wanted: RegExp): Promise<string> {
  let now = await focused(page);
  for (let i = 0; i < 50 && !wanted.test(now); i++) {
    await page.waitForTimeout(20);
    now = await focused(page);
  }
  return now;
}
/** Waits until the locator finds n elements (a string predicate would be eval, which the page's CSP refuses). */
async function countIs(locator: ReturnType<Page['locator']>, n: number): Promise<void> {
  for (let i = 0; i < 250 && (await locator.count()) !== n; i++) await locator.page().waitForTimeout(20);
}
/** Waits until no label is still being read. */
const readingDone = (page: Page) => countIs(page.locator('text=Reading…'), 0);
const lineRows = (page: Page) => page.locator('table.receipt-lines tbody tr');
const stockRow = (page: Page, text: string) => page.locator('table.on-hand tbody tr', { hasText: text });

const unavailable = browserUnavailable();
t.test('the stock page', { skip: unavailable && !browserRequired() ? `browser tests: ${unavailable}` : false }, async (t) => {
  const app = await startConsoleServer(t);
  const org = await createOrganisationWithKeys(app, 'RSK');
  const key = org.keys.procurement;
  const stock = async (query: string) => (await app.request({ url: `/v1/stock?${query}`, key })).json<{ items: Array<{ lotNumber: string | null; serialNumber: string | null; status: string; quantity: number }> }>().items;

  const browser = await launchBrowser(t);
  const { page, errors } = await newTablet(browser, t);
  const base = `${app.baseUrl}/console/stock`;

  await t.test('the start page links to it; a scanner key is refused in words, a procurement key opens goods in', async (t) => {
    await page.goto(`${app.baseUrl}/console/`);
    await page.click('a:text("Stock")');
    await page.waitForSelector('#api-key');
    t.equal(new URL(page.url()).pathname, '/console/stock');
    t.equal(await page.title(), 'Stock · Implant trace');
    await page.fill('#api-key', org.keys.scanner);
    await page.keyboard.press('Enter');
    t.equal(await (await page.waitForSelector('#sign-in-error')).textContent(), 'This is a scanner key. This page needs a procurement key.');
    await page.fill('#api-key', key);
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:text("Goods in")');
    t.match(await page.textContent('header.top'), /RSK procurement · RSK/);
    t.equal(await focusSettled(page, /^location$/), 'location', 'the focus is on the location field, for its label to be scanned');
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on goods in');
  });

  await t.test('goods in: the location label and the products scanned by wedge, an unreadable label refused beside its line and removed, the receipt sent', async (t) => {
    await wedgeType(page, `]d2414${STORE}`);
    t.equal(await focusSettled(page, /^scan$/), 'scan', 'Enter after the location moves to the scan field');
    await wedgeType(page, lot('LOTA', '301231', 12));
    await wedgeType(page, lot('LOTB', '301231', 5), { gsAs: 'ctrl-bracket' });
    await wedgeType(page, unit('SER1'));
    await wedgeType(page, `]d201${GTIN.slice(0, 13)}3`);
    await wedgeType(page, lot('OLD', '250131', 2));
    await countIs(lineRows(page), 5);
    await readingDone(page);
    t.equal(await focused(page), 'scan', 'the focus stays in the scan field between scans');
    const rows = await lineRows(page).all();
    t.match(await rows[0]?.innerText(), /1\s+09506000134352\s+LOTA\s+—\s+31 Dec 2030/, 'GTIN, lot, expiry as read');
    t.equal(await rows[0]?.locator('input').inputValue(), '12', 'the label’s count (AI 30), sent with GS as the control character');
    t.equal(await rows[1]?.locator('input').inputValue(), '5', 'and with GS as Ctrl+]');
    t.match(await rows[2]?.innerText(), /SER1[\s\S]*1 \(a unit\)/, 'a serialised unit is one');
    t.match(await rows[4]?.innerText(), /OLD\s+—\s+31 Jan 2025\s*Expired/, 'an expired lot is said to be expired as it is scanned (it may still be received, to be written off)');
    t.match(await rows[3]?.innerText(), /Cannot be received: This label does not read: \(01\) GTIN: check digit is 3, should be 2\./, 'the bad check digit said beside its line');
    await page.screenshot({ path: '/tmp/stock-goods-in.png', fullPage: true });
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation with lines, one refused');

    await page.click('button:text("Receive 5 lines")');
    t.match(await page.textContent('p.error[role="alert"]'), /Line 4 cannot be received as it is/);
    t.equal(await focusSettled(page, /^Remove/), 'Remove line 4', 'the focus moves to the line’s Remove button');
    await page.keyboard.press('Enter');
    await countIs(page.locator('table.receipt-lines tbody tr'), 4);
    await page.click('button:text("Receive 4 lines")');
    await page.waitForSelector('h2:text("Received: 20 units in 4 lines")');
    t.match(await focusSettled(page, /^Received/), /^Received: 20 units/, 'the focus moves to the result');
    t.match(await page.innerText('section.received table'), /LOTA[\s\S]*Available\s+12/);
    t.equal(await lineRows(page).count(), 0, 'the list is emptied');
    const lots = await stock(`location=${STORE}`);
    t.same(lots.map((r) => [r.lotNumber ?? r.serialNumber, r.quantity]).sort(), [['LOTA', 12], ['LOTB', 5], ['OLD', 2], ['SER1', 1]]);
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the result');
  });

  await t.test('a dropped answer is retried with the same Idempotency-Key and recorded once; a serial on hand is refused beside its line', async (t) => {
    const keys: string[] = [];
    let drop = true;
    await page.route('**/v1/stock/receipts', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (drop) {
        drop = false;
        await route.fetch();
        await route.abort('connectionreset');
      } else await route.continue();
    });
    await page.fill('#location', SHELF);
    await page.focus('#scan');
    await wedgeType(page, lot('LOTC', '301231', 3));
    await readingDone(page);
    await page.click('button:text("Receive 1 line")');
    await page.waitForSelector('text=The service cannot be reached');
    await page.click('button:text("Try again")');
    await page.waitForSelector('h2:text("Received: 3 units in 1 line")');
    t.equal(keys.length, 2);
    t.equal(keys[0], keys[1], 'the retry carries the same Idempotency-Key');
    t.same((await stock(`location=${SHELF}`)).map((r) => r.quantity), [3], 'recorded once');
    await page.unroute('**/v1/stock/receipts');

    // GS as a substitute the scanner is set to send: set on the page once, as on the theatre page.
    await page.getByText('Scanner settings').click();
    await page.getByLabel('The scanner sends the GS1 separator as').selectOption('~');
    await page.focus('#scan');
    await wedgeType(page, lot('LOTC', '301231', 3).replace(GS, '~'));
    await readingDone(page);
    t.equal(await lineRows(page).first().locator('input').inputValue(), '3', 'the count after the ~ read as AI 30');
    await page.click('button:text("Receive 1 line")');
    await page.waitForSelector('h2:text("Received: 3 units in 1 line")');
    t.equal(keys.length, 2, 'the route saw only the first two');
    t.same((await stock(`location=${SHELF}`)).map((r) => r.quantity), [6], 'the same delivery again, once answered, is a new receipt');

    await page.focus('#scan');
    await wedgeType(page, unit('SER1'));
    await readingDone(page);
    await page.click('button:text("Receive 1 line")');
    await page.waitForSelector('table.receipt-lines tr.refused');
    t.match(await lineRows(page).first().innerText(), /Refused: Serial SER1 of 09506000134352 is on hand already \(available, /, 'the service’s refusal beside the line it names, in words');
    t.match(await page.textContent('p.error[role="alert"]'), /Nothing was received: line 1 was refused/);
    await page.click('button:text("Remove")');
    t.equal(await lineRows(page).count(), 0);
  });

  await t.test('stock on hand: filtered, a row quarantined with its reason, another written off after a confirmation, the CSV', async (t) => {
    await page.click('nav a:text("Stock on hand")');
    await page.waitForSelector('h1:text("Stock on hand")');
    await page.waitForSelector('table.on-hand');
    t.equal(await page.locator('table.on-hand tbody tr').count(), 5);
    t.match(await stockRow(page, 'OLD').innerText(), /31 Jan 2025\s*Expired/, 'an expired lot is said to be expired on the stock table too');
    await page.screenshot({ path: '/tmp/stock-on-hand.png', fullPage: true });
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the stock table');

    await page.fill('#filter-lot', 'LOTA');
    await page.click('button:text("Show")');
    await countIs(page.locator('table.on-hand tbody tr'), 1);
    await stockRow(page, 'LOTA').locator('button', { hasText: 'Quarantine' }).click();
    t.match(await focusSettled(page, /^Quarantine:/), /^Quarantine: lot LOTA/, 'the form’s heading takes the focus');
    await page.fill('#quarantine-form-quantity', '4');
    await page.fill('#quarantine-form-reason', '.');
    await page.click('form.row-action button:text("Quarantine")');
    t.match(await page.textContent('#quarantine-form-reason-error'), /at least 3 letters or digits/, 'the reason checked beside its field');
    await page.fill('#quarantine-form-reason', 'packaging damaged in transit');
    await page.click('form.row-action button:text("Quarantine")');
    await page.waitForSelector('p.done');
    t.equal(await focusSettled(page, /quarantined\.$/), '4 units of lot LOTA quarantined.', 'what was done is said and focused');
    await page.waitForSelector('table.on-hand tbody tr:has-text("Quarantined")');
    t.match(await page.innerText('table.on-hand'), /LOTA[\s\S]*Quarantined\s+4[\s\S]*LOTA[\s\S]*Available\s+8|LOTA[\s\S]*Available\s+8[\s\S]*LOTA[\s\S]*Quarantined\s+4/);
    t.same((await stock(`lot=LOTA&status=quarantined`)).map((r) => r.quantity), [4]);

    await page.fill('#filter-lot', 'LOTB');
    await page.click('button:text("Show")');
    await countIs(page.locator('table.on-hand tbody tr'), 1);
    await stockRow(page, 'LOTB').locator('button', { hasText: 'Write off' }).click();
    await page.selectOption('#write-off-form-why', 'damaged');
    await page.click('form.row-action button:text("Write off")');
    t.equal(await focusSettled(page, /^Yes/), 'Yes, write off', 'the confirmation takes the focus');
    t.same((await stock('lot=LOTB')).map((r) => r.quantity), [5], 'nothing sent before it is confirmed');
    await page.click('button:text("Yes, write off")');
    await page.waitForSelector('p.done:text("5 units of lot LOTB written off.")');
    t.same(await stock('lot=LOTB'), []);

    await page.fill('#filter-lot', '');
    await page.click('button:text("Show")');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Download CSV")')]);
    t.equal(download.suggestedFilename(), 'stock.csv');
    const csv = await readFile(await download.path(), 'utf8');
    t.match(csv, /^location_gln,/);
    t.match(csv, /LOTA,,2030-12-31,quarantined,false,4/);
    t.notMatch(csv, /LOTB/);
  });

  await t.test('the stock on hand is paged by its cursor; the location filter', async (t) => {
    const scans = Array.from({ length: 55 }, (_, i) => ({ manual: { gtin: GTIN, lotNumber: `P${String(i).padStart(2, '0')}`, expirationDate: '2031-06-30' }, quantity: 1 }));
    const res = await app.request({ method: 'POST', url: '/v1/stock/receipts', key, headers: { 'idempotency-key': crypto.randomUUID() }, payload: { location: { gln: '9506000134390' }, scans } });
    t.equal(res.statusCode, 201, res.statusCode === 201 ? 'received' : res.body);
    await page.fill('#filter-location', '9506000134390');
    await page.click('button:text("Show")');
    await countIs(page.locator('table.on-hand tbody tr'), 50);
    await page.click('button:text("Load more stock")');
    await countIs(page.locator('table.on-hand tbody tr'), 55);
    t.equal(await page.locator('button:text("Load more stock")').count(), 0, 'no more to load');
  });

  await t.test('expiring: an expired lot marked in words, first', async (t) => {
    await page.click('nav a:text("Expiring")');
    await page.waitForSelector('h1:text("Expiring stock")');
    await page.waitForSelector('table.on-hand');
    const first = page.locator('table.on-hand tbody tr').first();
    t.match(await first.innerText(), /OLD[\s\S]*31 Jan 2025\s*Expired/, 'the expired lot says Expired');
    t.match(await page.textContent('p.showing'), /1 row has expired, 0 rows expire by/);
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the expiring report');
  });

  await t.test('to order: a par level set against what is available, the units to order', async (t) => {
    const available = (await stock(`location=${STORE}&gtin=${GTIN}&status=available`)).reduce((n, r) => n + r.quantity, 0);
    const par = await app.request({ method: 'PUT', url: '/v1/stock/par-levels', key, headers: { 'idempotency-key': crypto.randomUUID() }, payload: [{ location: { gln: STORE }, gtin: GTIN, par: available + 12 }] });
    t.equal(par.statusCode, 200, par.body);
    await page.click('nav a:text("To order")');
    await page.waitForSelector('h1:text("To order")');
    await page.waitForSelector('table.to-order');
    t.match(await page.innerText('table.to-order tbody tr'), new RegExp(`GTIN ${GTIN}[\\s\\S]*${available + 12}\\s+${available}\\s+\\d+\\s+\\d+\\s+12`), 'par, available, quarantined, used, and 12 to order');
    t.match(await page.textContent('p.showing'), /^1 product to order of 1 with a par level/);
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the to-order report');
  });

  await t.test("a recall's shelf stock: each available row quarantined with the recall's reference as the reason", async (t) => {
    const created = await app.request({ method: 'POST', url: '/v1/recalls', key, payload: { reference: 'FSN-STOCK-1', title: 'Pack: sterile barrier breach', scope: [{ gtin: GTIN, lots: ['LOTC'] }] } });
    t.equal(created.statusCode, 201, created.statusCode === 201 ? 'created' : created.body);
    const id = created.json<{ id: string }>().id;
    await page.goto(`${base}?recall=${id}`);
    await page.waitForSelector('h1:text("Recall FSN-STOCK-1: stock on the shelves")');
    await page.waitForSelector('table.shelf');
    t.match(await page.innerText('table.shelf tbody'), /LOTC[\s\S]*Available\s+6/);
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the recall’s shelf stock');
    t.match(await page.innerText('table.shelf tbody tr:has-text("SER1")'), /Product only[\s\S]*Available\s+1/, 'the unit received without a lot is a possible match, said as the recall console says it');
    await page.click('table.shelf tr:has-text("LOTC") button:has-text("Quarantine")');
    await page.waitForSelector('p.notice:text("Quarantined 6 units of lot LOTC")');
    t.match(await focused(page), /^Quarantined 6 units of lot LOTC at GLN 9506000134383\.$/, 'what was done is said and focused');
    await page.waitForSelector('table.shelf tbody tr:has-text("LOTC"):has-text("Quarantined")');
    const moves = (await app.request({ url: `/v1/stock/movements?lot=LOTC&kind=quarantined`, key })).json<{ items: Array<{ reason: string | null; quantity: number }> }>().items;
    t.match(moves, [{ reason: 'recall FSN-STOCK-1', quantity: 6 }]);

    // The recall's own steps: the rest quarantined in one go, then everything held returned.
    await page.waitForSelector('section.recall-stock-steps p.showing:text("1 available on the shelves, 6 quarantined")');
    await page.click('button:text("Quarantine every available unit (1)")');
    await page.waitForSelector('p.notice:text("Quarantined 1 unit in place. 7 units of the recall are held.")');
    await page.click('button:text("Return the quarantined units to the supplier…")');
    t.equal(await focused(page), 'Yes, return them', 'the focus is on the confirmation');
    await page.fill('#return-supplier', 'Acme Orthopaedics');
    await page.fill('#return-reference', 'RA-2026-118');
    await page.click('button:text("Yes, return them")');
    await page.waitForSelector('p.notice:text("Returned 7 units to the supplier. 7 units of the recall returned in all.")');
    await page.waitForSelector('text=None of this recall’s products are on the shelves');
    const returned = (await app.request({ url: `/v1/stock/movements?kind=returned-to-supplier`, key })).json<{ items: Array<{ recallId: string | null; supplier: string | null; note: string | null; quantity: number }> }>().items;
    t.same(returned.map((m) => [m.recallId, m.supplier, m.note]), [[id, 'Acme Orthopaedics', 'RA-2026-118'], [id, 'Acme Orthopaedics', 'RA-2026-118']]);
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation after the steps');
  });

  t.same(errors, [], 'no page errors');
});
