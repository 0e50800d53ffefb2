/**
 * The web console as the service serves it: the built pages and bundles,
 * their security headers, compressed twins, and refusals as problem+json.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildConsole } from '../../scripts/build-console.js';
import { buildTestApp } from '../helpers/app.js';

t.test('the console', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-console-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const files = await buildConsole(dir);
  const app = await buildTestApp(t, { env: { CONSOLE_DIR: dir } });

  t.test('the build: five pages, four bundles and a stylesheet, each with gzip and brotli twins', async (t) => {
    t.same(files.map((f) => f.file), ['admin.html', 'assets/admin.js', 'assets/console.css', 'assets/recalls.js', 'assets/stock.js', 'assets/theatre.js', 'index.html', 'recalls.html', 'stock.html', 'theatre.html']);
    const all = await readdir(path.join(dir, 'assets'));
    for (const f of ['theatre.js', 'recalls.js', 'stock.js', 'admin.js', 'console.css']) t.ok(all.includes(`${f}.gz`) && all.includes(`${f}.br`), `${f} compressed`);
    for (const page of ['index.html', 'theatre.html', 'recalls.html', 'stock.html', 'admin.html']) {
      const html = await readFile(path.join(dir, page), 'utf8');
      t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${page}: no inline script (the CSP forbids it)`);
      t.notMatch(html, /\sstyle=|<style/, `${page}: no inline style`);
      t.match(html, /<html lang="en-GB">/, `${page}: says its language`);
    }
  });

  t.test('pages: served at /console, with a strict CSP and no caching without revalidation', async (t) => {
    for (const url of ['/console/', '/console/theatre', '/console/recalls', '/console/stock', '/console/admin']) {
      const res = await app.request({ url });
      t.equal(res.statusCode, 200, url);
      t.match(res.headers['content-type'], /^text\/html/);
      t.match(res.headers['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'/);
      t.match(res.headers['content-security-policy'], /frame-ancestors 'none'/);
      t.equal(res.headers['x-frame-options'], 'DENY');
      t.equal(res.headers['x-content-type-options'], 'nosniff');
      t.equal(res.headers['referrer-policy'], 'no-referrer');
      t.equal(res.headers['cache-control'], 'no-cache');
      t.ok(res.headers.etag, 'an ETag to revalidate against');
    }
    t.match((await app.request({ url: '/console/theatre' })).body, /assets\/theatre\.js/);
    t.match((await app.request({ url: '/console/admin' })).body, /assets\/admin\.js/);
    t.match((await app.request({ url: '/console/stock' })).body, /assets\/stock\.js/);
  });

  t.test('the small doors: / and /console bring a person to the start page, where its relative links work', async (t) => {
    const root = await app.request({ url: '/' });
    t.equal(root.statusCode, 302);
    t.equal(root.headers.location, '/console/');
    const bare = await app.request({ url: '/console' });
    t.equal(bare.statusCode, 301, 'at /console the page’s relative links (assets/console.css, theatre) would resolve from / and 404');
    t.equal(bare.headers.location, '/console/');
    t.equal((await app.request({ url: '/console?from=bookmark' })).headers.location, '/console/?from=bookmark', 'the query string is kept');
    const start = await app.request({ url: '/console/' });
    t.equal(start.statusCode, 200);
    t.match(start.body, /href="assets\/console\.css"/);
    t.equal((await app.request({ url: new URL('assets/console.css', 'http://x/console/').pathname })).statusCode, 200, 'its stylesheet, resolved from /console/, is served');
  });

  t.test('bundles: the right type, compressed for browsers that accept it', async (t) => {
    const plain = await app.request({ url: '/console/assets/theatre.js' });
    t.equal(plain.statusCode, 200);
    t.match(plain.headers['content-type'], /javascript/);
    const br = await app.request({ url: '/console/assets/theatre.js', headers: { 'accept-encoding': 'br, gzip' } });
    t.equal(br.headers['content-encoding'], 'br');
    t.ok(br.rawPayload.length < plain.rawPayload.length / 2, `brotli ${br.rawPayload.length} B of ${plain.rawPayload.length} B`);
    const css = await app.request({ url: '/console/assets/console.css', headers: { 'accept-encoding': 'gzip' } });
    t.equal(css.headers['content-encoding'], 'gzip');
    t.match(css.headers['content-type'], /text\/css/);
  });

  t.test('anything else is a problem+json 404, and nothing outside the console is reachable', async (t) => {
    for (const url of ['/console/nope', '/console/../package.json', '/console/%2e%2e/package.json', '/console/..%2fpackage.json', '/console/.env', '/console/assets/theatre.js.map.gz']) {
      const res = await app.request({ url });
      t.ok([400, 403, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
      t.match(res.headers['content-type'], /^application\/problem\+json/, url);
    }
  });

  t.test('no key is asked for the pages, and none of them holds data', async (t) => {
    const res = await app.request({ url: '/console/theatre', headers: { authorization: 'Bearer wrong' } });
    t.equal(res.statusCode, 200, 'a public page, whatever the header says');
  });
});

t.test('without a built console the API still runs, says so at boot, and /console is a 404', async (t) => {
  const app = await buildTestApp(t, { env: { CONSOLE_DIR: path.join(os.tmpdir(), 'implant-trace-no-console-here') } });
  await app.app.ready();
  t.ok(app.logs.some((l) => l.level === 40 && /web console is not built/.test(String(l.msg))), 'a warning at boot');
  t.equal((await app.request({ url: '/health' })).statusCode, 200);
  const res = await app.request({ url: '/console/theatre' });
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
});
