/**
 * Who is signed in to a console, and how. With an API key (shared theatre
 * devices): the key and what /v1/me says of it; the key lives in sessionStorage
 * (this tab only, gone when it closes), never in a URL, a cookie or
 * localStorage. As a person (OpenID Connect, when the service has it on): the
 * service's session cookie, which scripts never see, and what /v1/me says of
 * it, with its CSRF token; nothing of it is stored by the page.
 */
import { NetworkError, type Api } from './api.js';

export type Role = 'admin' | 'scanner' | 'procurement' | 'registry';

export interface Person {
  readonly provider: string;
  readonly subject: string;
  readonly name: string;
}

export interface Me {
  readonly keyId: string;
  readonly keyName: string;
  readonly role: Role;
  readonly national: boolean;
  readonly organisation: string | null;
  /**
   * Who (from their provider): the person signed in, or, with a key, the person signed in on this
   * device whose session cookie went with it (same organisation): the service names them for what the key records.
   */
  readonly person?: Person;
  /** Signed in as a person: the session's CSRF token, for every change. */
  readonly csrfToken?: string;
}

export interface Session {
  /** The API key; null when a person is signed in by the service's session cookie. */
  readonly key: string | null;
  readonly me: Me;
}

/** One of a person's role profiles (GET /auth/profiles). */
export interface Profile {
  readonly id: string;
  readonly role: Role;
  readonly national: boolean;
  readonly organisation: string | null;
  readonly organisationName: string | null;
}

export interface Profiles {
  readonly person: Person;
  readonly current: string | null;
  readonly profiles: readonly Profile[];
  readonly csrfToken: string;
}

const storageKey = (consoleName: string) => `implant-trace.${consoleName}.key`;
/** Set while a person is signed in by session in this tab (no secret): a later 401 then means the session ended. */
const PERSON_FLAG = 'implant-trace.person-session';

function tryStorage<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    // Private modes without storage: the user signs in again after a reload.
    return fallback;
  }
}

export function storedKey(consoleName: string): string | null {
  return tryStorage(() => sessionStorage.getItem(storageKey(consoleName)), null);
}

export function storeKey(consoleName: string, key: string | null): void {
  tryStorage(() => (key === null ? sessionStorage.removeItem(storageKey(consoleName)) : sessionStorage.setItem(storageKey(consoleName), key)), undefined);
}

export function personFlag(): boolean {
  return tryStorage(() => sessionStorage.getItem(PERSON_FLAG) === '1', false);
}

export function setPersonFlag(on: boolean): void {
  tryStorage(() => (on ? sessionStorage.setItem(PERSON_FLAG, '1') : sessionStorage.removeItem(PERSON_FLAG)), undefined);
}

/** "a scanner", "an admin": a role with its article, for sentences. */
export const withArticle = (role: Role): string => `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`;

export type SignInOutcome = { readonly ok: true; readonly session: Session } | { readonly ok: false; readonly message: string };

/** Checks a key with /v1/me: it must be known and of the role this console is for. */
export async function signIn(api: Api, key: string, role: Role): Promise<SignInOutcome> {
  const answer = await api.request<Me>('/v1/me', { headers: { authorization: `Bearer ${key}` } });
  if (!answer.ok) {
    if (answer.status === 401) return { ok: false, message: 'That key is not known, or it has been revoked.' };
    if (answer.status === 429) return { ok: false, message: 'Too many failed sign-ins from this device. Wait a minute and try again.' };
    return { ok: false, message: answer.problem.detail };
  }
  if (answer.data.role !== role) {
    return { ok: false, message: `This is ${withArticle(answer.data.role)} key. This page needs ${withArticle(role)} key.` };
  }
  return { ok: true, session: { key, me: answer.data } };
}

/** What the service says of sign-in with an organisation account, and of this browser's session. */
export type Probe =
  | { readonly kind: 'off' }
  | { readonly kind: 'none' }
  | { readonly kind: 'choose'; readonly profiles: Profiles }
  | { readonly kind: 'signed-in'; readonly me: Me; readonly profiles: Profiles }
  | { readonly kind: 'unreachable' };

/**
 * One public call says both whether sign-in is on and who is signed in: GET /auth/profiles
 * answers 404 SIGN_IN_OFF when the service has no OpenID Provider, 401 when this browser has
 * no session, the person and their profiles otherwise. It is not an authentication: it never
 * counts towards the service's failed-authentication throttle. Then /v1/me, for the profile in use.
 */
export async function probeSession(api: Api): Promise<Probe> {
  try {
    const found = await api.request<Profiles>('/auth/profiles');
    if (!found.ok) return found.status === 404 ? { kind: 'off' } : found.status === 401 ? { kind: 'none' } : { kind: 'unreachable' };
    if (found.data.current === null) return { kind: 'choose', profiles: found.data };
    const me = await api.request<Me>('/v1/me');
    if (!me.ok) return me.problem.code === 'PROFILE_REQUIRED' ? { kind: 'choose', profiles: found.data } : { kind: 'none' };
    return { kind: 'signed-in', me: me.data, profiles: found.data };
  } catch (error) {
    if (error instanceof NetworkError) return { kind: 'unreachable' };
    throw error;
  }
}

/** Acts in one of the person's profiles (the service gives the session a new cookie). */
export async function chooseProfile(api: Api, profileId: string, csrfToken: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const answer = await api.request<Profiles>('/auth/profile', { method: 'POST', body: { profile: profileId }, headers: { 'x-csrf-token': csrfToken } });
  if (answer.ok) return { ok: true };
  if (answer.status === 401) return { ok: false, message: SIGNED_OUT_SENTENCE };
  return { ok: false, message: answer.problem.detail };
}

/** Ends the person's session at the service; where to send the browser next (the provider's end-session page, or the console). */
export async function signOutPerson(api: Api, csrfToken: string | undefined): Promise<string> {
  const answer = await api.request<{ redirectTo: string }>('/auth/logout', { method: 'POST', headers: csrfToken === undefined ? {} : { 'x-csrf-token': csrfToken } });
  if (!answer.ok) throw new Error(answer.problem.detail);
  return answer.data.redirectTo;
}

export const SIGNED_OUT_SENTENCE = 'Your session has ended (you signed out, it was unused for too long, or it reached its time limit). Sign in again.';

/** What the console says for the codes the service sends a refused browser back with (?sign-in=<code>). */
export function signInRefusalSentence(code: string): string {
  if (code === 'SIGN_IN_NO_ROLE') return 'You are signed in at your organisation, but you have no role in this service: ask your administrator.';
  if (code === 'SIGN_IN_FAILED') return 'The sign-in with your organisation account could not be finished (it took too long, or was interrupted). Try again.';
  return 'The sign-in with your organisation account did not succeed. Try again.';
}

export const ROLE_NAMES: Readonly<Record<Role, string>> = { admin: 'administrator', scanner: 'theatre scanning', procurement: 'procurement', registry: 'registry' };

/** A profile as people read it: "procurement at Royal Rook Trust (RRK)", "administrator, national". */
export function profileText(p: { readonly role: Role; readonly national: boolean; readonly organisation: string | null; readonly organisationName?: string | null }): string {
  const where = p.national || p.organisation === null ? 'national' : p.organisationName ? `at ${p.organisationName} (${p.organisation})` : `at ${p.organisation}`;
  return `${ROLE_NAMES[p.role]} ${where === 'national' ? '(national)' : where}`;
}
