/**
 * One action on a row of stock on hand: quarantine or release it where it is (with the reason),
 * write it off (why) or return it to its supplier. Write-off and return take stock off the
 * shelf for good, so they ask for a confirmation first. Each request has its Idempotency-Key,
 * kept for a retry of the same request after a dropped answer.
 */
import { useMemo, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, type Failure } from '../shared/failure.js';
import { useFocusOnMount } from '../shared/focus.js';
import { reasonProblem, issueAt } from '../shared/reason.js';
import { ConfirmButton, FailureAlert, Field } from '../shared/ui.js';
import { actionsFor, idempotencyKeys, lineOf, locationRefOf, type RowActionKind } from './lines.js';
import type { MovementResult, OnHand, WriteOffReason } from './types.js';
import { WRITE_OFF_LABELS, WRITE_OFF_REASONS } from './types.js';

export const ACTION_TEXT: Record<RowActionKind, { readonly button: string; readonly title: string; readonly done: string; readonly url: string }> = {
  quarantine: { button: 'Quarantine', title: 'Quarantine', done: 'quarantined', url: '/v1/stock/quarantine' },
  release: { button: 'Release', title: 'Release from quarantine', done: 'released to available', url: '/v1/stock/release' },
  'write-off': { button: 'Write off', title: 'Write off', done: 'written off', url: '/v1/stock/write-offs' },
  return: { button: 'Return', title: 'Return to the supplier', done: 'returned to the supplier', url: '/v1/stock/returns' },
};

const DESTRUCTIVE: ReadonlySet<RowActionKind> = new Set(['write-off', 'return']);

interface Props {
  readonly api: Api;
  readonly row: OnHand;
  readonly kind: RowActionKind;
  /** The reason offered at first (a recall's reference, say). */
  readonly reason?: string;
  readonly onDone: (text: string, result: MovementResult) => void;
  readonly onCancel: () => void;
}

