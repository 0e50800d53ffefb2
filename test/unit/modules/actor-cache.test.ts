import { createHash } from 'node:crypto';
import t from 'tap';
import { ActorCache } from '../../../src/modules/api-keys/actor-cache.js';
import type { Actor } from '../../../src/shared/actor.js';

const actor = (keyId: string): Actor => ({ keyId, keyName: keyId, role: 'scanner', national: false, organisationId: 'o', odsCode: 'RX1', registryCode: null });
const hash = (s: string) => createHash('sha256').update(s).digest();

t.test('entries expire, are forgotten by key id, and are bounded oldest-first', async (t) => {
  let now = 0;
  const cache = new ActorCache(1000, { now: () => new Date(now) }, 2);
  cache.set(hash('a'), actor('A'));
  t.equal(cache.get(hash('a'))?.keyId, 'A');
  now = 999;
  t.ok(cache.get(hash('a')));
  now = 1000;
  t.equal(cache.get(hash('a')), undefined, 'expired at the lifetime');
  t.equal(cache.size, 0, 'and dropped');

  cache.set(hash('a'), actor('A'));
  cache.set(hash('b'), actor('B'));
  cache.set(hash('c'), actor('C'));
  t.equal(cache.size, 2);
  t.equal(cache.get(hash('a')), undefined, 'the oldest went first');
  cache.forget('B');
  t.equal(cache.get(hash('b')), undefined);
  t.equal(cache.get(hash('c'))?.keyId, 'C');
});

t.test('a lifetime of 0 caches nothing', async (t) => {
  const cache = new ActorCache(0, { now: () => new Date() });
  cache.set(hash('a'), actor('A'));
  t.equal(cache.get(hash('a')), undefined);
  t.equal(cache.size, 0);
});
