/**
 * Goods in: the location scanned (its GS1 label, AI 414) or its GLN typed, the products scanned
 * one after another into a list (each read by the service's parser and shown as read, removable),
 * then one receipt sent with an Idempotency-Key kept for its retries.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, type Failure } from '../shared/failure.js';
import { locationOf } from '../shared/fields.js';
import { formatDate } from '../shared/format.js';
import { useFocusOnMount } from '../shared/focus.js';
import { uuid } from '../shared/ids.js';
import { FailureAlert, ViewHeading } from '../shared/ui.js';
import { barcodeFromWedge, visibleBarcode } from '../shared/wedge.js';
import { SubstituteSetting, useStoredSubstitute } from '../shared/SubstituteSetting.js';
import { WedgeInput } from '../shared/WedgeInput.js';
import { idempotencyKeys, lineIndexOf, lineText } from './lines.js';
import { localToday, OnHandTable } from './OnHandTable.js';
import type { MovementResult, ParseResult } from './types.js';

interface Line {
  readonly id: string;
  readonly barcode: string;
  /** null while the service reads it; 'offline' when it could not be asked. */
  readonly read: ParseResult | 'offline' | null;
  /** The count to receive, as typed; empty: the label's own (AI 30 or 37), else 1. */
  readonly quantity: string;
  /** What the service said of this line when the receipt was refused. */
  readonly problem: string | null;
}

/** Why a line read on the device cannot be received, in words; null when it can. */
function unreadable(read: Line['read']): string | null {
  if (read === null || read === 'offline') return null;
  if (!read.valid) return `This label does not read: ${read.error?.message ?? 'scan it again'}.`;
  if (!read.di) return 'This label names no product (a location or lot label?). Scan the product label.';
  return null;
}

/** The GLN a location field holds: typed (13 digits) or read from its label's AI 414 (the service reads the label itself). */
function glnOf(text: string): string | null {
  const typed = locationOf(text, '');
  if ('gln' in typed) return typed.gln;
  return /^(?:\][A-Za-z][0-9A-Za-z])?414(\d{13})/.exec(typed.barcode)?.[1] ?? null;
}

function quantityProblem(line: Line): string | null {
  if (line.quantity.trim() === '') return null;
  if (!/^\d+$/.test(line.quantity.trim()) || Number(line.quantity) < 1 || Number(line.quantity) > 100_000) return 'A whole number from 1 to 100000.';
  return null;
}

