/**
 * Clients that send slowly, too much, or not HTTP at all, against the real
 * listening server (raw TCP: app.inject has no sockets). A request must arrive
 * whole within REQUEST_TIMEOUT_SECONDS; a connection answered before its body
 * arrived is closed; Node's own refusals are problem+json. Waits here are
 * bounded by the test's own guard, never asserted as speed.
 */
import net from 'node:net';
import t from 'tap';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';

interface Exchange {
  /** Everything the server sent before it closed the connection. */
  readonly received: string;
  /** Bytes of the body the client managed to send. */
  readonly sent: number;
}

/**
 * Opens a connection, writes `head`, then one byte of body every `dripMs`
 * until the server closes the connection (or `guardMs` passes: then the
 * test fails, because the server kept a slow client for ever).
 */
function drip(port: number, head: string, options: { dripMs?: number; guardMs?: number } = {}): Promise<Exchange> {
  const { dripMs = 200, guardMs = 20_000 } = options;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${guardMs} ms (received: ${JSON.stringify(received.slice(0, 200))})`));
    }, guardMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => undefined); // a reset after the answer is a close too
    const timer = setInterval(() => {
      if (socket.writable) {
        socket.write('x');
        sent++;
      }
    }, dripMs);
    socket.on('close', () => {
      clearTimeout(guard);
      clearInterval(timer);
      resolve({ received, sent });
    });
    socket.write(head);
  });
}

function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

function problemOf(raw: string): { code?: string; status?: number } {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return JSON.parse(body) as { code?: string; status?: number };
}

function headerOf(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1]?.trim();
}

t.test('slow and broken clients', async (t) => {
  const app = await buildTestApp(t, { env: { REQUEST_TIMEOUT_SECONDS: '2' } });
  const org = await createOrganisationWithKeys(app, 'RTO');
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  const post = (auth: string) =>
    'POST /v1/procedures HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n' + auth + '\r\n';

  t.test('an unauthenticated slow body: answered 401 and disconnected, not read for ever', async (t) => {
    const { received, sent } = await drip(port, post(''));
    t.equal(statusOf(received), 401);
    t.equal(headerOf(received, 'connection'), 'close', 'the answer says the connection ends');
    t.equal(problemOf(received).code, 'UNAUTHENTICATED');
    t.ok(sent < 100_000, `the server stopped listening after ${sent} bytes`);
  });

  t.test('an authenticated slow body: 408 problem+json once the request timeout passes', async (t) => {
    const { received } = await drip(port, post(`Authorization: Bearer ${org.keys.scanner}\r\n`));
    t.equal(statusOf(received), 408);
    t.match(headerOf(received, 'content-type'), /^application\/problem\+json/);
    t.match(problemOf(received), { code: 'REQUEST_TIMEOUT', status: 408 });
    t.equal(headerOf(received, 'connection'), 'close');
  });

  t.test('headers that never end: 408 as well', async (t) => {
    const { received } = await drip(port, 'GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    t.equal(statusOf(received), 408);
    t.equal(problemOf(received).code, 'REQUEST_TIMEOUT');
  });

  t.test('bytes that are not HTTP: 400 problem+json', async (t) => {
    const { received } = await drip(port, 'HELLO THERE\r\n\r\n', { dripMs: 5_000 });
    t.equal(statusOf(received), 400);
    t.match(headerOf(received, 'content-type'), /^application\/problem\+json/);
    t.match(problemOf(received), { code: 'MALFORMED_REQUEST', status: 400 });
  });

  t.test('headers larger than Node reads: 431 problem+json', async (t) => {
    const { received } = await drip(port, `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, { dripMs: 5_000 });
    t.equal(statusOf(received), 431);
    t.match(problemOf(received), { code: 'HEADERS_TOO_LARGE', status: 431 });
  });

  t.test('a complete request keeps its connection alive for the next one', async (t) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setEncoding('utf8');
    let received = '';
    const twoAnswers = new Promise<void>((resolve) => {
      socket.on('data', (chunk: string) => {
        received += chunk;
        if ((received.match(/HTTP\/1\.1 200/g) ?? []).length === 2) resolve();
      });
    });
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await twoAnswers;
    t.notMatch(received, /connection: close/i, 'no request was cut short, so no connection is closed');
    socket.destroy();
  });
});
