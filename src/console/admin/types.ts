/** The key API's shapes as the admin page reads them (see openapi/openapi.json: ApiKey, CreatedApiKey, RegistryList). */
import type { Role } from '../shared/session.js';

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly national: boolean;
  /** ODS code; null for national keys. */
  readonly organisation: string | null;
  readonly registry: string | null;
  /** The first characters of the key, to tell keys apart. Not a secret. */
  readonly prefix: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  /** 'api-key' or 'smart-client' today; any other word the service may add later is shown, never offered for revocation. */
  readonly kind: string;
}

/** The answer to POST /v1/api-keys: the key with its secret, this once. */
export interface CreatedApiKey extends ApiKey {
  readonly key: string;
}

export interface Registry {
  readonly code: string;
  readonly name: string;
}

/**
 * Who holds a row of the key list. The service's `kind` tells a SMART client's
 * principal from the rest, but not a person's: a person's role profile is a row
 * of kind 'api-key' whose prefix is 'person' (the sign-in makes it so, see
 * src/modules/sign-in/session.repository.ts), a prefix no key has (keys start
 * with itk_, the bootstrap key is 'bootstrap').
 */
export type Holder = 'device' | 'person' | 'smart-client' | 'other';

export function holderOf(key: Pick<ApiKey, 'kind' | 'prefix'>): Holder {
  if (key.kind === 'smart-client') return 'smart-client';
  if (key.kind === 'person' || (key.kind === 'api-key' && key.prefix === 'person')) return 'person';
  return key.kind === 'api-key' ? 'device' : 'other';
}

export const HOLDER_NAMES: Readonly<Record<Exclude<Holder, 'other'>, string>> = {
  device: 'Device or server',
  person: 'Person',
  'smart-client': 'SMART client',
};

/** The roles a key can have, in the order the form offers them, each with what it is for (the API's own words). */
export const ROLE_CHOICES: ReadonlyArray<{ readonly role: Role; readonly label: string; readonly hint: string }> = [
  { role: 'scanner', label: 'Scanner', hint: 'theatre capture: a tablet or scanner in theatre' },
  { role: 'procurement', label: 'Procurement', hint: 'catalogue, recalls, reports' },
  { role: 'registry', label: 'Registry', hint: 'feeds and outcomes, for a registry’s server' },
  { role: 'admin', label: 'Admin', hint: 'organisations and keys' },
];
