/** Stock on hand: filtered on the service (location, GTIN, lot, status), a page at a time by its cursor, and the whole filtered list as CSV. */
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { filenameOf, saveBlob } from '../shared/download.js';
import { digitsOnly } from '../shared/fields.js';
import { failureOf, type Failure } from '../shared/failure.js';
import { FailureAlert, Field, ViewHeading } from '../shared/ui.js';
import { OnHandTable } from './OnHandTable.js';
import { useRowActions } from './RowAction.js';
import { STOCK_STATUSES, type OnHand, type StockPage } from './types.js';

interface Filter {
  readonly location: string;
  readonly gtin: string;
  readonly lot: string;
  readonly status: string;
}

const EMPTY: Filter = { location: '', gtin: '', lot: '', status: '' };
const PAGE = 50;

/** The filter as the service's query; a GLN or GTIN typed with spaces is read as its digits. */
function queryOf(filter: Filter, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  const location = filter.location.trim().toLowerCase() === 'unlocated' ? 'unlocated' : digitsOnly(filter.location);
  if (location) q.set('location', location);
  const gtin = digitsOnly(filter.gtin);
  if (gtin) q.set('gtin', gtin.padStart(14, '0'));
  if (filter.lot.trim()) q.set('lot', filter.lot.trim());
  if (filter.status) q.set('status', filter.status);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

export function OnHandView({ api }: { api: Api }) {
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [rows, setRows] = useState<readonly OnHand[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const [csvMessage, setCsvMessage] = useState<{ text: string; error: boolean } | null>(null);

  const load = async (f: Filter, cursor: string | null) => {
    setBusy(true);
    setFailure(null);
    try {
      const answer = await api.request<StockPage>(`/v1/stock?${queryOf(f, { limit: String(PAGE), ...(cursor ? { cursor } : {}) })}`);
      if (!answer.ok) {
        setFailure({ kind: 'problem', problem: answer.problem });
        return;
      }
      setRows((before) => (cursor && before ? [...before, ...answer.data.items] : answer.data.items));
      setNext(answer.data.nextCursor);
    } catch (e) {
      setFailure(failureOf(e));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => void load(filter, null), [filter]);
  const { actions, editor, message } = useRowActions(api, () => void load(filter, null));

  const downloadCsv = async () => {
    setCsvMessage(null);
    try {
      const answer = await api.request<Blob>(`/v1/stock?${queryOf(filter, { format: 'csv' })}`, { as: 'blob', headers: { accept: 'text/csv' } });
      if (!answer.ok) {
        setCsvMessage({ text: answer.problem.detail, error: true });
        return;
      }
      const name = filenameOf(answer.headers.get('content-disposition'), 'stock.csv');
      saveBlob(answer.data, name);
      setCsvMessage({ text: `Saved ${name}.`, error: false });
    } catch (e) {
      setCsvMessage({ text: failureOf(e).kind === 'offline' ? 'The CSV could not be fetched: the service cannot be reached.' : 'The CSV could not be saved.', error: true });
    }
  };

  const set = (field: keyof Filter) => (e: { currentTarget: { value: string } }) => setDraft({ ...draft, [field]: e.currentTarget.value });

  return (
    <>
      <div class="view-head">
        <ViewHeading>Stock on hand</ViewHeading>
        <button type="button" class="secondary" onClick={() => void downloadCsv()}>
          Download CSV<span class="visually-hidden"> of the stock on hand, as filtered</span>
        </button>
      </div>
      {csvMessage && (
        <p class={csvMessage.error ? 'error' : 'notice'} role="status">
          {csvMessage.text}
        </p>
      )}
      <form
        class="card filters"
        aria-label="Filter the stock"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
        }}
      >
        <Field id="filter-location" label="Location GLN" errors={[]}>
          {(a11y) => <input {...a11y} inputMode="numeric" autocomplete="off" value={draft.location} onInput={set('location')} />}
        </Field>
        <Field id="filter-gtin" label="GTIN" errors={[]}>
          {(a11y) => <input {...a11y} inputMode="numeric" autocomplete="off" value={draft.gtin} onInput={set('gtin')} />}
        </Field>
        <Field id="filter-lot" label="Lot" errors={[]}>
          {(a11y) => <input {...a11y} autocomplete="off" value={draft.lot} onInput={set('lot')} />}
        </Field>
        <Field id="filter-status" label="Status" errors={[]}>
          {(a11y) => (
            <select {...a11y} value={draft.status} onChange={set('status')}>
              <option value="">Any</option>
              {STOCK_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s === 'available' ? 'Available' : 'Quarantined'}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit">Show</button>
      </form>
      {message}
      {failure && <FailureAlert failure={failure} onRetry={() => void load(filter, null)} />}
      {rows === null ? (
        !failure && <p role="status">Loading the stock…</p>
      ) : rows.length === 0 ? (
        <p>No stock on hand{filter === EMPTY ? '' : ' matches the filter'}.</p>
      ) : (
        <>
          <OnHandTable rows={rows} caption={`Stock on hand: ${rows.length} ${rows.length === 1 ? 'row' : 'rows'}${next ? ' so far' : ''}`} actions={actions} editor={editor} />
          {next && (
            <button type="button" class="secondary" disabled={busy} onClick={() => void load(filter, next)}>
              {busy ? 'Loading…' : 'Load more stock'}
            </button>
          )}
        </>
      )}
    </>
  );
}
