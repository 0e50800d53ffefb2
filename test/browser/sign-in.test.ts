/**
 * Staff sign in to the console as themselves, in real Chromium: the real app with sign-in
 * configured against a real OpenID Provider (oidc-provider, in process, its own login pages),
 * the app on `localhost` and the provider on `127.0.0.1`, so the two are different sites as in
 * production (the session cookie is SameSite=Strict). A person signs in through the provider's
 * pages and sees their name; closes a recall from the console, with the session's CSRF token
 * and no Authorization header, and the audit row names them; signs out (the session ends here
 * and at the provider, and a later call with the old cookie is refused). A person with two
 * profiles chooses one; a person with no role reads the refusal in words. axe-core's WCAG 2 A/AA
 * checks on the sign-in page, the chooser and the refusal.
 *
 * SCREENSHOTS_DIR=/tmp/shots saves screenshots of the sign-in page, the chooser and the refusal.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import { axeViolations, browserRequired, browserUnavailable, launchBrowser, newTablet, startSignInConsoleServer } from '../helpers/browser.js';
import { GTIN } from '../helpers/theatre.js';

const SHOTS = process.env.SCREENSHOTS_DIR;

const inPage = <T>(page: Page, script: string): Promise<T> => page.evaluate<T>(script);

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const unavailable = browserUnavailable();
t.test('staff sign-in in the console', { skip: unavailable && !browserRequired() ? `browser tests: ${unavailable}` : false }, async (t) => {
  const app = await startSignInConsoleServer(t, {
    accounts: {
      'p-rrk': { name: 'Priya Procurement', roles: ['trace-procurement'], org: 'RRK' },
      'two-roles': { name: 'Tomás Two-Roles', roles: ['trace-scanner', 'trace-procurement'], org: 'RRK' },
      'no-role': { name: 'Nobody Mapped', roles: ['visitor'], org: 'RRK' },
    },
    roleMap: { 'trace-procurement': 'procurement', 'trace-scanner': 'scanner' },
  });
  const { provider, signInAtProvider } = app;
  const APP = app.baseUrl;
  const org = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, payload: { odsCode: 'RRK', name: 'Royal Rook Trust' } });
  t.equal(org.statusCode, 201, org.body);
  const key = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'RRK procurement', role: 'procurement', organisation: 'RRK' } });
  const procurementKey = key.json<{ key: string }>().key;
  const recall = await app.request({
    method: 'POST',
    url: '/v1/recalls',
    key: procurementKey,
    payload: { reference: 'FSN-SIGNIN-1', title: 'Femoral stem: coating defect', scope: [{ gtin: GTIN, lots: ['LOTS1'] }] },
  });
  t.equal(recall.statusCode, 201, recall.body);
  const recallId = recall.json<{ id: string }>().id;

  const browser = await launchBrowser(t);
  const recalls = `${APP}/console/recalls`;

  await t.test('a person signs in at the provider, sees their name, closes a recall in their name, and signs out', async (t) => {
    const { context, page, errors } = await newTablet(browser, t);
    const calls: Array<{ method: string; url: string; headers: Record<string, string> }> = [];
    page.on('request', (r) => {
      if (new URL(r.url()).origin === APP && !r.url().includes('/console/')) calls.push({ method: r.method(), url: r.url(), headers: r.headers() });
    });
    await page.goto(`${recalls}#/recall/${recallId}`);
    const button = await page.waitForSelector('a:text("Sign in with your organisation account")');
    t.equal(await button.getAttribute('href'), `/auth/login?returnTo=${encodeURIComponent(`/console/recalls#/recall/${recallId}`)}`, 'to the sign-in, back to this page after');
    t.ok(await page.$('#api-key'), 'the key field stays, for shared devices');
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the sign-in page');
    await page.screenshot({ path: '/tmp/console-sign-in.png', fullPage: true });
    await shot(page, 'sign-in-organisation-account');

    await signInAtProvider(page, 'p-rrk');
    await page.waitForSelector('h1:text("Recall FSN-SIGNIN-1")');
    t.equal(new URL(page.url()).hash, `#/recall/${recallId}`, 'back on the page it started from');
    t.match(await page.textContent('header.top'), /Priya Procurement · procurement · RRK/, 'the person and their role profile in the top bar');
    const cookies = await context.cookies(APP);
    const session = cookies.find((c) => c.name === 'it_session');
    t.ok(session?.httpOnly, 'the session is an HttpOnly cookie');
    t.equal(session?.sameSite, 'Strict');
    t.equal(await inPage<string>(page, 'document.cookie'), '', 'no script sees it');

    await page.click('button:text("Close recall")');
    await page.click('button:text("Yes, close the recall")');
    await page.waitForSelector('.badge.status-closed');
    const close = calls.find((c) => c.method === 'POST' && c.url.endsWith(`/v1/recalls/${recallId}/close`));
    t.ok(close?.headers['x-csrf-token'], 'the change carries the session’s CSRF token');
    t.equal(close?.headers.authorization, undefined, 'and no Authorization header');
    t.ok(calls.filter((c) => c.method === 'GET').every((c) => c.headers['x-csrf-token'] === undefined), 'reads carry no CSRF token');
    const audit = await app.db.selectFrom('audit_events').selectAll().where('action', '=', 'recall.close').executeTakeFirstOrThrow();
    t.match(audit, { actor_person_subject: 'p-rrk', actor_person_name: 'Priya Procurement', actor_person_issuer: provider.issuer, actor_role: 'procurement' }, 'the audit row names the person');

    // Sign out: the session ends here, then at the provider (its own confirmation page), then back to the console.
    await page.click('header.top button:text("Sign out")');
    await page.waitForURL((url) => url.origin === provider.issuer, { timeout: 15_000 });
    const logout = calls.find((c) => c.url.endsWith('/auth/logout'));
    t.ok(logout?.headers['x-csrf-token'], 'sign-out carries the CSRF token');
    const after = await app.request({ method: 'GET', url: '/v1/me', cookies: { it_session: session?.value ?? '' } });
    t.equal(after.statusCode, 401, 'a later call with the old session is refused');
    await page.click('button:text("Yes, sign me out")');
    await page.waitForURL(`${APP}/console/`, { timeout: 15_000 });
    await page.goto(recalls);
    await page.waitForSelector('a:text("Sign in with your organisation account")');
    t.equal(await page.$('.refusal'), null, 'signed out on purpose: no "session ended" sentence');
    t.same(errors, [], 'no page errors');
  });

  await t.test('a session that ends while in use: back to the sign-in page, saying so', async (t) => {
    const { page } = await newTablet(browser, t);
    await page.goto(recalls);
    await signInAtProvider(page, 'p-rrk');
    await page.waitForSelector('header.top');
    await app.db.deleteFrom('sessions').execute();
    await page.click('nav.views a:text("Safety")');
    const notice = await page.waitForSelector('.refusal');
    t.match(await notice.textContent(), /Your session has ended/);
    t.ok(await page.$('a:text("Sign in with your organisation account")'), 'with the way to sign in again');
  });

  await t.test('a person with two role profiles chooses one', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(recalls);
    await signInAtProvider(page, 'two-roles');
    await page.waitForSelector('h1:text("choose a role profile")');
    t.match(await page.textContent('main'), /You are signed in as Tomás Two-Roles/);
    const buttons = await page.$$eval('ul.profiles button', (list) => list.map((b) => b.textContent));
    t.same(buttons, ['procurement at Royal Rook Trust (RRK)', 'theatre scanning at Royal Rook Trust (RRK)'], 'this page’s profile first');
    t.equal(await inPage<string>(page, 'document.activeElement?.tagName'), 'H1', 'the focus starts at the heading');
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the chooser');
    await shot(page, 'sign-in-chooser');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:text("Recalls")');
    t.match(await page.textContent('header.top'), /Tomás Two-Roles · procurement · RRK/);
    const chosen = await app.db.selectFrom('audit_events').selectAll().where('action', '=', 'sign-in.profile').where('actor_person_subject', '=', 'two-roles').execute();
    t.equal(chosen.length, 1, 'the choice is audited');
    t.same(errors, [], 'no page errors');
  });

  await t.test('a person with no role here reads the refusal in words', async (t) => {
    const { context, page, errors } = await newTablet(browser, t);
    await page.goto(recalls);
    await signInAtProvider(page, 'no-role');
    const refusal = await page.waitForSelector('.refusal');
    t.equal(await refusal.textContent(), 'You are signed in at your organisation, but you have no role in this service: ask your administrator.');
    t.equal(await refusal.getAttribute('role'), 'alert');
    t.equal(new URL(page.url()).search, '', 'the code is taken out of the address');
    t.equal((await context.cookies(APP)).find((c) => c.name === 'it_session'), undefined, 'no session');
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the refusal');
    await shot(page, 'sign-in-refused');
    t.same(errors, [], 'no page errors');
  });
});
