/**
 * The admin page in real Chromium against the real app, Postgres and OpenID Provider: a national
 * admin signed in with the admin key creates a scanner key (the form's refusals beside their
 * fields, an unknown organisation in the service's words), sees its secret once, copies it, and
 * the secret then authenticates against the API; it is never put in a URL, the tab's storage, the
 * page's console or the service's log, and is gone from the page once dismissed. Revoked from the
 * page (keyboard only, with a confirmation that Escape cancels), the API refuses it at once. People's
 * role profiles and SMART clients are listed by kind and not offered for revocation, nor is the
 * key the page is signed in with. An organisation's admin signed in as a person creates a registry
 * key for their own organisation and revokes a key, with the session's CSRF token. A procurement
 * caller, by key or by sign-in, is refused in words. axe-core's WCAG 2 A/AA checks on the page.
 *
 * Saves a screenshot of the page with a new secret shown to /tmp/admin-keys.png; SCREENSHOTS_DIR=/tmp/shots
 * saves the other states too (the form and its errors, the confirmation, a revoked key, the refusal).
 */
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { Page } from 'playwright-core';
import t from 'tap';
import { createOrganisationWithKeys } from '../helpers/app.js';
import { axeViolations, browserRequired, browserUnavailable, launchBrowser, newTablet, startSignInConsoleServer } from '../helpers/browser.js';

