/// <reference lib="dom" />
/**
 * The theatre page's side of the case team (issue 18), in real headless
 * Chromium against the real service: a staff badge scanned through the wedge
 * badges its holder in (POST /v1/procedures/{id}/staff, with the role chosen
 * on the page) and is never sent as a product scan; the team panel says who is
 * at the scanner, and the next product is attributed to them; a second badge
 * takes the scanner, and "Left the case" gives it back. Offline, a badge is
 * refused plainly and never queued; in check mode a badge still badges in; a
 * completed case answers the service's refusal.
 *
 * Saves the case view with its team panel to /tmp/theatre-team.png (and -full, -768, -nobody, -offline;
 * SCREENSHOTS_DIR=/tmp/… elsewhere).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import { gs1CheckDigit } from '../../src/barcode/gs1/check-digit.js';
import { createOrganisationWithKeys, type OrganisationKeys } from '../helpers/app.js';
import { storeSession } from '../helpers/sessions.js';
import { browserRequired, browserUnavailable, launchBrowser, newTablet, startConsoleServer, wedgeType, type ConsoleServer } from '../helpers/browser.js';
import { BADGE, GS, GTIN, nhsNumber } from '../helpers/theatre.js';
import { axeViolations, currentProcedureId, openCase, signIn } from '../helpers/theatre-page.js';

const SHOTS = process.env.SCREENSHOTS_DIR ?? '/tmp';

/** A staff badge's GSRN (AI 8017) with its check digit, and the badge as a DataMatrix scanner sends it. */
const gsrn = (n: number) => {
  const body = `95060001343${String(n).padStart(6, '0')}`;
  return body + gs1CheckDigit(body);
};
const badge = (n: number) => `]d28017${gsrn(n)}`;
/** BADGE's GSRN: Sam Scrub's. */
const SAM = BADGE.slice(7);
const BEN = gsrn(2);

const product = (lot: string) => `]d201${GTIN}10${lot}${GS}17301231`;
const recorded = (page: Page, text: string) => page.locator('[data-state=recorded]').filter({ hasText: text });
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
const member = (page: Page, name: string) => page.getByTestId('member').filter({ hasText: name });

interface ApiProcedure {
  team: { members: Array<{ staff: { id: string; gsrn: string | null; name: string | null }; role: string; evidence: string; leftAt: string | null; atScanner: boolean }>; atScanner: string | null };
  items: Array<{ lotNumber: string | null; history: Array<{ attribution: { kind: string; staffId: string | null } | null }> }>;
}

async function apiProcedure(server: ConsoleServer, key: string, procedureId: string): Promise<ApiProcedure> {
  const res = await server.request({ method: 'GET', url: `/v1/procedures/${procedureId}`, key });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json<ApiProcedure>();
}

/** Whom the service attributed the scan of the item with this lot to. */
async function attributionOf(server: ConsoleServer, key: string, procedureId: string, lot: string) {
  const item = (await apiProcedure(server, key, procedureId)).items.find((i) => i.lotNumber === lot);
  return item?.history[0]?.attribution ?? null;
}

async function staffIdOf(server: ConsoleServer, key: string, procedureId: string, badgeGsrn: string): Promise<string> {
  const found = (await apiProcedure(server, key, procedureId)).team.members.find((m) => m.staff.gsrn === badgeGsrn);
  if (!found) throw new Error(`no member with GSRN ${badgeGsrn}`);
  return found.staff.id;
}

const unavailable = browserUnavailable();
const skip = unavailable !== null && !browserRequired() ? unavailable : false;

