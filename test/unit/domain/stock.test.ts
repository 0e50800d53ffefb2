import t from 'tap';
import { addDays, allocate, expiryStatus, lineQuantity, matchesLine, MOVEMENT_EFFECTS, repeatedUnit, type OnHandCandidate, type StockProduct } from '../../../src/domain/stock.js';
import { STOCK_MOVEMENT_KINDS } from '../../../src/domain/vocabulary.js';

const product = (over: Partial<StockProduct> = {}): StockProduct => ({ issuingAgency: 'GS1', di: '09506000134352', lotNumber: 'L1', serialNumber: null, expirationDate: '2028-12-31', ...over });
const row = (id: string, over: Partial<OnHandCandidate> = {}): OnHandCandidate => ({ id, status: 'available', consignment: false, expirationDate: '2028-12-31', quantity: 1, ...over });

t.test('every movement kind has an effect; only consumption may overdraw', async (t) => {
  t.same(Object.keys(MOVEMENT_EFFECTS).sort(), [...STOCK_MOVEMENT_KINDS].sort());
  t.same(STOCK_MOVEMENT_KINDS.filter((k) => MOVEMENT_EFFECTS[k].mayOverdraw), ['consumed']);
  t.same(MOVEMENT_EFFECTS.received.takes, []);
  t.same(MOVEMENT_EFFECTS.moved.puts, { status: 'available', at: 'destination' });
  t.same(MOVEMENT_EFFECTS.quarantined, { takes: ['available'], puts: { status: 'quarantined', at: 'same' }, mayOverdraw: false });
  t.same(MOVEMENT_EFFECTS.released.takes, ['quarantined']);
  t.equal(MOVEMENT_EFFECTS['written-off'].puts, null);
});

t.test('a line moves the quantity asked, else the label’s count, else one; a serial is one unit', async (t) => {
  const cases: Array<[Partial<StockProduct>, number | undefined, number | undefined, number | null]> = [
    [{}, undefined, undefined, 1],
    [{}, undefined, 12, 12],
    [{}, 3, 12, 3],
    [{ serialNumber: 'S1' }, undefined, undefined, 1],
    [{ serialNumber: 'S1' }, 2, undefined, null],
    [{ serialNumber: 'S1' }, undefined, 5, null],
    [{}, 0, undefined, null],
    [{}, 1.5, undefined, null],
  ];
  for (const [over, requested, onLabel, expected] of cases) {
    const q = lineQuantity(product(over), requested, onLabel);
    t.same(q.ok ? q.quantity : null, expected, JSON.stringify([over, requested, onLabel]));
  }
});

t.test('the same unit twice in one request is found; lots may repeat', async (t) => {
  t.equal(repeatedUnit([product(), product()]), undefined);
  t.same(repeatedUnit([product({ serialNumber: 'A' }), product({ serialNumber: 'B' }), product({ serialNumber: 'A' })]), { index: 2, first: 0 });
  t.equal(repeatedUnit([product({ serialNumber: 'A' }), product({ serialNumber: 'A', di: '09506000134369' })]), undefined);
});

t.test('a line matches rows of its lot and serial, and of its expiry when it names one', async (t) => {
  t.ok(matchesLine(product(), product()));
  t.notOk(matchesLine(product({ lotNumber: 'L2' }), product()));
  t.notOk(matchesLine(product({ serialNumber: 'S' }), product()));
  t.notOk(matchesLine(product({ expirationDate: '2029-01-31' }), product()));
  t.ok(matchesLine(product({ expirationDate: '2029-01-31' }), product({ expirationDate: null })));
});

t.test('allocation: statuses in order, earliest expiry, owned before consignment; all or nothing', async (t) => {
  const rows = [
    row('1', { quantity: 5, consignment: true }),
    row('2', { quantity: 2, expirationDate: '2027-01-31' }),
    row('3', { quantity: 4 }),
    row('4', { quantity: 3, status: 'quarantined' }),
  ];
  const moved = allocate(rows, MOVEMENT_EFFECTS.moved, 8);
  t.same(moved.ok && moved.takes.map((x) => [x.row.id, x.quantity]), [['2', 2], ['3', 4], ['1', 2]]);
  const writeOff = allocate(rows, MOVEMENT_EFFECTS['written-off'], 4);
  t.same(writeOff.ok && writeOff.takes.map((x) => [x.row.id, x.quantity]), [['4', 3], ['2', 1]], 'quarantined first');
  t.same(allocate(rows, MOVEMENT_EFFECTS.moved, 12), { ok: false, onHand: 11 });
  t.same(allocate(rows, MOVEMENT_EFFECTS.released, 4), { ok: false, onHand: 3 });
  const consumed = allocate([], MOVEMENT_EFFECTS.consumed, 1);
  t.same(consumed, { ok: true, takes: [] }, 'consumption may find nothing on hand (a discrepancy)');
});

t.test('expiry by calendar date', async (t) => {
  t.equal(addDays('2026-12-07', 30), '2027-01-06');
  t.equal(addDays('2028-02-28', 1), '2028-02-29');
  t.equal(expiryStatus('2026-12-06', '2026-12-07', 30), 'expired');
  t.equal(expiryStatus('2026-12-07', '2026-12-07', 30), 'expiring', 'the last day of use is not yet expired');
  t.equal(expiryStatus('2027-01-06', '2026-12-07', 30), 'expiring');
  t.equal(expiryStatus('2027-01-07', '2026-12-07', 30), 'later');
});
