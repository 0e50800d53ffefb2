import { useState } from 'preact/hooks';
import { useFocusOnMount } from './focus.js';
import { NetworkError, type Api } from './api.js';
import { signIn, type Role, type Session } from './session.js';

interface Props {
  readonly api: Api;
  readonly role: Role;
  readonly title: string;
  readonly hint: string;
  readonly onSignedIn: (session: Session) => void;
}

/** The key form: a password field (never shown, never autocompleted), checked against /v1/me before anything else. */
export function SignIn({ api, role, title, hint, onSignedIn }: Props) {
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
      <form onSubmit={(e) => void submit(e)} novalidate>
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
