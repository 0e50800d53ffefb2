import type { FhirExportType, Role } from '../domain/vocabulary.js';
import { ProblemError } from './problem.js';

/** A person signed in with OpenID Connect: who they are at their provider. */
export interface Person {
  /** The provider's issuer URL. */
  readonly provider: string;
  readonly subject: string;
  /** Their display name, from the provider's claims at sign-in. */
  readonly name: string;
}

/**
 * Who is calling: the API key that authenticated the request, with its tenancy;
 * for a person signed in with OpenID Connect, their principal (a row of api_keys
 * per person and role profile) and the person.
 */
export interface Actor {
  readonly keyId: string;
  readonly keyName: string;
  readonly role: Role;
  /** A national key reads across organisations (the MHRA or national registry view). */
  readonly national: boolean;
  /** The key's organisation; null exactly when the key is national. */
  readonly organisationId: string | null;
  readonly odsCode: string | null;
  /** For registry keys: the registry whose feeds the key reads (null: none; outcomes only). */
  readonly registryCode: string | null;
  /**
   * The person signed in who acts: in their session, or at the device whose key sent the request (their
   * session cookie came with it, same organisation: the key's rights, their name). Unset for a key alone.
   */
  readonly person?: Person;
  /**
   * Set when the caller presented a SMART access token rather than an API key (keyId is then its client's
   * principal): the client, and the resource types its token's scopes let it read. Routes admit tokens only
   * where they say so (`config.smart`), and only for those types.
   */
  readonly token?: SmartTokenGrant;
}

export interface SmartTokenGrant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly readable: readonly FhirExportType[];
}

/** The types of `types` that the actor may not read: none for an API key, those outside a token's scopes otherwise. */
export function unreadableTypes(actor: Actor, types: readonly FhirExportType[]): FhirExportType[] {
  const token = actor.token;
  return token === undefined ? [] : types.filter((t) => !token.readable.includes(t));
}

/** What a service needs to know about the request it serves: the actor, and ids for the audit trail. */
export interface RequestContext {
  readonly requestId: string;
  /** Method and route pattern (never the concrete URL), e.g. `DELETE /v1/api-keys/:id`. */
  readonly route: string;
  readonly actor: Actor;
}

/**
 * The rows an actor may see: everything for a national key, its own
 * organisation's otherwise. Repositories filter organisation-owned rows by it.
 */
export type TenancyScope = { readonly kind: 'national' } | { readonly kind: 'organisation'; readonly organisationId: string };

export function tenancyOf(actor: Actor): TenancyScope {
  if (actor.national) return { kind: 'national' };
  // Fail closed: the database forbids such a key, so this is a programming error.
  if (actor.organisationId === null) throw new Error('A non-national actor must belong to an organisation');
  return { kind: 'organisation', organisationId: actor.organisationId };
}

/** Whether the actor may see a row owned by `organisationId`. */
export function canSee(actor: Actor, organisationId: string | null): boolean {
  return actor.national || (organisationId !== null && organisationId === actor.organisationId);
}

/** The actor's organisation, for operations that belong to one (a national key has none: 403). */
export function requireOrganisation(ctx: RequestContext): string {
  if (ctx.actor.organisationId === null) {
    throw new ProblemError('FORBIDDEN', 'This operation belongs to an organisation: use a key of that organisation, not a national one.');
  }
  return ctx.actor.organisationId;
}
