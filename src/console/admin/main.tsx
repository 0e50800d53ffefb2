/**
 * The admin page: the API keys of devices and servers (theatre scanners,
 * integrations), created and revoked by an admin signed in as a person (their
 * organisation account) or with an admin key. A new key's secret is shown
 * once and never kept: not in the URL, not in storage, not in the log.
 */
import { render } from 'preact';
import { SignIn } from '../shared/SignIn.js';
import { TopBar } from '../shared/TopBar.js';
import { useSession } from '../shared/useSession.js';
import { ApiKeys } from './ApiKeys.js';

const CONSOLE = 'admin';

function Admin() {
  const signedIn = useSession(CONSOLE, 'admin');
  const { api, session, restoring, start, end } = signedIn;

  if (session === null) {
    if (restoring) return <p role="status">Signing in…</p>;
    return (
      <SignIn
        api={api}
        role="admin"
        title="Administration"
        hint="Type or paste an admin key. It is kept in this tab only, until the tab is closed."
        onSignedIn={start}
        state={signedIn}
      />
    );
  }

  return (
    <>
      <TopBar title="Administration" session={session} onSignOut={end} />
      <ApiKeys api={api} me={session.me} />
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<Admin />, root);