export function RowAction({ api, row, kind, reason: initialReason = '', onDone, onCancel }: Props) {
  const text = ACTION_TEXT[kind];
  const id = `${kind}-form`;
  const [quantity, setQuantity] = useState(String(row.quantity));
  const [reason, setReason] = useState(initialReason);
  const [writeOff, setWriteOff] = useState<WriteOffReason>(row.expirationDate !== null && 'expiry' in row && row.expiry === 'expired' ? 'expired' : 'damaged');
  const [supplier, setSupplier] = useState('');
  const [reference, setReference] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const keys = useMemo(idempotencyKeys, []);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const serialised = row.serialNumber !== null;

  const check = (): Record<string, string> => {
    const found: Record<string, string> = {};
    const n = Number(quantity);
    if (!serialised && (!/^\d+$/.test(quantity.trim()) || n < 1 || n > row.quantity)) found.quantity = `A whole number from 1 to ${row.quantity}.`;
    if (kind === 'quarantine' || kind === 'release') {
      const r = reasonProblem(reason);
      if (r) found.reason = r;
    }
    if (kind === 'write-off' && (writeOff === 'other' || reason.trim() !== '')) {
      const r = reasonProblem(reason);
      if (r) found.reason = writeOff === 'other' ? r : `${r} (or leave the note empty)`;
    }
    return found;
  };

  const bodyOf = () => {
    const location = locationRefOf(row);
    const line = lineOf(row, serialised ? 1 : Number(quantity));
    if (location === null || line === null) return null;
    if (kind === 'write-off') return { location, reason: writeOff, ...(reason.trim() ? { note: reason.trim() } : {}), lines: [line] };
    if (kind === 'return') return { location, ...(supplier.trim() ? { supplier: supplier.trim() } : {}), ...(reference.trim() ? { reference: reference.trim() } : {}), lines: [line] };
    return { location, reason: reason.trim(), lines: [line] };
  };

  const send = async () => {
    const body = bodyOf();
    if (body === null) return;
    setBusy(true);
    setFailure(null);
    try {
      const answer = await api.request<MovementResult>(text.url, { method: 'POST', body, headers: { 'idempotency-key': keys.keyFor(body) } });
      keys.answered(body, answer.status);
      if (answer.ok) {
        const units = answer.data.movements.reduce((n, m) => n + m.quantity, 0);
        onDone(`${units === 1 ? '1 unit' : `${units} units`} of ${row.lotNumber ? `lot ${row.lotNumber}` : row.serialNumber ? `serial ${row.serialNumber}` : row.di} ${text.done}.`, answer.data);
        return;
      }
      setConfirming(false);
      const at = { reason: issueAt(answer.problem, '/reason') ?? issueAt(answer.problem, '/note'), quantity: issueAt(answer.problem, '/lines/0/quantity') };
      if (at.reason || at.quantity) setErrors(Object.fromEntries(Object.entries(at).filter(([, v]) => v)) as Record<string, string>);
      else setFailure({ kind: 'problem', problem: answer.problem });
    } catch (e) {
      setFailure(failureOf(e));
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    const found = check();
    setErrors(found);
    if (Object.keys(found).length > 0) {
      document.getElementById(`${id}-${Object.keys(found)[0]}`)?.focus();
      return;
    }
    if (DESTRUCTIVE.has(kind)) setConfirming(true);
    else void send();
  };

  const what = `${serialised ? 'the unit' : `${quantity} of ${row.quantity}`} at ${row.location?.name ?? 'the unlocated account'}`;

  return (
    <form class="row-action" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
        {text.title}: {row.lotNumber ? `lot ${row.lotNumber}` : row.serialNumber ? `serial ${row.serialNumber}` : row.di}
      </h2>
      {!serialised && (
        <Field id={`${id}-quantity`} label={`How many (of ${row.quantity} on hand)`} errors={errors.quantity ? [errors.quantity] : []}>
          {(a11y) => <input {...a11y} class="short" inputMode="numeric" value={quantity} onInput={(e) => setQuantity(e.currentTarget.value)} />}
        </Field>
      )}
      {kind === 'write-off' && (
        <Field id={`${id}-why`} label="Why" errors={[]}>
          {(a11y) => (
            <select {...a11y} class="short" value={writeOff} onChange={(e) => setWriteOff(e.currentTarget.value as WriteOffReason)}>
              {WRITE_OFF_REASONS.map((r) => (
                <option key={r} value={r}>
                  {WRITE_OFF_LABELS[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {kind === 'return' ? (
        <div class="grid-2">
          <Field id={`${id}-supplier`} label="Supplier (optional)" errors={[]}>
            {(a11y) => <input {...a11y} maxLength={200} value={supplier} onInput={(e) => setSupplier(e.currentTarget.value)} />}
          </Field>
          <Field id={`${id}-reference`} label="Returns authorisation or FSN reference (optional)" errors={[]}>
            {(a11y) => <input {...a11y} maxLength={200} value={reference} onInput={(e) => setReference(e.currentTarget.value)} />}
          </Field>
        </div>
      ) : (
        <Field id={`${id}-reason`} label={kind === 'write-off' ? (writeOff === 'other' ? 'Note (say why)' : 'Note (optional)') : 'Reason'} hint="In words: at least 3 letters or digits." errors={errors.reason ? [errors.reason] : []}>
          {(a11y) => <input {...a11y} maxLength={500} autocomplete="off" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
        </Field>
      )}
      {failure && <FailureAlert failure={failure} onRetry={failure.kind === 'offline' ? () => void send() : undefined} />}
      {confirming ? (
        <div class="confirm" role="group" aria-label={`Confirm: ${text.title}`}>
          <p>
            {text.title} {what}? This takes it off the shelf and cannot be undone here.
          </p>
          <ConfirmButton onClick={() => void send()} disabled={busy}>
            {busy ? 'Sending…' : `Yes, ${text.button.toLowerCase()}`}
          </ConfirmButton>
          <button type="button" class="secondary" onClick={() => setConfirming(false)} disabled={busy}>
            No, go back
          </button>
        </div>
      ) : (
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Sending…' : text.button}
          </button>
          <button type="button" class="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        </div>
      )}
    </form>
  );
}

/** A table's row actions: one form open at a time, under its row; what it did said once, and the table loaded again. */
export function useRowActions(api: Api, reload: () => void) {
  const [open, setOpen] = useState<{ key: string; kind: RowActionKind } | null>(null);
  const [done, setDone] = useState<{ text: string; n: number } | null>(null);
  const keyOf = (row: OnHand) => JSON.stringify([row.location?.gln, row.location?.glnExtension, row.di, row.lotNumber, row.serialNumber, row.expirationDate, row.status, row.consignment]);

  const actions = (row: OnHand) => {
    if (row.location === null) return <span class="hint small">Move it to a location first</span>;
    if (lineOf(row, 1) === null) return <span class="hint small">Scan its label to act on it</span>;
    const label = row.lotNumber ? `lot ${row.lotNumber}` : row.serialNumber ? `serial ${row.serialNumber}` : row.di;
    return (
      <div class="row-buttons">
        {actionsFor(row.status).map((kind) => (
          <button
            key={kind}
            type="button"
            class={`secondary small${DESTRUCTIVE.has(kind) ? ' danger' : ''}`}
            aria-expanded={open?.key === keyOf(row) && open.kind === kind}
            onClick={() => {
              setDone(null);
              setOpen({ key: keyOf(row), kind });
            }}
          >
            {ACTION_TEXT[kind].button}
            <span class="visually-hidden">
              {' '}
              {label} at {row.location?.name}
            </span>
          </button>
        ))}
      </div>
    );
  };

  const editor = (row: OnHand) =>
    open?.key === keyOf(row) ? (
      <RowAction
        api={api}
        row={row}
        kind={open.kind}
        onCancel={() => setOpen(null)}
        onDone={(text) => {
          setOpen(null);
          setDone((d) => ({ text, n: (d?.n ?? 0) + 1 }));
          reload();
        }}
      />
    ) : null;

  const message = done ? <Done key={done.n} text={done.text} /> : null;
  return { actions, editor, message };
}

/** What an action did: focused when it appears, so a screen reader reads it and the keyboard starts there. */
function Done({ text }: { text: string }) {
  const ref = useFocusOnMount<HTMLParagraphElement>();
  return (
    <p class="notice done" role="status" tabIndex={-1} ref={ref}>
      {text}
    </p>
  );
}
