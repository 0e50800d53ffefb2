/**
 * A recall's stock still on the shelves (`?recall=<id>`): every row on hand it covers, by location
 * and status, with the recall's own steps: every available unit quarantined where it is, then every
 * quarantined unit returned to the supplier (POST /v1/recalls/{id}/stock/quarantine and /return, the
 * ledger rows naming the recall); a single available row can also be quarantined on its own.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, type Failure } from '../shared/failure.js';
import { formatDate, formatDateTime } from '../shared/format.js';
import { useFocusOnMount } from '../shared/focus.js';
import { ConfirmButton, FailureAlert, ViewHeading } from '../shared/ui.js';
import { idempotencyKeys, lineOf } from './lines.js';
import { matchHint, matchLabel } from '../recalls/types.js';
import { LocationCell, StatusBadge } from './OnHandTable.js';
import type { MovementResult, ShelfItem, ShelfPage } from './types.js';

interface Recall {
  readonly id: string;
  readonly reference: string;
  readonly title: string;
  readonly counts: { readonly stock: { readonly available: number; readonly quarantined: number; readonly returned: number } };
}

interface RecallStockAction {
  readonly rows: number;
  readonly units: number;
  readonly stock: Recall['counts']['stock'];
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

  const [supplier, setSupplier] = useState('');
  const [returnRef, setReturnRef] = useState('');
  const [confirmReturn, setConfirmReturn] = useState(false);

  const load = async (cursor: string | null) => {
    setFailure(null);
    try {
      const [r, page] = await Promise.all([
        cursor !== null && recall ? Promise.resolve(null) : api.request<Recall>(`/v1/recalls/${id}`),
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

  /** The recall's own step over all its stock in this organisation: quarantine what is available, or return what is quarantined. */
  const recallStep = async (step: 'quarantine' | 'return') => {
    const body = step === 'quarantine' ? {} : { ...(supplier.trim() && { supplier: supplier.trim() }), ...(returnRef.trim() && { reference: returnRef.trim() }) };
    const keyed = { step, ...body };
    setBusy(step);
    setDone(null);
    try {
      const answer = await api.request<RecallStockAction>(`/v1/recalls/${id}/stock/${step}`, { method: 'POST', body, headers: { 'idempotency-key': keys.keyFor(keyed) } });
      keys.answered(keyed, answer.status);
      const units = (n: number) => (n === 1 ? '1 unit' : `${n} units`);
      const text = !answer.ok
        ? answer.problem.detail
        : step === 'quarantine'
          ? `Quarantined ${units(answer.data.units)} in place. ${units(answer.data.stock.quarantined)} of the recall are held.`
          : `Returned ${units(answer.data.units)} to the supplier. ${units(answer.data.stock.returned)} of the recall returned in all.`;
      setDone((d) => ({ text, error: !answer.ok, n: (d?.n ?? 0) + 1 }));
      if (answer.ok) {
        setConfirmReturn(false);
        await load(null);
      }
    } catch (e) {
      setDone((d) => ({ text: failureOf(e).kind === 'offline' ? 'Nothing was moved: the service cannot be reached. Try again.' : 'Nothing was moved: something went wrong in this page.', error: true, n: (d?.n ?? 0) + 1 }));
    } finally {
      setBusy(null);
    }
  };

  const available = rows?.filter((r) => r.status === 'available').length ?? 0;
  const counts = recall?.counts.stock;

  return (
    <>
      <p class="crumbs">
        <a href={`/console/recalls#/recall/${id}`}>Back to the recall</a>
      </p>
      <ViewHeading>Recall {recall ? recall.reference : ''}: stock on the shelves</ViewHeading>
      {recall && <p>{recall.title}</p>}
      {counts && (
        <section class="card recall-stock-steps" aria-labelledby="recall-steps-heading">
          <h2 id="recall-steps-heading">The recall’s stock</h2>
          <p class="showing">
            {counts.available} available on the shelves, {counts.quarantined} quarantined, {counts.returned} returned to the supplier.
          </p>
          <div class="actions">
            <button type="button" disabled={busy !== null || counts.available === 0} onClick={() => void recallStep('quarantine')}>
              {busy === 'quarantine' ? 'Quarantining…' : `Quarantine every available unit (${counts.available})`}
            </button>
            {!confirmReturn && (
              <button type="button" class="secondary" disabled={busy !== null || counts.quarantined === 0} onClick={() => setConfirmReturn(true)}>
                Return the quarantined units to the supplier…
              </button>
            )}
          </div>
          {confirmReturn && (
            <div class="confirm" role="group" aria-labelledby="confirm-return-text">
              <p id="confirm-return-text">
                Return {counts.quarantined === 1 ? '1 quarantined unit' : `${counts.quarantined} quarantined units`} to the supplier? They leave the stock.
              </p>
              <div class="field">
                <label for="return-supplier">Supplier (optional)</label>
                <input id="return-supplier" value={supplier} maxLength={200} onInput={(e) => setSupplier(e.currentTarget.value)} />
              </div>
              <div class="field">
                <label for="return-reference">Return authorisation or note (optional)</label>
                <input id="return-reference" value={returnRef} maxLength={500} onInput={(e) => setReturnRef(e.currentTarget.value)} />
              </div>
              <ConfirmButton onClick={() => void recallStep('return')} disabled={busy !== null}>
                {busy === 'return' ? 'Returning…' : 'Yes, return them'}
              </ConfirmButton>
              <button type="button" class="secondary" onClick={() => setConfirmReturn(false)}>
                Cancel
              </button>
            </div>
          )}
        </section>
      )}
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
