/**
 * The recall console, for a procurement officer or Medical Device Safety
 * Officer: the recalls of the organisation, a new recall from a Field Safety
 * Notice with a live count of whom it affects, each recall's affected patients
 * (filtered, contacted, exported) and the survival of a product.
 *
 * The view is kept in the URL's fragment (#/new, #/recall/<id>, #/survival),
 * so Back and a reload work; an NHS number is never put there.
 */
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApi } from '../shared/api.js';
import { type Session, signIn, storedKey, storeKey } from '../shared/session.js';
import { SignIn } from '../shared/SignIn.js';
import { RecallDetail } from './RecallDetail.js';
import { RecallForm } from './RecallForm.js';
import { RecallList } from './RecallList.js';
import { Survival } from './Survival.js';
import { go } from './ui.js';

const CONSOLE = 'recalls';

type View = { readonly name: 'list' } | { readonly name: 'new' } | { readonly name: 'recall'; readonly id: string } | { readonly name: 'survival' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function viewOf(hash: string): View {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'new') return { name: 'new' };
  if (parts[0] === 'survival') return { name: 'survival' };
  if (parts[0] === 'recall' && parts[1] && UUID.test(parts[1])) return { name: 'recall', id: parts[1] };
  return { name: 'list' };
}

function Recalls() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedKey(CONSOLE) !== null);
  const keyRef = useRef<string | null>(null);
  keyRef.current = session?.key ?? null;
  const api = useMemo(() => createApi(() => keyRef.current), []);
  const [view, setView] = useState<View>(() => viewOf(location.hash));

  useEffect(() => {
    const onHash = () => setView(viewOf(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // A key kept in this tab's session storage signs in again after a reload.
  useEffect(() => {
    const key = storedKey(CONSOLE);
    if (key === null) return;
    signIn(api, key, 'procurement')
      .then((outcome) => (outcome.ok ? setSession(outcome.session) : storeKey(CONSOLE, null)))
      .catch(() => undefined)
      .finally(() => setRestoring(false));
  }, [api]);

  const signOut = () => {
    storeKey(CONSOLE, null);
    setSession(null);
    if (location.hash !== '') history.replaceState(null, '', location.pathname + location.search);
    setView({ name: 'list' });
  };

  if (session === null) {
    if (restoring) return <p role="status">Signing in…</p>;
    return (
      <SignIn
        api={api}
        role="procurement"
        title="Recall console"
        hint="Type or paste the procurement key. It is kept in this tab only, until the tab is closed."
        onSignedIn={(s) => {
          storeKey(CONSOLE, s.key);
          setSession(s);
        }}
      />
    );
  }

  const current = (name: View['name']) => (view.name === name || (name === 'list' && view.name === 'recall') ? 'page' : undefined);

  return (
    <>
      <header class="top">
        <span class="brand">Implant trace · Recalls</span>
        <nav class="views" aria-label="Recall console">
          <a href="#/" aria-current={current('list')}>
            Recalls
          </a>
          <a href="#/survival" aria-current={current('survival')}>
            Survival
          </a>
        </nav>
        <span class="who">
          {session.me.keyName} · {session.me.organisation ?? 'national'}
        </span>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      {view.name === 'list' && <RecallList api={api} />}
      {view.name === 'new' && <RecallForm api={api} onCreated={(r) => go(`#/recall/${r.id}`)} onCancel={() => go('#/')} />}
      {view.name === 'recall' && <RecallDetail key={view.id} api={api} id={view.id} />}
      {view.name === 'survival' && <Survival api={api} />}
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<Recalls />, root);
