import t from 'tap';
import { previewText } from '../../../src/console/recalls/counts.js';
import { MATCH_KINDS as SERVICE_MATCH_KINDS } from '../../../src/modules/recalls/recall.matching.js';
import { type Counts, MATCH_HINTS, MATCH_KINDS, matchHint, matchKindsOf, matchLabel } from '../../../src/console/recalls/types.js';

t.test('every match kind the service names has a label and a plain explanation', async (t) => {
  for (const kind of SERVICE_MATCH_KINDS) {
    t.ok((MATCH_KINDS as readonly string[]).includes(kind), `${kind} is known to the console`);
    t.notMatch(matchHint(kind), /does not describe yet/, `${kind} is explained`);
  }
  t.equal(matchLabel('lot-run-on'), 'Lot run on');
  t.equal(matchLabel('lot-similar'), 'Look-alike lot');
  t.equal(matchLabel('lot-without-product'), 'Lot label only');
  t.match(MATCH_HINTS['lot-similar'], /O\/0/);
});

t.test('a kind the console does not know yet: a plain label from its name, listed after the known ones', async (t) => {
  t.equal(matchLabel('serial-typo_maybe'), 'Serial typo maybe');
  t.equal(matchLabel('--'), 'Other match');
  t.match(matchHint('serial-typo'), /does not describe yet/);
  t.same(matchKindsOf({ manual: 0, 'serial-typo': 2, udi: 1, lot: 3, 'gtin-only': 0 }), ['udi', 'lot', 'gtin-only', 'manual', 'serial-typo']);
  t.same(matchKindsOf({}), []);
});

t.test('the preview names the usual kinds always and a weaker or newer kind when it counts something', async (t) => {
  const counts = (byMatch: Record<string, number>): Counts => ({ items: 3, patients: 3, explanted: 0, byMatch, byStatus: {} as Counts['byStatus'] });
  t.equal(
    previewText(counts({ udi: 0, lot: 2, 'gtin-only': 1, manual: 0, 'lot-run-on': 0, 'lot-similar': 0, 'lot-without-product': 0 })),
    '3 patients, 3 items; by match: 0 udi (serial), 2 lot or date, 1 product only, 0 typed in. 0 since explanted.',
  );
  t.equal(
    previewText(counts({ udi: 0, lot: 1, 'gtin-only': 0, manual: 0, 'lot-run-on': 1, 'lot-similar': 0, 'lot-without-product': 0, 'new-kind': 1 })),
    '3 patients, 3 items; by match: 0 udi (serial), 1 lot or date, 0 product only, 0 typed in, 1 lot run on, 1 new kind. 0 since explanted.',
  );
});
