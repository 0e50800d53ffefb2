/**
 * The recall console, for a procurement officer or Medical Device Safety
 * Officer: the recalls of the organisation, a new recall from a Field Safety
 * Notice with a live count of whom it affects, each recall's affected patients
 * (filtered, contacted, exported), the survival of a product and the safety
 * report (what the point-of-use checks found and prevented, month by month).
 *
 * The view is kept in the URL's fragment (#/new, #/recall/<id>, #/survival, #/safety),
 * so Back and a reload work; an NHS number is never put there.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { SignIn } from '../shared/SignIn.js';
import { TopBar } from '../shared/TopBar.js';
import { useSession } from '../shared/useSession.js';
import { RecallDetail } from './RecallDetail.js';
import { RecallForm } from './RecallForm.js';
import { RecallList } from './RecallList.js';
import { Safety } from './Safety.js';
import { Survival } from './Survival.js';
import { go } from './ui.js';

const CONSOLE = 'recalls';

type View = { readonly name: 'list' } | { readonly name: 'new' } | { readonly name: 'recall'; readonly id: string } | { readonly name: 'survival' } | { readonly name: 'safety' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function viewOf(hash: string): View {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'new') return { name: 'new' };
  if (parts[0] === 'survival') return { name: 'survival' };
  if (parts[0] === 'safety') return { name: 'safety' };
  if (parts[0] === 'recall' && parts[1] && UUID.test(parts[1])) return { name: 'recall', id: parts[1] };
  return { name: 'list' };
}

function Recalls() {
  const signedIn = useSession(CONSOLE, 'procurement');
  const { api, session, restoring, start, end } = signedIn;
  const [view, setView] = useState<View>(() => viewOf(location.hash));

  useEffect(() => {
    const onHash = () => setView(viewOf(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const signOut = () => {
    end();
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
        onSignedIn={start}
        state={signedIn}
      />
    );
  }

  const current = (name: View['name']) => (view.name === name || (name === 'list' && view.name === 'recall') ? 'page' : undefined);

  return (
    <>
      <TopBar title="Recalls" session={session} onSignOut={signOut}>
        <nav class="views" aria-label="Recall console">
          <a href="#/" aria-current={current('list')}>
            Recalls
          </a>
          <a href="#/survival" aria-current={current('survival')}>
            Survival
          </a>
          <a href="#/safety" aria-current={current('safety')}>
            Safety
          </a>
        </nav>
      </TopBar>
      {view.name === 'list' && <RecallList api={api} />}
      {view.name === 'new' && <RecallForm api={api} onCreated={(r) => go(`#/recall/${r.id}`)} onCancel={() => go('#/')} />}
      {view.name === 'recall' && <RecallDetail key={view.id} api={api} id={view.id} />}
      {view.name === 'survival' && <Survival api={api} />}
      {view.name === 'safety' && <Safety api={api} />}
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<Recalls />, root);
