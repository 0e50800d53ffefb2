import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApi, type Api } from './api.js';
import { type Role, type Session, signIn, storedKey, storeKey } from './session.js';

export interface SessionState {
  /** Calls the API with the signed-in key (none before sign-in). */
  readonly api: Api;
  readonly session: Session | null;
  /** A key kept in this tab is being checked again after a reload. */
  readonly restoring: boolean;
  readonly start: (session: Session) => void;
  readonly end: () => void;
}

/**
 * One console's sign-in: the API client carrying the signed-in key, and the
 * key kept in this tab's sessionStorage so that a reload signs in again (if
 * the service still accepts it for this role).
 */
export function useSession(consoleName: string, role: Role): SessionState {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedKey(consoleName) !== null);
  const keyRef = useRef<string | null>(null);
  keyRef.current = session?.key ?? null;
  const api = useMemo(() => createApi(() => keyRef.current), []);

  useEffect(() => {
    const key = storedKey(consoleName);
    if (key === null) return;
    signIn(api, key, role)
      .then((outcome) => (outcome.ok ? setSession(outcome.session) : storeKey(consoleName, null)))
      .catch(() => undefined)
      .finally(() => setRestoring(false));
  }, [api]);

  return {
    api,
    session,
    restoring,
    start: (s) => {
      storeKey(consoleName, s.key);
      setSession(s);
    },
    end: () => {
      storeKey(consoleName, null);
      setSession(null);
    },
  };
}