export function GoodsIn({ api }: { api: Api }) {
  const [place, setPlace] = useState('');
  const [supplier, setSupplier] = useState('');
  const [orderRef, setOrderRef] = useState('');
  const [consignment, setConsignment] = useState(false);
  const [scan, setScan] = useState('');
  const [lines, setLines] = useState<readonly Line[]>([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [received, setReceived] = useState<MovementResult | null>(null);
  const placeRef = useRef<HTMLInputElement>(null);
  const scanRef = useRef<HTMLInputElement>(null);
  const keys = useMemo(idempotencyKeys, []);
  const [substitute, setSubstitute] = useStoredSubstitute('implant-trace.stock.settings');

  const update = (id: string, change: Partial<Line>) => setLines((all) => all.map((l) => (l.id === id ? { ...l, ...change } : l)));

  const read = async (line: Line) => {
    try {
      const answer = await api.request<ParseResult>('/v1/barcodes/parse', { method: 'POST', body: { barcode: line.barcode } });
      if (!answer.ok) return update(line.id, { read: 'offline' });
      const r = answer.data;
      // A lot's count as the label gives it (AI 30 or 37), else 1, in the field where it can be changed; a unit is 1.
      setLines((all) => all.map((l) => (l.id === line.id ? { ...l, read: r, quantity: l.quantity === '' && r.di && !r.serialNumber ? String(r.quantity ?? 1) : l.quantity } : l)));
    } catch {
      update(line.id, { read: 'offline' });
    }
  };

  const addScan = () => {
    const barcode = barcodeFromWedge(scan.trim(), substitute);
    if (barcode === '') return;
    const line: Line = { id: uuid(), barcode, read: null, quantity: '', problem: null };
    setLines((all) => [...all, line]);
    setScan('');
    setReceived(null);
    void read(line);
  };

  const remove = (index: number) => {
    setLines((all) => all.filter((_, i) => i !== index));
    scanRef.current?.focus();
  };

  const receive = async () => {
    setFormError(null);
    setFailure(null);
    if (place.trim() === '') {
      setFormError('Scan the location’s label or type its GLN (13 digits) first.');
      placeRef.current?.focus();
      return;
    }
    if (lines.length === 0) {
      setFormError('Scan the products received first.');
      scanRef.current?.focus();
      return;
    }
    const bad = lines.findIndex((l) => unreadable(l.read) !== null || quantityProblem(l) !== null);
    if (bad >= 0) {
      setFormError(`Line ${bad + 1} cannot be received as it is: remove it, or scan it again.`);
      document.getElementById(`remove-${lines[bad]?.id}`)?.focus();
      return;
    }
    const body = {
      location: locationOf(place, substitute),
      scans: lines.map((l) => ({ barcode: l.barcode, ...(l.quantity.trim() !== '' ? { quantity: Number(l.quantity) } : {}) })),
      ...(supplier.trim() ? { supplier: supplier.trim() } : {}),
      ...(orderRef.trim() ? { orderRef: orderRef.trim() } : {}),
      consignment,
    };
    setBusy(true);
    setLines((all) => all.map((l) => ({ ...l, problem: null })));
    try {
      const answer = await api.request<MovementResult>('/v1/stock/receipts', { method: 'POST', body, headers: { 'idempotency-key': keys.keyFor(body) } });
      keys.answered(body, answer.status);
      if (answer.ok) {
        setReceived(answer.data);
        setLines([]);
        return;
      }
      const index = lineIndexOf(answer.problem);
      const named = index === null ? undefined : lines[index];
      if (named) {
        update(named.id, { problem: lineText(answer.problem.detail) });
        setFormError(`Nothing was received: line ${(index ?? 0) + 1} was refused (see it below).`);
      } else setFailure({ kind: 'problem', problem: answer.problem });
    } catch (e) {
      setFailure(failureOf(e));
    } finally {
      setBusy(false);
    }
  };

  const pending = lines.filter((l) => l.read === null).length;

  return (
    <>
      <ViewHeading>Goods in</ViewHeading>
      <form
        class="card goods-in"
        onSubmit={(e) => {
          e.preventDefault();
          void receive();
        }}
      >
        <div class="grid-2">
          <div class="field">
            <label for="location">Location</label>
            <p class="hint" id="location-hint">
              Scan the shelf or store label, or type its GLN (13 digits).
            </p>
            <WedgeInput id="location" inputRef={placeRef} value={place} onValue={setPlace} onEnter={() => scanRef.current?.focus()} describedBy="location-hint location-read" autoFocus />
            <p class="hint" id="location-read" aria-live="polite">
              {glnOf(place) ? `GLN ${glnOf(place)}` : ''}
            </p>
          </div>
          <div class="field">
            <label for="supplier">Supplier (optional)</label>
            <input id="supplier" value={supplier} maxLength={200} autocomplete="off" onInput={(e) => setSupplier(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="order-ref">Order or delivery note (optional)</label>
            <input id="order-ref" value={orderRef} maxLength={200} autocomplete="off" onInput={(e) => setOrderRef(e.currentTarget.value)} />
          </div>
          <div class="check">
            <input type="checkbox" id="consignment" checked={consignment} onChange={(e) => setConsignment(e.currentTarget.checked)} />
            <label for="consignment">Consignment stock (the supplier’s until used)</label>
          </div>
        </div>
        <div class="scan-panel">
          <label for="scan">Scan a product</label>
          <p class="hint" id="scan-hint">
            Each scan is added to the list below. Nothing is recorded until you press Receive.
          </p>
          <WedgeInput id="scan" inputRef={scanRef} value={scan} onValue={setScan} onEnter={addScan} describedBy="scan-hint" />
        </div>
        <ReceiptLines lines={lines} onRemove={remove} onQuantity={(id, quantity) => update(id, { quantity })} />
        {formError && (
          <p class="error" role="alert">
            {formError}
          </p>
        )}
        {failure && <FailureAlert failure={failure} onRetry={failure.kind === 'offline' ? () => void receive() : undefined} />}
        <div class="form-actions">
          <button type="submit" disabled={busy || pending > 0}>
            {busy ? 'Receiving…' : `Receive ${lines.length === 1 ? '1 line' : `${lines.length} lines`}`}
          </button>
          {pending > 0 && <span class="hint">Reading {pending === 1 ? 'a label' : `${pending} labels`}…</span>}
        </div>
      </form>
      {received && <Received result={received} />}
      <details class="settings">
        <summary>Scanner settings</summary>
        <SubstituteSetting value={substitute} onChange={setSubstitute} />
      </details>
    </>
  );
}

function ReceiptLines({ lines, onRemove, onQuantity }: { lines: readonly Line[]; onRemove: (index: number) => void; onQuantity: (id: string, quantity: string) => void }) {
  if (lines.length === 0) return <p class="hint">No products scanned yet.</p>;
  return (
    <div class="table-wrap">
      <table class="receipt-lines">
        <caption>To receive ({lines.length === 1 ? '1 line' : `${lines.length} lines`})</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">GTIN or product</th>
            <th scope="col">Lot</th>
            <th scope="col">Serial</th>
            <th scope="col">Expiry</th>
            <th scope="col">Quantity</th>
            <th scope="col">
              <span class="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line, i) => {
            const r = line.read !== null && line.read !== 'offline' ? line.read : null;
            const problem = line.problem ?? unreadable(line.read);
            const qProblem = quantityProblem(line);
            const serial = Boolean(r?.serialNumber);
            return (
              <tr key={line.id} class={problem ? 'refused' : undefined}>
                <th scope="row">{i + 1}</th>
                <td colSpan={problem && !r?.di ? 4 : 1}>
                  {line.read === null ? (
                    <span class="hint">Reading…</span>
                  ) : r?.di ? (
                    <span class="code">{r.gtin ?? r.di}</span>
                  ) : line.read === 'offline' ? (
                    <span class="hint">Not read (no answer); the service reads it on Receive.</span>
                  ) : (
                    <code class="raw">{visibleBarcode(line.barcode)}</code>
                  )}
                  {problem && (
                    <p class="problem" id={`problem-${line.id}`}>
                      <strong>{line.problem ? 'Refused: ' : 'Cannot be received: '}</strong>
                      {problem}
                    </p>
                  )}
                </td>
                {!(problem && !r?.di) && (
                  <>
                    <td>{r?.lotNumber ?? '—'}</td>
                    <td>{r?.serialNumber ?? '—'}</td>
                    <td>
                      <span class="nowrap">{formatDate(r?.expirationDate)}</span>
                      {r?.expirationDate && r.expirationDate < localToday() && <span class="badge expired">Expired</span>}
                    </td>
                  </>
                )}
                <td>
                  {serial ? (
                    '1 (a unit)'
                  ) : problem && !r?.di ? (
                    '—'
                  ) : (
                    <>
                      <label class="visually-hidden" for={`quantity-${line.id}`}>
                        Quantity of line {i + 1}
                      </label>
                      <input
                        id={`quantity-${line.id}`}
                        class="quantity"
                        inputMode="numeric"
                        value={line.quantity}
                        placeholder={String(r?.quantity ?? 1)}
                        aria-invalid={qProblem ? true : undefined}
                        aria-describedby={qProblem ? `quantity-error-${line.id}` : undefined}
                        onInput={(e) => onQuantity(line.id, e.currentTarget.value)}
                      />
                      {qProblem && (
                        <p class="error field-error" id={`quantity-error-${line.id}`}>
                          {qProblem}
                        </p>
                      )}
                    </>
                  )}
                </td>
                <td>
                  <button type="button" class="secondary small" id={`remove-${line.id}`} onClick={() => onRemove(i)} aria-describedby={problem ? `problem-${line.id}` : undefined}>
                    Remove<span class="visually-hidden"> line {i + 1}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Received({ result }: { result: MovementResult }) {
  const ref = useFocusOnMount<HTMLHeadingElement>();
  const units = result.movements.reduce((n, m) => n + m.quantity, 0);
  return (
    <section class="card received" aria-labelledby="received-heading">
      <h2 id="received-heading" ref={ref} tabIndex={-1}>
        Received: {units === 1 ? '1 unit' : `${units} units`} in {result.movements.length === 1 ? '1 line' : `${result.movements.length} lines`}
      </h2>
      <OnHandTable rows={result.onHand} caption="Stock on hand of these products now" />
    </section>
  );
}