const SCREENSHOT = '/tmp/admin-keys.png';
const SHOTS = process.env.SCREENSHOTS_DIR;

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** A script run in the page by the DevTools protocol (a string: this project's Node types have no DOM lib). */
const inPage = <T>(page: Page, script: string): Promise<T> => page.evaluate<T>(script);
const focused = (page: Page) => inPage<{ text: string; id: string }>(page, '({ text: document.activeElement?.textContent ?? "", id: document.activeElement?.id ?? "" })');

/** Where the focus is once the page has moved it (it does so just after it renders): waits up to a second for `wanted`. */
async function focusSettled(page: Page, wanted: (f: { text: string; id: string }) => boolean): Promise<{ text: string; id: string }> {
  let now = await focused(page);
  for (let i = 0; i < 50 && !wanted(now); i++) {
    await page.waitForTimeout(20);
    now = await focused(page);
  }
  return now;
}

/** The list's row for the key of this name, its cells as shown. */
const row = (page: Page, name: string) => page.locator('table.key-list tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });
async function cells(page: Page, name: string): Promise<string[]> {
  return row(page, name).locator('th, td').allInnerTexts();
}

const unavailable = browserUnavailable();
t.test('the admin page: API keys', { skip: unavailable && !browserRequired() ? `browser tests: ${unavailable}` : false }, async (t) => {
  const app = await startSignInConsoleServer(t, {
    accounts: {
      'a-rrk': { name: 'Ada Admin', roles: ['trace-admin'], org: 'RRK' },
      'p-rrk': { name: 'Priya Procurement', roles: ['trace-procurement'], org: 'RRK' },
    },
    roleMap: { 'trace-admin': 'admin', 'trace-procurement': 'procurement' },
  });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const { publicKey } = await generateKeyPair('ES384');
  const smart = await app.request({
    method: 'POST',
    url: '/v1/smart/clients',
    key: app.adminKey,
    payload: { clientId: 'njr-feed-reader', registry: 'NJR', national: true, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' }] } },
  });
  t.equal(smart.statusCode, 201, smart.body);

  const browser = await launchBrowser(t);
  const admin = `${app.baseUrl}/console/admin`;
  const me = (key: string) => app.request({ method: 'GET', url: '/v1/me', key });

  await t.test('the start page links to it', async (t) => {
    const { page } = await newTablet(browser, t);
    await page.goto(`${app.baseUrl}/console/`);
    await page.click('a:text("API keys")');
    await page.waitForSelector('#api-key');
    t.equal(new URL(page.url()).pathname, '/console/admin');
    t.equal(await page.title(), 'API keys · Implant trace');
  });

  await t.test('a procurement caller is refused in words: by key, and signed in as a person', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    await page.goto(admin);
    await page.fill('#api-key', org.keys.procurement);
    await page.keyboard.press('Enter');
    const refusal = await page.waitForSelector('#sign-in-error');
    t.equal(await refusal.textContent(), 'This is a procurement key. This page needs an admin key.');
    t.equal(await refusal.getAttribute('role'), 'alert');
    t.equal(await page.$('table.key-list'), null, 'no list');
    const api = await app.request({ method: 'GET', url: '/v1/api-keys', key: org.keys.procurement });
    t.equal(api.statusCode, 403, 'as the API itself refuses the key');

    await app.signInAtProvider(page, 'p-rrk');
    const notice = await page.waitForSelector('.refusal');
    t.match(await notice.textContent(), /You are signed in as Priya Procurement, procurement at Organisation RRK \(RRK\)\. This page needs an admin profile\./);
    t.equal(await notice.getAttribute('role'), 'alert');
    t.equal(await page.$('table.key-list'), null, 'no list');
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the refusal');
    await shot(page, 'admin-refused');
    t.same(errors, [], 'no page errors');
  });

  await t.test('a national admin key: a scanner key created, its secret shown once and working, then revoked from the page', async (t) => {
    const { context, page, errors } = await newTablet(browser, t);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.baseUrl });
    const urls: string[] = [];
    const consoleLines: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    page.on('console', (m) => consoleLines.push(m.text()));

    await page.goto(admin);
    await page.fill('#api-key', app.adminKey);
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:text("API keys")');
    t.match(await page.textContent('header.top'), /bootstrap · national/, 'the key and its reach in the top bar');
    await page.waitForSelector('table.key-list');

    // What the list shows, and what it offers to revoke.
    t.match(await cells(page, 'bootstrap'), ['bootstrap', 'Device or server', 'admin', 'National', '—', 'bootstrap', /\d{4}/, 'Active', 'Signed in with it']);
    t.match(await cells(page, 'Priya Procurement'), ['Priya Procurement', 'Person', 'procurement', 'RRK', '—', 'person', /\d{4}/, 'Active', 'From their organisation account']);
    t.match(await cells(page, 'SMART client njr-feed-reader'), ['SMART client njr-feed-reader', 'SMART client', 'registry', 'National', 'NJR', 'smart-client', /\d{4}/, 'Active', 'Revoked with its SMART client']);
    t.match(await cells(page, 'RRK registry'), ['RRK registry', 'Device or server', 'registry', 'RRK', 'NJR', /^itk_/, /\d{4}/, 'Active', 'Revoke']);
    for (const name of ['bootstrap', 'Priya Procurement', 'SMART client njr-feed-reader']) t.equal(await row(page, name).locator('button').count(), 0, `${name}: no Revoke`);
    await shot(page, 'admin-list');

    // The form's own checks, beside their fields, and the service's refusal in its words.
    await page.click('button:text("Create key")');
    await page.waitForSelector('#key-name-error');
    t.equal(await page.textContent('#key-name-error'), 'Enter a name: what or where the key is for.');
    t.equal(await page.textContent('#key-organisation-error'), 'Enter the organisation’s ODS code.');
    t.equal(await page.getAttribute('#key-name', 'aria-invalid'), 'true');
    t.equal((await focusSettled(page, (f) => f.id === 'key-name')).id, 'key-name', 'the focus goes to the first field to mend');
    t.match(await page.getByRole('alert').allInnerTexts(), [/The key was not created: 2 problems/]);
    await page.fill('#key-name', 'Theatre 3 scanner');
    await page.fill('#key-organisation', 'ZZZ9');
    await page.click('button:text("Create key")');
    const refused = await page.waitForSelector('.create-key .failure[role="alert"]');
    t.match(await refused.textContent(), /No organisation with ODS code ZZZ9 is registered\./, 'the problem’s detail');
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation on the list and the form with its errors');
    await shot(page, 'admin-form-refused');

    await page.fill('#key-organisation', 'rrk');
    t.ok(await page.isChecked('input[name="key-role"][value="scanner"]'), 'scanner is the role offered first');
    await page.click('button:text("Create key")');
    const field = await page.waitForSelector('#new-key');
    const secret = await field.inputValue();
    t.match(secret, /^itk_[A-Za-z0-9_-]{40}$/, 'the secret, in full');
    t.equal((await focusSettled(page, (f) => f.id === 'secret-heading')).id, 'secret-heading', 'the warning takes the focus');
    t.match(await page.textContent('.secret'), /This is the only time this key is shown/);
    t.match(await page.textContent('label[for="new-key"]'), /Key for “Theatre 3 scanner” \(scanner, RRK\)/);
    t.equal(await page.$('.create-key'), null, 'the form makes way for the secret');

    await page.click('button:text("Copy key")');
    await page.waitForSelector('.secret [role="status"]:text("Copied to the clipboard")');
    t.equal(await inPage<string>(page, 'navigator.clipboard.readText()'), secret, 'on the clipboard');

    const who = await me(secret);
    t.equal(who.statusCode, 200, 'the new key authenticates');
    t.match(who.json(), { keyName: 'Theatre 3 scanner', role: 'scanner', national: false, organisation: 'RRK', registry: null });

    await row(page, 'Theatre 3 scanner').waitFor();
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation with the secret shown');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.setViewportSize({ width: 1024, height: 768 });

    await page.click('button:text("I have stored it: hide the key")');
    await page.waitForSelector('#new-key', { state: 'detached' });
    t.equal((await focusSettled(page, (f) => f.id === 'keys-heading')).id, 'keys-heading', 'the list, with the new key at its top, takes the focus');
    t.notOk(await inPage<boolean>(page, `document.body.innerText.includes(${JSON.stringify(secret)}) || Array.from(document.querySelectorAll('input')).some((i) => i.value.includes(${JSON.stringify(secret)}))`), 'gone from the page');
    t.equal(await page.inputValue('#key-name'), '', 'the form is back, empty');
    t.notOk(urls.some((u) => u.includes(secret)), 'never in a URL');
    t.notOk(await inPage<string>(page, 'JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])').then((s) => s.includes(secret)), 'never in the tab’s storage');
    t.notOk(consoleLines.some((l) => l.includes(secret)), 'never in the page’s console');
    t.notOk(app.rawLogs().includes(secret), 'never in the service’s log');

    t.match(await cells(page, 'Theatre 3 scanner'), ['Theatre 3 scanner', 'Device or server', 'scanner', 'RRK', '—', secret.slice(0, 12), /\d{4}/, 'Active', 'Revoke']);
    t.equal(await page.locator('table.key-list tbody tr th').first().innerText(), 'Theatre 3 scanner', 'newest first');

    // Keyboard only: the confirmation takes the focus; Escape cancels and the focus returns.
    const revoke = row(page, 'Theatre 3 scanner').locator('button');
    await revoke.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.confirm');
    t.match(await page.textContent('.confirm'), /Revoke “Theatre 3 scanner” \(itk_.{8}…\)\? Whatever uses it is refused from its next call\./);
    t.equal((await focusSettled(page, (f) => f.text === 'Yes, revoke the key')).text, 'Yes, revoke the key', 'the confirmation takes the focus');
    await shot(page, 'admin-revoke-confirm');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.confirm', { state: 'detached' });
    t.match((await focusSettled(page, (f) => f.text.startsWith('Revoke the key'))).text, /^Revoke the key Theatre 3 scanner$/, 'back on the Revoke button');
    t.equal((await me(secret)).statusCode, 200, 'cancelled: still valid');

    await page.keyboard.press('Enter');
    await page.waitForSelector('.confirm');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.notice:text("Revoked “Theatre 3 scanner”: it is refused from its next call.")');
    await row(page, 'Theatre 3 scanner').locator('.badge.key-revoked').waitFor();
    t.equal(await row(page, 'Theatre 3 scanner').getAttribute('class'), 'revoked', 'the row is marked');
    t.match(await cells(page, 'Theatre 3 scanner'), ['Theatre 3 scanner', 'Device or server', 'scanner', 'RRK', '—', /^itk_/, /\d{4}/, /^Revoked\s+\d/, '']);
    const said = 'Revoked “Theatre 3 scanner”: it is refused from its next call.';
    t.equal((await focusSettled(page, (f) => f.text === said)).text, said, 'the focus on what happened');
    const after = await me(secret);
    t.equal(after.statusCode, 401, 'the API refuses the revoked key');
    t.same(await axeViolations(page), [], 'no WCAG A/AA violation with a revoked key');
    await shot(page, 'admin-revoked');
    t.same(errors, [], 'no page errors');
  });

  await t.test('an organisation’s admin, signed in as a person: a registry key for their organisation, and a revocation with the CSRF token', async (t) => {
    const { page, errors } = await newTablet(browser, t);
    const calls: Array<{ method: string; url: string; headers: Record<string, string> }> = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/api-keys')) calls.push({ method: r.method(), url: r.url(), headers: r.headers() });
    });
    await page.goto(admin);
    await app.signInAtProvider(page, 'a-rrk');
    await page.waitForSelector('h1:text("API keys")');
    t.match(await page.textContent('header.top'), /Ada Admin · administrator · RRK/);
    await page.waitForSelector('table.key-list');
    t.match(await page.textContent('.create-key'), /For RRK, your organisation/);
    t.equal(await page.$('#key-organisation'), null, 'no organisation to choose');
    t.equal(await page.$('input[name="key-reach"]'), null, 'and no national key');
    const names = await page.locator('table.key-list tbody th').allInnerTexts();
    t.notOk(names.includes('bootstrap') || names.includes('SMART client njr-feed-reader'), 'national keys are not theirs');
    await shot(page, 'admin-organisation');
    t.match(await cells(page, 'Ada Admin'), ['Ada Admin', 'Person', 'admin', 'RRK', '—', 'person', /\d{4}/, 'Active', 'Signed in with it']);

    await page.fill('#key-name', 'NJR upload server');
    await page.check('input[name="key-role"][value="registry"]');
    await page.selectOption('#key-registry', 'NJR');
    await page.click('button:text("Create key")');
    const secret = await (await page.waitForSelector('#new-key')).inputValue();
    t.match((await me(secret)).json(), { keyName: 'NJR upload server', role: 'registry', organisation: 'RRK', registry: 'NJR' }, 'a registry key of RRK, for NJR');
    const create = calls.find((c) => c.method === 'POST');
    t.ok(create?.headers['x-csrf-token'], 'the creation carries the session’s CSRF token');
    t.equal(create?.headers.authorization, undefined, 'and no Authorization header');
    await page.click('button:text("I have stored it: hide the key")');
    t.match(await cells(page, 'NJR upload server'), ['NJR upload server', 'Device or server', 'registry', 'RRK', 'NJR', secret.slice(0, 12), /\d{4}/, 'Active', 'Revoke']);

    t.equal((await me(org.keys.scanner)).statusCode, 200);
    await row(page, 'RRK scanner').locator('button').click();
    await page.click('button:text("Yes, revoke the key")');
    await row(page, 'RRK scanner').locator('.badge.key-revoked').waitFor();
    t.equal((await me(org.keys.scanner)).statusCode, 401, 'the API refuses it');
    const revoke = calls.find((c) => c.method === 'DELETE');
    t.ok(revoke?.headers['x-csrf-token'], 'the revocation carries the CSRF token');
    const audit = await app.db.selectFrom('audit_events').selectAll().where('action', '=', 'api-key.revoke').where('actor_person_subject', '=', 'a-rrk').executeTakeFirstOrThrow();
    t.match(audit, { actor_person_name: 'Ada Admin', actor_role: 'admin', detail: { keyId: org.keyIds.scanner } }, 'the audit row names the person');
    t.same(errors, [], 'no page errors');
  });
});
