import t from 'tap';
import { actionsFor, idempotencyKeys, lineIndexOf, lineOf, lineText, locationRefOf } from '../../../src/console/stock/lines.js';
import { StatusChangeBody, WriteOffBody } from '../../../src/modules/stock/stock.schemas.js';

const GS1_LOT = { issuingAgency: 'GS1', di: '09506000134352', lotNumber: 'LOTA', serialNumber: null, expirationDate: '2030-12-31' };
const GS1_UNIT = { issuingAgency: 'GS1', di: '09506000134352', lotNumber: null, serialNumber: 'SER1', expirationDate: null };
const HIBC = { issuingAgency: 'HIBCC', di: 'A99912349', lotNumber: '10X3', serialNumber: null, expirationDate: '2011-12-31' };

t.test('a row on hand is named to the service by its GTIN, lot, serial and expiry: a line the service accepts', async (t) => {
  t.same(lineOf(GS1_LOT, 4), { manual: { gtin: '09506000134352', lotNumber: 'LOTA', expirationDate: '2030-12-31' }, quantity: 4 });
  t.same(lineOf(GS1_UNIT, 1), { manual: { gtin: '09506000134352', serialNumber: 'SER1' }, quantity: 1 }, 'what the row does not have is left out, not sent as null');
  t.equal(lineOf(HIBC, 1), null, 'an HIBC product has no GTIN to type in');
  const location = locationRefOf({ location: { gln: '9506000134376', glnExtension: null, name: 'Store' } });
  t.same(location, { gln: '9506000134376' });
  t.equal(locationRefOf({ location: null }), null, 'the unlocated account is not a place a movement names');
  const body = { location, reason: 'recall FSN-1', lines: [lineOf(GS1_LOT, 4), lineOf(GS1_UNIT, 1)] };
  t.ok(StatusChangeBody.safeParse(body).success, 'the service’s schema accepts the quarantine the page sends');
  t.ok(WriteOffBody.safeParse({ location: { gln: '9506000134376', glnExtension: 'B2' }, reason: 'expired', lines: [lineOf(GS1_LOT, 1)] }).success);
});

t.test('the actions a row offers follow its status', async (t) => {
  t.same(actionsFor('available'), ['quarantine', 'write-off', 'return']);
  t.same(actionsFor('quarantined'), ['release', 'write-off', 'return']);
});

t.test('the line a refusal names: its index, else scans[n] or lines[n] in its detail; said without the prefix', async (t) => {
  t.equal(lineIndexOf({ detail: 'scans[2]: serial S of D is on hand already', index: 2 }), 2);
  t.equal(lineIndexOf({ detail: 'lines[3]: 2 wanted, 1 on hand' }), 3);
  t.equal(lineIndexOf({ detail: 'Send an Idempotency-Key header' }), null);
  t.equal(lineText('scans[0]: serial SER1 of 09506000134352 is on hand already (available, Store). Nothing was recorded.'), 'Serial SER1 of 09506000134352 is on hand already (available, Store). Nothing was recorded.');
  t.equal(lineText('No prefix here.'), 'No prefix here.');
});

t.test('one Idempotency-Key per request, kept until the service answers it', async (t) => {
  const keys = idempotencyKeys();
  const a = keys.keyFor({ lines: [1] });
  t.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(keys.keyFor({ lines: [1] }), a, 'a retry of the same request after a dropped answer');
  const b = keys.keyFor({ lines: [1, 2] });
  t.not(b, a, 'a changed request is a new request');
  t.equal(keys.keyFor({ lines: [1] }), a, 'back to the first body, still unanswered: its key (it may have been recorded)');
  keys.answered({ lines: [1] }, 503);
  keys.answered({ lines: [1] }, 429);
  t.equal(keys.keyFor({ lines: [1] }), a, 'a 5xx or a 429 is no answer: the retry keeps the key');
  keys.answered({ lines: [1] }, 201);
  t.not(keys.keyFor({ lines: [1] }), a, 'recorded: the same body again is a new request (a second delivery of the same lot)');
  keys.answered({ lines: [1, 2] }, 409);
  t.not(keys.keyFor({ lines: [1, 2] }), b, 'refused: sent again, it is asked again');
  t.not(idempotencyKeys().keyFor({ lines: [1] }), a, 'each form its own keys');
});
