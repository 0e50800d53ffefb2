import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApi, type Api, type Credentials, type Problem } from './api.js';
import {
  chooseProfile,
  personFlag,
  probeSession,
  profileText,
  type Probe,
  type Profiles,
  type Role,
  type Session,
  setPersonFlag,
  SIGNED_OUT_SENTENCE,
  signIn,
  signInRefusalSentence,
  signOutPerson,
  storedKey,
  storeKey,
  withArticle,
} from './session.js';

export interface SessionState {
  /** Calls the API as the one signed in: their key, or their session cookie with its CSRF token (nobody before sign-in). */
  readonly api: Api;
  readonly session: Session | null;
  /** The sign-in is being found out (a key kept in this tab checked again, or the session asked for). */
  readonly restoring: boolean;
  /** The service offers sign-in with an organisation account (OpenID Connect). */
  readonly personSignIn: boolean;
  /** A sentence for the sign-in page: a refusal, a session that ended, a profile of another role. */
  readonly notice: string | null;
  /** A person signed in whose session cannot act here yet: several profiles to choose from, or one of another role. */
  readonly person: Profiles | null;
  readonly start: (session: Session) => void;
  /** Acts in one of the person's profiles; a sentence when that fails. */
  readonly choose: (profileId: string) => Promise<string | null>;
  /** Signs out: a key is forgotten; a person's session is ended at the service and the browser follows to the provider. */
  readonly end: () => void;
}

/** `?sign-in=<code>` (the service sends a refused browser back with it): read once, then taken out of the address. */
function takeSignInCode(): string | null {
  const params = new URLSearchParams(location.search);
  const code = params.get('sign-in');
  if (code === null) return null;
  params.delete('sign-in');
  const search = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${search === '' ? '' : `?${search}`}${location.hash}`);
  return code;
}

/**
 * One console's sign-in: the API client carrying the signed-in credentials, a key kept in
 * this tab's sessionStorage so that a reload signs in again (if the service still accepts it
 * for this role), or a person's session found by asking the service (GET /auth/profiles).
 */
export function useSession(consoleName: string, role: Role): SessionState {
  const [session, setSession] = useState<Session | null>(null);
  const [person, setPerson] = useState<Profiles | null>(null);
  const [restoring, setRestoring] = useState(true);
  const [personSignIn, setPersonSignIn] = useState(false);
  const [notice, setNotice] = useState<string | null>(() => {
    const code = takeSignInCode();
    return code === null ? null : signInRefusalSentence(code);
  });
  const credentials = useRef<Credentials>(null);
  credentials.current = session?.key
    ? { kind: 'key', key: session.key }
    : session
      ? { kind: 'session', csrfToken: session.me.csrfToken ?? null }
      : person
        ? { kind: 'session', csrfToken: person.csrfToken }
        : null;
  const refused = useRef<(problem: Problem) => void>(() => undefined);
  const api = useMemo(() => createApi(() => credentials.current, undefined, (problem) => refused.current(problem)), []);

  /** What the service says of this browser's session, applied to the page. */
  const apply = (probe: Probe) => {
    setPersonSignIn(probe.kind !== 'off');
    if (probe.kind === 'none' && personFlag()) setNotice((n) => n ?? SIGNED_OUT_SENTENCE);
    if (probe.kind !== 'choose' && probe.kind !== 'signed-in') {
      setPersonFlag(false);
      setSession(null);
      setPerson(null);
      return;
    }
    setPersonFlag(true);
    if (probe.kind === 'signed-in' && probe.me.role === role) {
      setPerson(null);
      setNotice(null);
      setSession({ key: null, me: probe.me });
      return;
    }
    setSession(null);
    setPerson(probe.profiles);
    if (probe.kind === 'signed-in') {
      const profile = probe.profiles.profiles.find((p) => p.id === probe.profiles.current);
      setNotice(`You are signed in as ${probe.me.person?.name ?? probe.me.keyName}, ${profile ? profileText(profile) : `with the ${probe.me.role} role`}. This page needs ${withArticle(role)} profile.`);
    }
  };

  const reprobe = async () => apply(await probeSession(api));

  refused.current = (problem) => {
    if (problem.code === 'PROFILE_REQUIRED') {
      void reprobe();
      return;
    }
    // The session has ended (signed out elsewhere, idle, past its limit, or its profile revoked): back to the sign-in page, saying so.
    setPersonFlag(false);
    setSession(null);
    setPerson(null);
    setNotice(SIGNED_OUT_SENTENCE);
    void probeSession(api).then((p) => setPersonSignIn(p.kind !== 'off'));
  };

  useEffect(() => {
    void (async () => {
      const probe = await probeSession(api);
      const key = storedKey(consoleName);
      if (key === null) return apply(probe);
      // A key kept in this tab wins over a session: it was given here, on purpose.
      setPersonSignIn(probe.kind !== 'off');
      const outcome = await signIn(api, key, role).catch(() => null);
      if (outcome?.ok) setSession(outcome.session);
      else {
        storeKey(consoleName, null);
        apply(probe);
      }
    })()
      .catch(() => undefined)
      .finally(() => setRestoring(false));
  }, [api]);

  return {
    api,
    session,
    restoring,
    personSignIn,
    notice,
    person,
    start: (s) => {
      storeKey(consoleName, s.key);
      setNotice(null);
      setSession(s);
    },
    choose: async (profileId) => {
      if (!person) return SIGNED_OUT_SENTENCE;
      const chosen = await chooseProfile(api, profileId, person.csrfToken).catch(() => ({ ok: false as const, message: 'The service cannot be reached. Check the network and try again.' }));
      if (!chosen.ok) return chosen.message;
      setNotice(null);
      await reprobe();
      return null;
    },
    end: () => {
      if (session?.key) {
        storeKey(consoleName, null);
        setSession(null);
        return;
      }
      const csrfToken = session?.me.csrfToken ?? person?.csrfToken;
      signOutPerson(api, csrfToken)
        .then((to) => {
          setPersonFlag(false);
          setSession(null);
          setPerson(null);
          location.assign(to);
        })
        .catch(() => setNotice('Signing out did not reach the service. Check the network and try again.'));
    },
  };
}
