import t from 'tap';
import { Coalescer, type Settled } from '../../../src/shared/coalescer.js';

/** A batch runner whose batches finish when the test says so. */
function controlled() {
  const batches: Array<{ items: readonly number[]; finish: (results?: Array<Settled<string>>) => void; fail: (e: unknown) => void }> = [];
  const run = (items: readonly number[]) =>
    new Promise<ReadonlyArray<Settled<string>>>((resolve, reject) => {
      batches.push({ items, finish: (results) => resolve(results ?? items.map((i) => ({ ok: true, value: `done ${i}` }))), fail: reject });
    });
  return { batches, run };
}
const tick = () => new Promise((r) => setImmediate(r));

t.test('idle: a request runs at once, alone', async (t) => {
  const { batches, run } = controlled();
  const c = new Coalescer(run, { maxBatch: 10, maxInFlight: 1 });
  const answer = c.submit(1);
  t.equal(batches.length, 1);
  t.same(batches[0]?.items, [1]);
  batches[0]?.finish();
  t.equal(await answer, 'done 1');
});

t.test('busy: what arrives meanwhile goes together as the next batch, at most maxBatch', async (t) => {
  const { batches, run } = controlled();
  const c = new Coalescer(run, { maxBatch: 3, maxInFlight: 1 });
  const answers = [1, 2, 3, 4, 5, 6].map((i) => c.submit(i));
  t.equal(batches.length, 1, 'one batch runs; the rest wait');
  t.equal(c.pending, 6);
  batches[0]?.finish();
  await tick();
  t.same(batches[1]?.items, [2, 3, 4], 'the next batch takes what waited, up to maxBatch');
  batches[1]?.finish();
  await tick();
  t.same(batches[2]?.items, [5, 6]);
  batches[2]?.finish();
  t.same(await Promise.all(answers), ['done 1', 'done 2', 'done 3', 'done 4', 'done 5', 'done 6']);
  await c.drained();
  t.equal(c.pending, 0);
});

t.test('maxInFlight batches run at once', async (t) => {
  const { batches, run } = controlled();
  const c = new Coalescer(run, { maxBatch: 10, maxInFlight: 2 });
  const answers = [1, 2, 3].map((i) => c.submit(i));
  t.same(
    batches.map((b) => b.items),
    [[1], [2]],
  );
  batches[1]?.finish();
  await tick();
  t.same(batches[2]?.items, [3]);
  batches[0]?.finish();
  batches[2]?.finish();
  t.same(await Promise.all(answers), ['done 1', 'done 2', 'done 3']);
});

t.test('each request gets its own result; a batch that throws fails all of its requests', async (t) => {
  const { batches, run } = controlled();
  const c = new Coalescer(run, { maxBatch: 10, maxInFlight: 1 });
  const first = c.submit(1);
  const [a, b] = [c.submit(2), c.submit(3)];
  batches[0]?.finish();
  await first;
  await tick();
  batches[1]?.finish([{ ok: false, error: new Error('refused 2') }, { ok: true, value: 'done 3' }]);
  await t.rejects(a, { message: 'refused 2' });
  t.equal(await b, 'done 3');

  const alone = c.submit(4);
  const [c1, c2] = [c.submit(5), c.submit(6)];
  batches[2]?.finish();
  await alone;
  await tick();
  t.same(batches[3]?.items, [5, 6]);
  batches[3]?.fail(new Error('connection lost'));
  await t.rejects(c1, { message: 'connection lost' });
  await t.rejects(c2, { message: 'connection lost' });

  const short = c.submit(7);
  batches[4]?.finish([]);
  await t.rejects(short, { message: /answered 0 results for 1 items/ });
});

t.test('drained() waits for waiting and running requests', async (t) => {
  const { batches, run } = controlled();
  const c = new Coalescer(run, { maxBatch: 10, maxInFlight: 1 });
  void c.submit(1);
  void c.submit(2);
  let drained = false;
  const done = c.drained().then(() => (drained = true));
  batches[0]?.finish();
  await tick();
  t.notOk(drained, 'one still waits');
  batches[1]?.finish();
  await done;
  t.ok(drained);
});

t.test('limits below one are refused', async (t) => {
  t.throws(() => new Coalescer(async () => [], { maxBatch: 0, maxInFlight: 1 }), RangeError);
  t.throws(() => new Coalescer(async () => [], { maxBatch: 1, maxInFlight: 0 }), RangeError);
});
