/**
 * The theatre page's outbox, in Node with an in-memory store and a scripted
 * service: what is kept, what is sent, in which order, and when a scan leaves.
 */
import t from 'tap';
import { deliveryOf, ScanQueue, type Delivery, type KeyValueStore, type QueuedScan } from '../../../src/console/theatre/queue.js';

function memoryStore(): KeyValueStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k), keys: () => [...map.keys()] };
}

const problem = (status: number, code: string) => ({ status, code, title: code, detail: code });
const body = (barcode: string) => ({ barcode, action: 'implanted' as const, scannedAt: '2026-11-21T09:00:00.000Z' });

/** A queue whose service answers from a script, one answer per attempt; timers are manual. */
function harness(answers: Array<Delivery<string> | 'throw'>, options: { organisation?: string | null; store?: KeyValueStore } = {}) {
  const store = options.store ?? memoryStore();
  const sent: QueuedScan[] = [];
  const delivered: Array<[string, string]> = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  let clock = 1_700_000_000_000;
  const queue = new ScanQueue<string>({
    store,
    organisation: options.organisation === undefined ? 'RTH' : options.organisation,
    deliver: async (scan) => {
      sent.push(scan);
      const next = answers.shift();
      if (next === undefined || next === 'throw') throw new TypeError('Failed to fetch');
      return next;
    },
    onDelivered: (scan, d) => delivered.push([scan.body.barcode ?? '', d.kind]),
    onChange: () => undefined,
    now: () => (clock += 1),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { store, queue, sent, delivered, timers, settle };
}

const recorded = (r: string): Delivery<string> => ({ kind: 'recorded', result: r, replayed: false });

t.test('deliveryOf: what each answer means for a queued scan', async (t) => {
  t.same(deliveryOf({ ok: true, status: 201, data: 'x', replayed: true }), { kind: 'recorded', result: 'x', replayed: true });
  for (const status of [401, 403]) t.same(deliveryOf({ ok: false, status, problem: problem(status, 'UNAUTHENTICATED') }), { kind: 'wait', reason: 'sign-in' }, `${status}: sign in again, keep the scan`);
  for (const status of [408, 425, 429, 500, 502, 503, 504, 599]) t.same(deliveryOf({ ok: false, status, problem: problem(status, 'X') }), { kind: 'wait', reason: 'unavailable' }, `${status}: try again later`);
  for (const status of [400, 404, 409, 413, 422]) t.equal(deliveryOf({ ok: false, status, problem: problem(status, 'X') }).kind, 'refused', `${status}: a definitive answer`);
});

t.test('a scan is stored before it is sent, and leaves the store only when recorded', async (t) => {
  const { store, queue, sent, delivered, settle } = harness([recorded('r1')]);
  queue.add({ key: 'k1', procedureId: 'p1', body: body('A') });
  t.equal(store.keys().length, 1, 'in storage as soon as it is added, before any answer');
  await settle();
  t.equal(sent.length, 1);
  t.same(delivered, [['A', 'recorded']]);
  t.same(store.keys(), [], 'gone once recorded');
});

t.test('offline: everything waits, in order, and goes in order when the service answers again', async (t) => {
  const { store, queue, sent, delivered, timers, settle } = harness(['throw', 'throw', 'throw', recorded('a'), recorded('b'), recorded('c')]);
  queue.add({ key: 'k1', procedureId: 'p1', body: body('A') });
  await settle();
  t.equal(queue.state().waiting, 'offline');
  t.equal(timers.length, 1, 'a retry is scheduled');
  t.ok((timers[0]?.ms ?? 0) >= 800 && (timers[0]?.ms ?? 0) <= 1200, 'after about a second');
  // More scans while offline: each one tries the head again, and nothing passes it.
  queue.add({ key: 'k2', procedureId: 'p1', body: body('B') });
  await settle();
  queue.add({ key: 'k3', procedureId: 'p1', body: body('C') });
  await settle();
  t.same(queue.pending().map((s) => s.key), ['k1', 'k2', 'k3'], 'kept in the order taken');
  t.equal(store.keys().length, 3);
  t.same(delivered, [], 'nothing recorded yet');
  // The network is back.
  queue.retryNow();
  await settle();
  t.same(delivered, [['A', 'recorded'], ['B', 'recorded'], ['C', 'recorded']], 'each recorded once, in order');
  t.same(sent.map((s) => s.key), ['k1', 'k1', 'k1', 'k1', 'k2', 'k3'], 'only the head was retried, always with its own key');
  t.equal(store.keys().length, 0);
});

t.test('backoff doubles up to 30 s and resets after a success', async (t) => {
  const { queue, timers, settle } = harness(['throw', 'throw', 'throw', 'throw', 'throw', 'throw', 'throw', recorded('a')]);
  queue.add({ key: 'k1', procedureId: 'p1', body: body('A') });
  await settle();
  for (let i = 0; i < 6; i++) {
    timers.at(-1)?.fn();
    await settle();
  }
  const delays = timers.map((x) => x.ms);
  t.equal(delays.length, 7);
  t.ok(delays.every((d, i) => d >= 0.8 * Math.min(30_000, 1000 * 2 ** i) && d <= 1.2 * Math.min(30_000, 1000 * 2 ** i)), `delays ${delays.join(', ')}`);
  timers.at(-1)?.fn();
  await settle();
  t.equal(queue.state().waiting, null);
  t.equal(queue.state().pending.length, 0);
});

t.test('a refusal removes that scan and the queue goes on; a sign-in wait keeps it without a timer', async (t) => {
  const { queue, delivered, timers, settle } = harness([{ kind: 'refused', problem: problem(422, 'BARCODE_INVALID') }, { kind: 'wait', reason: 'sign-in' }, recorded('b')]);
  queue.add({ key: 'k1', procedureId: 'p1', body: body('A') });
  queue.add({ key: 'k2', procedureId: 'p1', body: body('B') });
  await settle();
  await settle();
  t.same(delivered, [['A', 'refused']]);
  t.equal(queue.state().waiting, 'sign-in');
  t.equal(timers.length, 0, 'no retry with a key the service refused');
  t.same(queue.pending().map((s) => s.key), ['k2']);
  queue.retryNow(); // signed in again
  await settle();
  t.same(delivered, [['A', 'refused'], ['B', 'recorded']]);
});

t.test('cancel: a waiting scan can be taken back, one on its way cannot', async (t) => {
  let release: (d: Delivery<string>) => void = () => undefined;
  const store = memoryStore();
  const queue = new ScanQueue<string>({
    store,
    organisation: 'RTH',
    deliver: () => new Promise((resolve) => (release = resolve)),
    onDelivered: () => undefined,
    onChange: () => undefined,
  });
  queue.add({ key: 'k1', procedureId: 'p1', body: body('A') });
  queue.add({ key: 'k2', procedureId: 'p1', body: body('B') });
  t.equal(queue.state().sending, 'k1');
  t.notOk(queue.cancel('k1'), 'the one on its way stays');
  t.ok(queue.cancel('k2'), 'the waiting one goes');
  t.notOk(queue.cancel('k2'), 'and only once');
  release(recorded('a'));
  await new Promise((resolve) => setTimeout(resolve, 0));
  t.same(store.keys(), []);
  queue.stop();
});

t.test('two tabs on one store never overwrite each other; each sends only its organisation’s scans', async (t) => {
  const store = memoryStore();
  const a = harness([], { store });
  const b = harness([], { store });
  a.queue.add({ key: 'ka', procedureId: 'p1', body: body('A') });
  b.queue.add({ key: 'kb', procedureId: 'p1', body: body('B') });
  await a.settle();
  t.same(a.queue.pending().map((s) => s.key).sort(), ['ka', 'kb'], 'both scans kept');
  const other = harness([recorded('x')], { store, organisation: 'RXX' });
  t.same(other.queue.pending(), [], 'another organisation’s key sees none of them');
  await other.queue.flush();
  t.equal(other.sent.length, 0, 'and sends none');
  store.setItem('implant-trace.outbox.broken', '{not json');
  t.equal(a.queue.pending().length, 2, 'a damaged entry is ignored, not fatal');
  a.queue.stop();
  b.queue.stop();
});
