import t from 'tap';
import { bodyOf, emptyDraft } from '../../../src/console/admin/draft.js';
import { HOLDER_NAMES, holderOf, ROLE_CHOICES } from '../../../src/console/admin/types.js';
import type { Me } from '../../../src/console/shared/session.js';
import { ROLES } from '../../../src/domain/vocabulary.js';
import { ApiKeySchema, CreateApiKeyBody } from '../../../src/modules/api-keys/api-key.schemas.js';

const national: Me = { keyId: '00000000-0000-4000-8000-000000000001', keyName: 'bootstrap', role: 'admin', national: true, organisation: null };
const rrk: Me = { keyId: '00000000-0000-4000-8000-000000000002', keyName: 'RRK admin', role: 'admin', national: false, organisation: 'RRK' };

t.test('every kind the service names is known to the page; a person’s principal is told by its prefix', async (t) => {
  for (const kind of ApiKeySchema.shape.kind.options) t.not(holderOf({ kind, prefix: 'itk_abcdefgh' }), 'other', kind);
  t.equal(holderOf({ kind: 'api-key', prefix: 'itk_abcdefgh' }), 'device');
  t.equal(holderOf({ kind: 'api-key', prefix: 'bootstrap' }), 'device');
  t.equal(holderOf({ kind: 'api-key', prefix: 'person' }), 'person');
  t.equal(holderOf({ kind: 'smart-client', prefix: 'smart-client' }), 'smart-client');
  t.equal(holderOf({ kind: 'person', prefix: 'person' }), 'person', 'a kind the service may add later');
  t.equal(holderOf({ kind: 'robot', prefix: 'itk_abcdefgh' }), 'other', 'an unknown kind: shown, never revoked here');
  t.same(Object.keys(HOLDER_NAMES).sort(), ['device', 'person', 'smart-client']);
  t.same(ROLE_CHOICES.map((c) => c.role).sort(), [...ROLES].sort(), 'the form offers every role');
});

t.test('the form’s bodies are what the service takes', async (t) => {
  const valid = (body: unknown) => CreateApiKeyBody.safeParse(body).success;
  const scanner = bodyOf({ ...emptyDraft(national), name: ' Theatre 3 scanner ', organisation: ' rrk ' }, national);
  t.same(scanner, { name: 'Theatre 3 scanner', role: 'scanner', organisation: 'RRK' });
  t.ok(valid(scanner));
  const nationalKey = bodyOf({ ...emptyDraft(national), name: 'Audit reader', role: 'procurement', reach: 'national', organisation: 'RRK' }, national);
  t.same(nationalKey, { name: 'Audit reader', role: 'procurement', national: true }, 'national: the organisation typed before is dropped');
  t.ok(valid(nationalKey));
  const registry = bodyOf({ ...emptyDraft(rrk), name: 'NJR upload', role: 'registry', registry: 'njr' }, rrk);
  t.same(registry, { name: 'NJR upload', role: 'registry', organisation: 'RRK', registry: 'NJR' }, 'an organisation’s admin: its own organisation');
  t.ok(valid(registry));
  t.same(bodyOf({ ...emptyDraft(rrk), name: 'x', role: 'scanner', registry: 'NJR', reach: 'national' }, rrk), { name: 'x', role: 'scanner', organisation: 'RRK' }, 'no registry for another role; no national key from an organisation’s admin');
  t.same(bodyOf({ ...emptyDraft(national), name: '  ' }, national), { name: '', role: 'scanner', organisation: '' }, 'blanks stay blank: the form says what is missing');
});
