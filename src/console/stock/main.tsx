/**
 * The stock page, for procurement: goods in by scanning at a location, the stock on hand
 * (filtered, paged, as CSV), the shelf-expiry report, the to-order report, quarantine, release,
 * write-off and return from a row, and a recall's stock on the shelves (`?recall=<id>`).
 *
 * The view is kept in the URL's fragment (#/stock, #/expiring, #/to-order; goods in by default), so Back
 * and a reload work.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { SignIn } from '../shared/SignIn.js';
import { TopBar } from '../shared/TopBar.js';
import { useSession } from '../shared/useSession.js';
import { Expiring } from './Expiring.js';
import { GoodsIn } from './GoodsIn.js';
import { OnHandView } from './OnHandView.js';
import { RecallShelf } from './RecallShelf.js';
import { ToOrder } from './ToOrder.js';

const CONSOLE = 'stock';

type View = 'goods-in' | 'stock' | 'expiring' | 'to-order';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function viewOf(hash: string): View {
  const name = hash.replace(/^#\/?/, '').split('/')[0];
  return name === 'stock' || name === 'expiring' || name === 'to-order' ? name : 'goods-in';
}

function recallOf(search: string): string | null {
  const id = new URLSearchParams(search).get('recall');
  return id !== null && UUID.test(id) ? id : null;
}

function Stock() {
  const signedIn = useSession(CONSOLE, 'procurement');
  const { api, session, restoring, start, end } = signedIn;
  const [view, setView] = useState<View>(() => viewOf(location.hash));
  const [recall, setRecall] = useState<string | null>(() => recallOf(location.search));

  useEffect(() => {
    const onHash = () => {
      setView(viewOf(location.hash));
      setRecall(recallOf(location.search));
    };
    window.addEventListener('hashchange', onHash);
    window.addEventListener('popstate', onHash);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('popstate', onHash);
    };
  }, []);

  if (session === null) {
    if (restoring) return <p role="status">Signing in…</p>;
    return (
      <SignIn
        api={api}
        role="procurement"
        title="Stock"
        hint="Type or paste the procurement key. It is kept in this tab only, until the tab is closed."
        onSignedIn={start}
        state={signedIn}
      />
    );
  }

  /** A view of the page proper: out of a recall's shelf view (the query string), into the fragment's view. */
  const href = (hash: string) => `${location.pathname}${hash}`;
  const current = (name: View) => (recall === null && view === name ? 'page' : undefined);

  return (
    <>
      <TopBar title="Stock" session={session} onSignOut={end}>
        <nav class="views" aria-label="Stock">
          <a href={href('#/')} aria-current={current('goods-in')}>
            Goods in
          </a>
          <a href={href('#/stock')} aria-current={current('stock')}>
            Stock on hand
          </a>
          <a href={href('#/expiring')} aria-current={current('expiring')}>
            Expiring
          </a>
          <a href={href('#/to-order')} aria-current={current('to-order')}>
            To order
          </a>
        </nav>
      </TopBar>
      <main id="main" class="stock">
        {recall !== null ? (
          <RecallShelf key={recall} api={api} id={recall} />
        ) : view === 'goods-in' ? (
          <GoodsIn api={api} />
        ) : view === 'stock' ? (
          <OnHandView api={api} />
        ) : view === 'to-order' ? (
          <ToOrder api={api} />
        ) : (
          <Expiring api={api} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<Stock />, root);
