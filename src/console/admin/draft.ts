/** The new-key form's draft, and the body POST /v1/api-keys takes from it: pure, so the unit tests read it as the page does. */
import type { Me, Role } from '../shared/session.js';

export interface Draft {
  readonly name: string;
  readonly role: Role;
  readonly reach: 'organisation' | 'national';
  readonly organisation: string;
  readonly registry: string;
}

export const emptyDraft = (me: Me): Draft => ({ name: '', role: 'scanner', reach: 'organisation', organisation: me.national ? '' : (me.organisation ?? ''), registry: '' });

/** The draft as POST /v1/api-keys takes it (CreateApiKeyBody): exactly one of organisation or national; a registry for registry keys only. */
export function bodyOf(draft: Draft, me: Me) {
  const national = me.national && draft.reach === 'national';
  const organisation = (me.national ? draft.organisation : (me.organisation ?? '')).trim().toUpperCase();
  const registry = draft.registry.trim().toUpperCase();
  return {
    name: draft.name.trim(),
    role: draft.role,
    ...(national ? { national: true } : { organisation }),
    ...(draft.role === 'registry' && registry !== '' ? { registry } : {}),
  };
}
