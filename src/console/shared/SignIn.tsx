import { useState } from 'preact/hooks';
import { useFocusOnMount } from './focus.js';
import { NetworkError, type Api } from './api.js';
import { ProfileChooser } from './ProfileChooser.js';
import { signIn, type Role, type Session } from './session.js';
import type { SessionState } from './useSession.js';

interface Props {
  readonly api: Api;
  readonly role: Role;
  readonly title: string;
  readonly hint: string;
  readonly onSignedIn: (session: Session) => void;
  /** Sign-in with an organisation account (when the service offers it), its refusals, and a person's profiles. */
  readonly state?: Pick<SessionState, 'personSignIn' | 'notice' | 'person' | 'choose' | 'end'>;
}

/** Where the service sends the browser back once the person has signed in: this page, as it is now (its query too: the stock page's `?recall=<id>`). */
function loginUrl(): string {
  return `/auth/login?returnTo=${encodeURIComponent(`${location.pathname}${location.search}${location.hash}`)}`;
}

/**
 * The sign-in page: "Sign in with your organisation account" when the service offers it, beside
 * the key form (keys stay, for shared devices): a password field (never shown, never
 * autocompleted), checked against /v1/me before anything else. A person signed in whose
 * session cannot act here yet chooses a role profile, or signs out.
 */
export function SignIn({ api, role, title, hint, onSignedIn, state }: Props) {
  if (state?.person) return <ProfileChooser title={title} role={role} person={state.person} notice={state.notice} choose={state.choose} signOut={state.end} />;
  return <KeyForm api={api} role={role} title={title} hint={hint} onSignedIn={onSignedIn} state={state} />;
}

function KeyForm({ api, role, title, hint, onSignedIn, state }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useFocusOnMount<HTMLInputElement>();

  const submit = async (event: Event) => {
    event.preventDefault();
    const key = input.current?.value.trim() ?? '';
    if (key === '') {
      setError('Enter or scan your API key.');
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    let outcome: Awaited<ReturnType<typeof signIn>>;
    try {
      outcome = await signIn(api, key, role);
    } catch (e) {
      outcome = { ok: false, message: e instanceof NetworkError ? 'The service cannot be reached. Check the network and try again.' : 'Sign-in failed.' };
    }
    setBusy(false);
    if (outcome.ok) {
      // The page that follows takes the focus; this form is about to go.
      onSignedIn(outcome.session);
      return;
    }
    setError(outcome.message);
    input.current?.focus();
  };

  return (
    <main id="main" class="panel sign-in">
      <h1>{title}</h1>
      {state?.notice && (
        <p id="sign-in-notice" class="refusal" role="alert">
          {state.notice}
        </p>
      )}
      {state?.personSignIn && (
        <section class="person-sign-in" aria-labelledby="person-sign-in-heading">
          <h2 id="person-sign-in-heading">Staff</h2>
          <p class="hint">Sign in as yourself, with the account you use at your organisation. Your name goes on everything you record.</p>
          <a class="button" href={loginUrl()}>
            Sign in with your organisation account
          </a>
        </section>
      )}
      <form onSubmit={(e) => void submit(e)} novalidate aria-labelledby={state?.personSignIn ? 'key-sign-in-heading' : undefined}>
        {state?.personSignIn && <h2 id="key-sign-in-heading">Shared device: API key</h2>}
        <label for="api-key">API key</label>
        <p id="api-key-hint" class="hint">{hint}</p>
        <input
          id="api-key"
          ref={input}
          type="password"
          autocomplete="off"
          spellcheck={false}
          aria-describedby={error ? 'api-key-hint sign-in-error' : 'api-key-hint'}
          aria-invalid={error ? true : undefined}
        />
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
