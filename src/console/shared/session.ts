/**
 * Who is signed in to a console: the API key and what /v1/me says of it. The
 * key lives in sessionStorage (this tab only, gone when it closes), never in
 * a URL, a cookie or localStorage.
 */
import type { Api } from './api.js';

export type Role = 'admin' | 'scanner' | 'procurement' | 'registry';

export interface Me {
  readonly keyId: string;
  readonly keyName: string;
  readonly role: Role;
  readonly national: boolean;
  readonly organisation: string | null;
}

export interface Session {
  readonly key: string;
  readonly me: Me;
}

const storageKey = (consoleName: string) => `implant-trace.${consoleName}.key`;

export function storedKey(consoleName: string): string | null {
  try {
    return sessionStorage.getItem(storageKey(consoleName));
  } catch {
    return null;
  }
}

export function storeKey(consoleName: string, key: string | null): void {
  try {
    if (key === null) sessionStorage.removeItem(storageKey(consoleName));
    else sessionStorage.setItem(storageKey(consoleName), key);
  } catch {
    // Private modes without storage: the user signs in again after a reload.
  }
}

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
    return { ok: false, message: `This is a ${answer.data.role} key. This page needs a ${role} key.` };
  }
  return { ok: true, session: { key, me: answer.data } };
}