t.test('theatre page: the case team', { skip }, async (t) => {
  const server = await startConsoleServer(t);
  const org: OrganisationKeys = await createOrganisationWithKeys(server, 'RTM');
  const key = org.keys.scanner;
  for (const [badgeGsrn, name] of [
    [SAM, 'Sam Scrub'],
    [BEN, 'Ben Second'],
  ] as const) {
    const res = await server.request({ method: 'POST', url: '/v1/staff', key: org.keys.admin, payload: { gsrn: badgeGsrn, name } });
    if (res.statusCode !== 201) throw new Error(`registering ${name}: ${res.statusCode} ${res.body}`);
  }
  const browser = await launchBrowser(t);
  const url = `${server.baseUrl}/console/theatre`;

  async function caseOpened(seed: number) {
    const tablet = await newTablet(browser, t);
    await tablet.page.goto(url);
    await signIn(tablet.page, key);
    const nhs = nhsNumber(seed);
    await openCase(tablet.page, nhs);
    return { ...tablet, procedureId: await currentProcedureId(server, nhs) };
  }

  t.test('a badge badges in and names the next scan; a second badge takes the scanner; Left the case gives it back', async (t) => {
    const { page, errors, procedureId } = await caseOpened(921);
    const panel = page.getByTestId('team');
    const namedTo = page.getByTestId('named-to');
    t.equal(await namedTo.innerText(), 'Scans from this device are named to nobody: scan your staff badge', 'nobody badged in yet');
    t.equal(await page.getByLabel('Role for the next badge').inputValue(), 'scrub', 'the next badge joins as scrub unless the team says otherwise');
    t.same(await axeViolations(page), [], 'the case view with its team panel has no WCAG A/AA violations');
    await page.screenshot({ path: path.join(SHOTS, 'theatre-team-nobody.png') });

    await wedgeType(page, BADGE);
    const said = panel.locator('[role=status]');
    await said.filter({ hasText: 'badged in' }).waitFor();
    t.equal(await said.innerText(), 'Sam Scrub badged in: scans from this device are now named to them.', 'said in the team panel, to screen readers too');
    await namedTo.filter({ hasText: 'Sam Scrub (badge)' }).waitFor();
    t.equal(await namedTo.innerText(), 'Scans from this device are named to: Sam Scrub (badge)');
    t.match(await member(page, 'Sam Scrub').innerText(), /Sam Scrub\s+Scrub\s+badge\s+At the scanner/, 'in the case, as scrub, by badge, at the scanner');
    t.equal(await page.locator('.member.at-scanner').count(), 1, 'highlighted');
    t.equal(await page.locator('[data-testid=line]').count(), 0, 'the badge is no line: not queued, not refused');
    t.equal(await focusedId(page), 'scan', 'the scan field keeps the focus');
    const sam = await staffIdOf(server, key, procedureId, SAM);

    await wedgeType(page, product('TEAM1'));
    await recorded(page, 'TEAM1').waitFor();
    t.same(await attributionOf(server, key, procedureId, 'TEAM1'), { kind: 'badge', person: null, staffId: sam }, 'the product scanned next is named to Sam, by badge');

    // A handover: Ben badges in as circulating and takes the scanner.
    await page.getByLabel('Role for the next badge').selectOption('circulating');
    await page.getByLabel('Scan an item').focus();
    await wedgeType(page, badge(2));
    await namedTo.filter({ hasText: 'Ben Second (badge)' }).waitFor();
    t.match(await member(page, 'Ben Second').innerText(), /Ben Second\s+Circulating\s+badge\s+At the scanner/);
    t.notMatch(await member(page, 'Sam Scrub').innerText(), /At the scanner/, 'Sam is still in the case, no longer at the scanner');
    t.equal(await page.getByLabel('Role for the next badge').inputValue(), 'scrub', 'the role goes back to scrub after a badge');
    const ben = await staffIdOf(server, key, procedureId, BEN);
    await wedgeType(page, product('TEAM2'));
    await recorded(page, 'TEAM2').waitFor();
    t.same(await attributionOf(server, key, procedureId, 'TEAM2'), { kind: 'badge', person: null, staffId: ben }, 'named to Ben');

    // Ben leaves, by keyboard: Sam is at the scanner again.
    const leave = panel.getByRole('button', { name: 'Left the case: Ben Second' });
    await leave.focus();
    await page.keyboard.press('Enter');
    await said.filter({ hasText: 'left the case' }).waitFor();
    t.equal(await said.innerText(), 'Ben Second left the case. Scans from this device are named to: Sam Scrub (badge).', 'the result is announced');
    await namedTo.filter({ hasText: 'Sam Scrub (badge)' }).waitFor();
    t.equal(await page.getByTestId('member').count(), 1, 'Sam alone is in the case');
    t.match(await member(page, 'Sam Scrub').innerText(), /At the scanner/);
    t.equal(await focusedId(page), 'scan', 'the focus goes back to the scan field');
    const gone = page.locator('.team-left');
    t.equal(await gone.getAttribute('open'), null, 'those who left are folded away');
    await gone.locator('summary').click();
    t.match(await page.getByTestId('left-member').innerText(), /^Ben Second, circulating \(badge\): left \d+ \w+ \d{4}, \d\d:\d\d$/, 'with the time they left');
    await wedgeType(page, product('TEAM3'));
    await recorded(page, 'TEAM3').waitFor();
    t.same(await attributionOf(server, key, procedureId, 'TEAM3'), { kind: 'badge', person: null, staffId: sam }, 'named to Sam again');

    const team = (await apiProcedure(server, key, procedureId)).team;
    t.same(
      team.members.map((m) => [m.staff.name, m.role, m.evidence, m.leftAt === null, m.atScanner]),
      [
        ['Sam Scrub', 'scrub', 'badge', true, true],
        ['Ben Second', 'circulating', 'badge', false, false],
      ],
      'the service has the team the page shows',
    );
    t.same(await axeViolations(page), [], 'no WCAG A/AA violations with a member gone');
    await page.locator('#scan').focus();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, 'theatre-team.png') });
    await page.screenshot({ path: path.join(SHOTS, 'theatre-team-full.png'), fullPage: true });
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, 'theatre-team-768.png') });
    t.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, 'nothing scrolls sideways in portrait');
    t.same(errors, []);
  });

  t.test('offline: a badge is not scanned in, not queued, and the page says scans are recorded as device only', async (t) => {
    const { context, page, errors, procedureId } = await caseOpened(922);
    await context.setOffline(true);
    await wedgeType(page, BADGE);
    const alert = page.locator('p.error').filter({ hasText: 'badge' });
    await alert.waitFor();
    t.equal(await alert.getAttribute('role'), 'alert');
    t.match(await alert.innerText(), /^Offline: the badge could not be scanned in, and it is not kept to send later: badging in needs the service\. Scan it again when the network returns\. Until then, scans from this device are recorded as device only: named to nobody\.$/);
    t.equal(await page.locator('[data-testid=line]').count(), 0, 'no line: nothing waits to be sent');
    t.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('implant-trace.outbox.')).length), 0, 'the outbox is empty');
    t.equal(await page.getByTestId('named-to').innerText(), 'Scans from this device are named to nobody: scan your staff badge');
    t.equal(await focusedId(page), 'scan');
    t.same(await axeViolations(page), [], 'the refusal has no WCAG A/AA violations');
    await page.screenshot({ path: path.join(SHOTS, 'theatre-team-offline.png') });
    await context.setOffline(false);
    await page.locator('.connection').filter({ hasText: 'every scan is on record' }).waitFor();
    await page.waitForTimeout(300);
    t.same((await apiProcedure(server, key, procedureId)).team.members, [], 'back online: nobody was badged in');
    t.equal((await server.db.selectFrom('scans').select('id').where('procedure_id', '=', procedureId).execute()).length, 0, 'and nothing was sent as a scan');

    // In check mode a badge still badges in: it is never a check.
    await page.getByRole('radio', { name: 'Check before opening' }).check();
    await page.getByLabel('Scan a box to check it').focus();
    await wedgeType(page, BADGE);
    await page.getByTestId('named-to').filter({ hasText: 'Sam Scrub (badge)' }).waitFor();
    t.equal(await page.getByTestId('check-result').count(), 0, 'no check shown');
    const checks = await server.request({ method: 'GET', url: `/v1/procedures/${procedureId}/checks`, key });
    t.same(checks.json<{ checks: unknown[] }>().checks, [], 'and none made');
    t.same(errors, []);
  });

  t.test('a person signed in on the device: the key goes with their session cookie, and scans are named to them', async (t) => {
    const tablet = await newTablet(browser, t);
    const { context, page, errors } = tablet;
    const nurse = await storeSession(server.db, { subject: 'nurse-t1', name: 'Nia Nurse' }, { role: 'procurement', national: false, organisationId: org.id });
    await context.addCookies([{ name: 'it_session', value: nurse, url: server.baseUrl }]);
    await page.goto(url);
    // Her profile is not a scanner's: the page asks for a key, and the key signs in.
    await signIn(page, key);
    const nhs = nhsNumber(924);
    await openCase(page, nhs);
    const procedureId = await currentProcedureId(server, nhs);
    const namedTo = page.getByTestId('named-to');
    await namedTo.filter({ hasText: 'Nia Nurse' }).waitFor();
    t.equal(await namedTo.innerText(), 'Scans from this device are named to: Nia Nurse (signed in)');
    t.match(await page.locator('.top .who').innerText(), /RTM scanner/, 'the top bar names the key that signed in');
    await wedgeType(page, BADGE);
    const said = page.getByTestId('team').locator('[role=status]');
    await said.filter({ hasText: 'badged in' }).waitFor();
    t.equal(await said.innerText(), 'Sam Scrub badged in. Scans from this device stay named to Nia Nurse, signed in on it.');
    await wedgeType(page, product('NURSE1'));
    await recorded(page, 'NURSE1').waitFor();
    t.match(await attributionOf(server, key, procedureId, 'NURSE1'), { kind: 'person', person: { name: 'Nia Nurse' }, staffId: null }, 'the scan is named to her, sent with the key');
    t.same(errors, []);
  });

  t.test('a completed case: a badge scanned in a late entry is refused with the service’s words', async (t) => {
    const { page, errors, procedureId } = await caseOpened(923);
    await wedgeType(page, BADGE);
    await page.getByTestId('named-to').filter({ hasText: 'Sam Scrub (badge)' }).waitFor();
    await page.getByRole('button', { name: 'Complete case' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Complete case' }).click();
    await page.getByText(/Case completed with 0 items on record/).waitFor();
    await page.getByRole('button', { name: /^Resume/ }).click();
    await page.getByRole('button', { name: 'Record a late entry' }).click();
    await page.keyboard.type('Badge found after closure');
    await page.keyboard.press('Enter');
    await page.getByLabel('Scan an item').waitFor();
    t.equal(await page.getByRole('button', { name: /^Left the case/ }).count(), 0, 'nobody can leave a completed case');
    t.equal(await page.getByLabel('Role for the next badge').count(), 0, 'nor join it');
    t.match(await page.getByTestId('named-to').innerText(), /Sam Scrub \(badge\)/, 'the team as it was when it closed');
    await wedgeType(page, badge(2));
    const alert = page.locator('p.error').filter({ hasText: 'Not badged in' });
    await alert.waitFor();
    t.match(await alert.innerText(), /Not badged in: The procedure is completed: its team is as it was when it closed\. Nothing was changed\./);
    t.equal(await page.locator('[data-testid=line]').count(), 0, 'no line');
    t.same(
      (await apiProcedure(server, key, procedureId)).team.members.map((m) => m.staff.name),
      ['Sam Scrub'],
      'the team is unchanged',
    );
    t.same(errors, []);
  });
});
