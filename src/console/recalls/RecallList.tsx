import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { formatDate } from '../shared/format.js';
import { failureOf, type Failure } from '../shared/failure.js';
import type { Recall, RecallPage } from './types.js';
import { FailureAlert, ViewHeading } from '../shared/ui.js';
import { go, plural } from './ui.js';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly failure: Failure }
  | { readonly kind: 'loaded'; readonly recalls: readonly Recall[]; readonly nextCursor: string | null; readonly more: 'idle' | 'loading' | Failure };

/** The recalls this key sees (its organisation's and national ones), newest first, a page at a time. */
export function RecallList({ api }: { api: Api }) {
  const [state, setState] = useState<State>({ kind: 'loading' });

  const load = useCallback(async () => {
    setState({ kind: 'loading' });
    try {
      const answer = await api.request<RecallPage>('/v1/recalls');
      setState(answer.ok ? { kind: 'loaded', recalls: answer.data.items, nextCursor: answer.data.nextCursor, more: 'idle' } : { kind: 'failed', failure: { kind: 'problem', problem: answer.problem } });
    } catch (e) {
      setState({ kind: 'failed', failure: failureOf(e) });
    }
  }, [api]);

  /** The next page, after those shown (a failure is said beside the button, the list stays). */
  const loadMore = useCallback(
    async (cursor: string) => {
      setState((s) => (s.kind === 'loaded' ? { ...s, more: 'loading' } : s));
      let failure: Failure | null = null;
      let page: RecallPage | null = null;
      try {
        const answer = await api.request<RecallPage>(`/v1/recalls?cursor=${encodeURIComponent(cursor)}`);
        if (answer.ok) page = answer.data;
        else failure = { kind: 'problem', problem: answer.problem };
      } catch (e) {
        failure = failureOf(e);
      }
      setState((s) => {
        if (s.kind !== 'loaded') return s;
        if (page) return { kind: 'loaded', recalls: [...s.recalls, ...page.items], nextCursor: page.nextCursor, more: 'idle' };
        return { ...s, more: failure ?? 'idle' };
      });
    },
    [api],
  );

  useEffect(() => void load(), [load]);

  return (
    <main id="main" class="recalls">
      <div class="view-head">
        <ViewHeading>Recalls</ViewHeading>
        <button type="button" onClick={() => go('#/new')}>
          New recall
        </button>
      </div>
      {state.kind === 'loading' && <p role="status">Loading recalls…</p>}
      {state.kind === 'failed' && <FailureAlert failure={state.failure} onRetry={() => void load()} />}
      {state.kind === 'loaded' && state.recalls.length === 0 && (
        <p class="card">No recalls yet. When a Field Safety Notice arrives, choose “New recall” to find the patients it affects.</p>
      )}
      {state.kind === 'loaded' && state.recalls.length > 0 && (
        <div class="table-wrap">
          <table class="recall-list">
            <caption>
              {plural(state.recalls.length, 'recall')}
              {state.nextCursor !== null ? ' shown' : ''}, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Reference</th>
                <th scope="col">Title</th>
                <th scope="col">Issued</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Patients
                </th>
                <th scope="col" class="num">
                  Items
                </th>
                <th scope="col">
                  <span class="visually-hidden">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {state.recalls.map((r) => (
                <tr key={r.id}>
                  <th scope="row">{r.reference}</th>
                  <td>
                    {r.title}
                    {r.national && <span class="badge national">National</span>}
                  </td>
                  <td>{formatDate(r.issuedAt)}</td>
                  <td>
                    <span class={`badge status-${r.status}`}>{r.status === 'active' ? 'Active' : 'Closed'}</span>
                  </td>
                  <td class="num">{r.counts.patients}</td>
                  <td class="num">{r.counts.items}</td>
                  <td>
                    <button type="button" class="secondary" onClick={() => go(`#/recall/${r.id}`)}>
                      Open<span class="visually-hidden"> recall {r.reference}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {state.kind === 'loaded' && typeof state.more === 'object' && <FailureAlert failure={state.more} onRetry={state.nextCursor === null ? undefined : () => void loadMore(state.nextCursor as string)} />}
      {state.kind === 'loaded' && state.nextCursor !== null && (
        <button type="button" onClick={() => void loadMore(state.nextCursor as string)} disabled={state.more === 'loading'}>
          {state.more === 'loading' ? 'Loading…' : 'Load more recalls'}
        </button>
      )}
    </main>
  );
}
