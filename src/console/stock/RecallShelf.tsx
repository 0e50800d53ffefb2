/**
 * A recall's stock still on the shelves (`?recall=<id>`): every row on hand it covers, by location
 * and status, each available row quarantined where it is in one step (reason "recall <reference>").
 * Kept simple: the recall-driven quarantine and return steps are to come from the recall itself.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, type Failure } from '../shared/failure.js';
import { formatDate, formatDateTime } from '../shared/format.js';
import { useFocusOnMount } from '../shared/focus.js';
import { FailureAlert, ViewHeading } from '../shared/ui.js';
import { idempotencyKeys, lineOf } from './lines.js';
import { matchHint, matchLabel } from '../recalls/types.js';
import { LocationCell, StatusBadge } from './OnHandTable.js';
import type { MovementResult, ShelfItem, ShelfPage } from './types.js';

interface Recall {
  readonly id: string;
  readonly reference: string;
  readonly title: string;
}

export function RecallShelf({ api, id }: { api: Api; id: string }) {
  const [recall, setRecall] = useState<Recall | null>(null);
  const [rows, setRows] = useState<readonly ShelfItem[] | null>(null);
  const [asOf, setAsOf] = useState<string | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [done, setDone] = useState<{ text: string; error: boolean; n: number } | null>(null);
  const keys = useMemo(idempotencyKeys, []);

  const load = async (cursor: string | null) => {
    setFailure(null);
    try {
      const [r, page] = await Promise.all([
        recall ? Promise.resolve(null) : api.request<Recall>(`/v1/recalls/${id}`),
        api.request<ShelfPage>(`/v1/recalls/${id}/stock?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      ]);
      if (r && !r.ok) return setFailure({ kind: 'problem', problem: r.problem });
      if (r) setRecall(r.data);
      if (!page.ok) return setFailure({ kind: 'problem', problem: page.problem });
      setRows((before) => (cursor && before ? [...before, ...page.data.items] : page.data.items));
      setAsOf(page.data.asOf);
      setNext(page.data.nextCursor);
    } catch (e) {
      setFailure(failureOf(e));
    }
  };

  useEffect(() => void load(null), []);

  const quarantine = async (row: ShelfItem) => {
    if (!recall || !row.location) return;
    const line = lineOf(row.product, row.quantity);
    if (!line) return;
    const body = { location: { gln: row.location.gln }, reason: `recall ${recall.reference}`, lines: [line] };
    setBusy(row.onHandId);
    setDone(null);
    try {
      const answer = await api.request<MovementResult>('/v1/stock/quarantine', { method: 'POST', body, headers: { 'idempotency-key': keys.keyFor(body) } });
      keys.answered(body, answer.status);
      const what = `${row.product.lotNumber ? `lot ${row.product.lotNumber}` : row.product.serialNumber ? `serial ${row.product.serialNumber}` : row.product.di} at ${row.location.name}`;
      setDone((d) => ({ text: answer.ok ? `Quarantined ${row.quantity === 1 ? '1 unit' : `${row.quantity} units`} of ${what}.` : `${what}: ${answer.problem.detail}`, error: !answer.ok, n: (d?.n ?? 0) + 1 }));
      if (answer.ok) await load(null);
    } catch (e) {
      setDone((d) => ({ text: failureOf(e).kind === 'offline' ? 'Not quarantined: the service cannot be reached. Try again.' : 'Not quarantined: something went wrong in this page.', error: true, n: (d?.n ?? 0) + 1 }));
    } finally {
      setBusy(null);
    }
  };

  const available = rows?.filter((r) => r.status === 'available').length ?? 0;

  return (
    <>
      <p class="crumbs">
        <a href={`/console/recalls#/recall/${id}`}>Back to the recall</a>
      </p>
      <ViewHeading>Recall {recall ? recall.reference : ''}: stock on the shelves</ViewHeading>
      {recall && <p>{recall.title}</p>}
      {done && <Said key={done.n} text={done.text} error={done.error} />}
      {failure && <FailureAlert failure={failure} onRetry={() => void load(null)} />}
      {rows === null ? (
        !failure && <p role="status">Loading the shelf stock…</p>
      ) : rows.length === 0 ? (
        <p>None of this recall’s products are on the shelves{asOf ? ` (as of ${formatDateTime(asOf)})` : ''}.</p>
      ) : (
        <>
          <p class="showing">
            {rows.length === 1 ? '1 row' : `${rows.length} rows`} on hand{next ? ' so far' : ''}, {available} still available{asOf ? ` (as of ${formatDateTime(asOf)})` : ''}.
          </p>
          <div class="table-wrap">
            <table class="on-hand shelf">
              <caption>The recall’s stock on hand, by location</caption>
              <thead>
                <tr>
                  <th scope="col">Location</th>
                  <th scope="col">Product</th>
                  <th scope="col">Lot</th>
                  <th scope="col">Serial</th>
                  <th scope="col">Expiry</th>
                  <th scope="col">Match</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Quantity
                  </th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.onHandId} class={row.status === 'quarantined' ? 'quarantined' : undefined}>
                    <td>
                      <LocationCell location={row.location} />
                    </td>
                    <td>
                      {row.product.issuingAgency === 'GS1' ? `GTIN ${row.product.di}` : `${row.product.issuingAgency} ${row.product.di}`}
                      {row.consignment && <span class="hint small">Consignment</span>}
                    </td>
                    <td>{row.product.lotNumber ?? '—'}</td>
                    <td>{row.product.serialNumber ?? '—'}</td>
                    <td>{formatDate(row.product.expirationDate)}</td>
                    <td>
                      {matchLabel(row.match)}
                      <span class="hint small">{matchHint(row.match)}</span>
                    </td>
                    <td>
                      <StatusBadge status={row.status} />
                    </td>
                    <td class="num">{row.quantity}</td>
                    <td>
                      {row.status === 'quarantined' ? (
                        <span class="hint small">Held</span>
                      ) : !row.location ? (
                        <span class="hint small">Move it to a location first</span>
                      ) : lineOf(row.product, 1) === null ? (
                        <span class="hint small">Scan its label to quarantine it</span>
                      ) : (
                        <button type="button" class="small" disabled={busy !== null || recall === null} onClick={() => void quarantine(row)}>
                          {busy === row.onHandId ? 'Quarantining…' : 'Quarantine'}
                          <span class="visually-hidden">
                            {' '}
                            {row.product.lotNumber ? `lot ${row.product.lotNumber}` : `serial ${row.product.serialNumber ?? ''}`} at {row.location.name}
                          </span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {next && (
            <button type="button" class="secondary" onClick={() => void load(next)}>
              Load more
            </button>
          )}
        </>
      )}
    </>
  );
}

function Said({ text, error }: { text: string; error: boolean }) {
  const ref = useFocusOnMount<HTMLParagraphElement>();
  return (
    <p class={error ? 'error' : 'notice'} role={error ? 'alert' : 'status'} tabIndex={-1} ref={ref}>
      {text}
    </p>
  );
}
