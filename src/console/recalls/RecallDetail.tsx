import { Fragment } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { useFocusOnMount } from '../shared/focus.js';
import { formatDate, formatDateTime, formatNhsNumber } from '../shared/format.js';
import { failureOf, failureText, isAbort, type Failure } from '../shared/failure.js';
import {
  type AffectedItem,
  type AffectedPage,
  CONTACT_STATUSES,
  type ContactStatus,
  DISPOSITION_LABELS,
  matchHint,
  matchKindsOf,
  matchLabel,
  type MatchKind,
  type NotUsedItem,
  type NotUsedPage,
  type Recall,
  type Scope,
  STATUS_LABELS,
} from './types.js';
import { ConfirmButton, FailureAlert, Field, ViewHeading } from '../shared/ui.js';
import { go, plural } from './ui.js';

const PAGE = 100;

/** A listed lot or serial list in words: the values when the service sent them (a short list), else how many. */
function listText(values: readonly string[] | undefined, count: number | undefined, one: string, many: string): string | null {
  if (values) return `${values.length === 1 ? one : many} ${values.join(', ')}`;
  if (count !== undefined && count > 0) return `${count.toLocaleString('en-GB')} ${count === 1 ? one : many} listed`;
  return null;
}

function scopeText(s: Scope): string {
  const product = s.gtin ? `GTIN ${s.gtin}` : s.hibc ? `HIBC ${s.hibc.lic} ${s.hibc.pcn}` : 'Unknown product';
  const parts = [
    s.allLots ? 'all lots' : null,
    listText(s.lots, s.lotCount, 'lot', 'lots'),
    listText(s.serials, s.serialCount, 'serial', 'serials'),
    s.serialRange ? `serials ${s.serialRange.from} to ${s.serialRange.to}` : null,
    s.expiryFrom || s.expiryTo ? `expiring ${s.expiryFrom ? `from ${formatDate(s.expiryFrom)} ` : ''}${s.expiryTo ? `to ${formatDate(s.expiryTo)}` : ''}`.trim() : null,
    s.manufacturedFrom || s.manufacturedTo ? `made ${s.manufacturedFrom ? `from ${formatDate(s.manufacturedFrom)} ` : ''}${s.manufacturedTo ? `to ${formatDate(s.manufacturedTo)}` : ''}`.trim() : null,
  ].filter(Boolean);
  return `${product}: ${parts.join('; ')}`;
}

/** The filename the service gave (Content-Disposition), or a safe one. */
function filenameOf(disposition: string | null, recall: Recall): string {
  const m = /filename="?([^";]+)"?/i.exec(disposition ?? '');
  return m?.[1] ?? `recall-${recall.reference.replace(/[^A-Za-z0-9._-]/g, '_')}.csv`;
}

function queryOf(statuses: ReadonlySet<ContactStatus>, matches: ReadonlySet<MatchKind>, extra: Record<string, string>): string {
  const q = new URLSearchParams(extra);
  for (const s of CONTACT_STATUSES) if (statuses.has(s)) q.append('status', s);
  for (const m of [...matches].sort()) q.append('match', m);
  return q.toString();
}

/**
 * The flags a row carries for review, in words: a decision still pending or
 * overridden, a void after the recall (a voided item needs no decision, so
 * the void is the flag then).
 */
function ReviewFlags({ row }: { row: AffectedItem }) {
  const flags = [
    row.decision === 'pending' && !row.voided && (
      <span key="pending" class="badge flag pending" title="A critical warning at scan; nobody has yet recorded whether it was implanted">
        Pending decision
      </span>
    ),
    row.decision === 'override' && (
      <span key="override" class="badge flag override" title="Implanted despite a critical warning, with a reason on the item">
        Override
      </span>
    ),
    row.voided && (
      <span key="voided" class="badge flag voided">
        Voided {formatDate(row.voided.at)} by {row.voided.by ?? 'an unnamed key'}: review
      </span>
    ),
  ].filter(Boolean);
  return flags.length > 0 ? (
    <div class="flags">
      <span class="visually-hidden">Review: </span>
      {flags}
    </div>
  ) : null;
}

/** The recall's units put aside after a critical warning at scan (not patients), loaded when asked for. */
function NotUsedSection({ api, recallId, count }: { api: Api; recallId: string; count: number }) {
  const [open, setOpen] = useState(false);
  const [state, setState] = useState<{ items: readonly NotUsedItem[]; nextCursor: string | null; loading: boolean; failure: Failure | null }>({ items: [], nextCursor: null, loading: false, failure: null });

  const load = async (cursor: string | null) => {
    setState((s) => ({ ...(cursor === null ? { items: [], nextCursor: null } : s), loading: true, failure: null }));
    try {
      const q = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { cursor } : {}) });
      const answer = await api.request<NotUsedPage>(`/v1/recalls/${recallId}/not-used?${q.toString()}`);
      if (answer.ok) setState((s) => ({ items: cursor === null ? answer.data.items : [...s.items, ...answer.data.items], nextCursor: answer.data.nextCursor, loading: false, failure: null }));
      else setState((s) => ({ ...s, loading: false, failure: { kind: 'problem', problem: answer.problem } }));
    } catch (e) {
      setState((s) => ({ ...s, loading: false, failure: failureOf(e) }));
    }
  };

  const toggle = () => {
    if (!open) void load(null);
    setOpen(!open);
  };

  return (
    <section class="card not-used" aria-labelledby="not-used-heading">
      <h2 id="not-used-heading">Units put aside</h2>
      <p>
        <strong class="not-used-count">{plural(count, 'unit')} not used (put aside)</strong>
        <span class="hint small">
          Stopped at the point of use by a critical warning and not implanted: no patient to contact. Units returned to stock or quarantined are to be found and sent back.
        </span>
      </p>
      {count > 0 && (
        <button type="button" class="secondary" aria-expanded={open} aria-controls="not-used-list" onClick={toggle}>
          {open ? 'Hide the units put aside' : 'Show the units put aside'}
        </button>
      )}
      <div id="not-used-list" hidden={!open}>
        {open && state.loading && state.items.length === 0 && <p role="status">Loading the units put aside…</p>}
        {open && state.failure && <FailureAlert failure={state.failure} onRetry={() => void load(state.items.length === 0 ? null : state.nextCursor)} />}
        {open && !state.loading && !state.failure && state.items.length === 0 && <p class="empty">No unit of this recall was put aside.</p>}
        {open && state.items.length > 0 && (
          <div class="table-wrap">
            <table class="not-used-table">
              <caption>Units put aside ({state.items.length} shown)</caption>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col">Lot</th>
                  <th scope="col">Serial</th>
                  <th scope="col">Disposition</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Decided</th>
                  <th scope="col">Procedure</th>
                </tr>
              </thead>
              <tbody>
                {state.items.map((u) => (
                  <tr key={u.itemId}>
                    <th scope="row">{u.item.gtin ? `GTIN ${u.item.gtin}` : (u.item.di ?? '—')}</th>
                    <td>{u.item.lotNumber ?? '—'}</td>
                    <td>{u.item.serialNumber ?? '—'}</td>
                    <td>{u.disposition ? DISPOSITION_LABELS[u.disposition] : '—'}</td>
                    <td class="reason">{u.reason ?? '—'}</td>
                    <td>{formatDateTime(u.decidedAt)}</td>
                    <td>
                      {formatDate(u.procedure.date)}, {u.procedure.organisation}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {open && state.nextCursor !== null && (
          <button type="button" onClick={() => void load(state.nextCursor)} disabled={state.loading}>
            {state.loading ? 'Loading…' : 'Load more units'}
          </button>
        )}
      </div>
    </section>
  );
}

type RecallState = { readonly kind: 'loading' } | { readonly kind: 'failed'; readonly failure: Failure } | { readonly kind: 'loaded'; readonly recall: Recall };

interface ListState {
  readonly items: readonly AffectedItem[];
  readonly nextCursor: string | null;
  readonly loading: boolean;
  readonly failure: Failure | null;
}

interface Message {
  readonly text: string;
  readonly error: boolean;
}

function Checks<T extends string>(props: {
  legend: string;
  name: string;
  values: readonly T[];
  label: (value: T) => string;
  counts: Readonly<Record<T, number>>;
  chosen: ReadonlySet<T>;
  onChange: (next: Set<T>) => void;
}) {
  return (
    <fieldset class="checks">
      <legend>{props.legend}</legend>
      {props.values.map((v) => (
        <div class="check" key={v}>
          <input
            type="checkbox"
            id={`${props.name}-${v}`}
            checked={props.chosen.has(v)}
            onChange={(e) => {
              const next = new Set(props.chosen);
              if (e.currentTarget.checked) next.add(v);
              else next.delete(v);
              props.onChange(next);
            }}
          />
          <label for={`${props.name}-${v}`}>
            {props.label(v)} ({props.counts[v] ?? 0})
          </label>
        </div>
      ))}
    </fieldset>
  );
}

function ContactEditor(props: { api: Api; recallId: string; row: AffectedItem; onSaved: (status: ContactStatus) => void; onCancel: () => void }) {
  const { row } = props;
  const [status, setStatus] = useState<ContactStatus>(row.contactStatus);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const select = useFocusOnMount<HTMLSelectElement>();
  const id = (f: string) => `contact-${row.itemId}-${f}`;
  const who = formatNhsNumber(row.patient.nhsNumber);

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body = { status, ...(note.trim() ? { note: note.trim() } : {}) };
      const answer = await props.api.request(`/v1/recalls/${props.recallId}/items/${row.itemId}`, { method: 'PATCH', body });
      if (answer.ok) props.onSaved(status);
      else setFailure({ kind: 'problem', problem: answer.problem });
    } catch (e) {
      setFailure(failureOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="contact-editor" onSubmit={(e) => void save(e)} onKeyDown={(e) => e.key === 'Escape' && props.onCancel()} aria-label={`Contact status for NHS number ${who}`}>
      <div class="grid-2">
        <div>
          <label for={id('status')}>
            Contact status<span class="visually-hidden"> for NHS number {who}</span>
          </label>
          <select id={id('status')} ref={select} value={status} onChange={(e) => setStatus(e.currentTarget.value as ContactStatus)}>
            {CONTACT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for={id('note')}>Note (optional)</label>
          <input id={id('note')} autocomplete="off" value={note} maxLength={2000} onInput={(e) => setNote(e.currentTarget.value)} />
        </div>
      </div>
      {failure && <FailureAlert failure={failure} />}
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Save'}
      </button>
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** What keeps a recall open (the service's RECALL_OPEN_ITEMS): patients not yet reviewed, units on the shelves. */
function openItemsOf(c: Recall['counts']) {
  return { unreviewed: c.byStatus.identified + c.byStatus.contacted, onShelves: (c.stock?.available ?? 0) + (c.stock?.quarantined ?? 0) };
}

/**
 * The confirmation of a close. With nothing left open, one button (it takes the focus). With patients not
 * yet reviewed or units still on the shelves, it says so and asks why it is closed anyway (kept on the
 * recall): the reason field takes the focus.
 */
function CloseConfirmation(props: {
  reference: string;
  open: { unreviewed: number; onShelves: number };
  reason: string;
  onReason: (reason: string) => void;
  busy: string | null;
  onClose: () => void;
  onCancel: () => void;
}) {
  const { open } = props;
  const needsReason = open.unreviewed + open.onShelves > 0;
  const reasonField = useFocusOnMount<HTMLTextAreaElement>();
  const label = props.busy === 'close' ? 'Closing…' : 'Yes, close the recall';
  const openText = [
    open.unreviewed > 0 ? `${plural(open.unreviewed, 'item')} not yet reviewed` : '',
    open.onShelves > 0 ? `${plural(open.onShelves, 'unit')} still on the shelves` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return (
    <div class="confirm" role="group" aria-labelledby="confirm-close-text">
      <p id="confirm-close-text">
        Close recall {props.reference}? {needsReason ? `It still has ${openText}.` : ''}
      </p>
      {needsReason ? (
        <>
          <Field id="close-reason" label="Why close it now? (kept on the recall and audited)" errors={[]}>
            {(a) => <textarea {...a} ref={reasonField} rows={2} maxLength={500} value={props.reason} onInput={(e) => props.onReason(e.currentTarget.value)} />}
          </Field>
          <button type="button" class="danger" onClick={props.onClose} disabled={props.busy !== null || props.reason.trim().length < 3}>
            {label}
          </button>
        </>
      ) : (
        <ConfirmButton onClick={props.onClose} disabled={props.busy !== null}>
          {label}
        </ConfirmButton>
      )}
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** One recall: its counts, its affected patients (filtered, paged, contacted, exported), and closing it. */
export function RecallDetail({ api, id }: { api: Api; id: string }) {
  const [state, setState] = useState<RecallState>({ kind: 'loading' });
  const [statuses, setStatuses] = useState<ReadonlySet<ContactStatus>>(new Set());
  const [matches, setMatches] = useState<ReadonlySet<MatchKind>>(new Set());
  const [list, setList] = useState<ListState>({ items: [], nextCursor: null, loading: true, failure: null });
  const [editing, setEditing] = useState<string | null>(null);
  const [message, setMessage] = useState<Message | null>(null);
  const [confirmClose, setConfirmClose] = useState(false);
  const [closeReason, setCloseReason] = useState('');
  const [busy, setBusy] = useState<'csv' | 'close' | null>(null);
  const listAbort = useRef<AbortController | null>(null);
  const summaryRef = useRef<HTMLParagraphElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);

  const loadRecall = useCallback(async () => {
    try {
      const answer = await api.request<Recall>(`/v1/recalls/${id}`);
      setState(answer.ok ? { kind: 'loaded', recall: answer.data } : { kind: 'failed', failure: { kind: 'problem', problem: answer.problem } });
    } catch (e) {
      const failure = failureOf(e);
      setState((s) => {
        if (s.kind !== 'loaded') return { kind: 'failed', failure };
        setMessage({ text: `The counts could not be refreshed. ${failureText(failure)}`, error: true });
        return s;
      });
    }
  }, [api, id]);

  const loadPage = useCallback(
    async (cursor: string | null) => {
      listAbort.current?.abort();
      const controller = new AbortController();
      listAbort.current = controller;
      setList((l) => ({ ...(cursor === null ? { items: [], nextCursor: null } : l), loading: true, failure: null }));
      try {
        const query = queryOf(statuses, matches, { limit: String(PAGE), ...(cursor ? { cursor } : {}) });
        const answer = await api.request<AffectedPage>(`/v1/recalls/${id}/patients?${query}`, { signal: controller.signal });
        if (controller.signal.aborted) return;
        if (answer.ok) {
          setList((l) => ({ items: cursor === null ? answer.data.items : [...l.items, ...answer.data.items], nextCursor: answer.data.nextCursor, loading: false, failure: null }));
          if (cursor !== null && answer.data.nextCursor === null) setTimeout(() => summaryRef.current?.focus(), 0);
        } else {
          setList((l) => ({ ...l, loading: false, failure: { kind: 'problem', problem: answer.problem } }));
        }
      } catch (e) {
        if (isAbort(e)) return;
        setList((l) => ({ ...l, loading: false, failure: failureOf(e) }));
      }
    },
    [api, id, statuses, matches],
  );

  useEffect(() => void loadRecall(), [loadRecall]);
  useEffect(() => {
    setEditing(null);
    void loadPage(null);
    return () => listAbort.current?.abort();
  }, [loadPage]);

  if (state.kind === 'loading') {
    return (
      <main id="main" class="recalls">
        <p role="status">Loading the recall…</p>
      </main>
    );
  }
  if (state.kind === 'failed') {
    return (
      <main id="main" class="recalls">
        <ViewHeading>Recall</ViewHeading>
        <FailureAlert failure={state.failure} onRetry={() => (setState({ kind: 'loading' }), void loadRecall())} />
        <button type="button" class="secondary" onClick={() => go('#/')}>
          Back to recalls
        </button>
      </main>
    );
  }

  const recall = state.recall;
  const c = recall.counts;
  const filtered = statuses.size > 0 || matches.size > 0;
  const matchKinds = matchKindsOf(c.byMatch);
  // What the filter keeps, when the counts can say it (one kind of filter at a time).
  const matching =
    statuses.size > 0 && matches.size === 0
      ? [...statuses].reduce((n, s) => n + c.byStatus[s], 0)
      : matches.size > 0 && statuses.size === 0
        ? [...matches].reduce((n, m) => n + (c.byMatch[m] ?? 0), 0)
        : null;
  const filterText = [
    statuses.size > 0 ? `contact status ${CONTACT_STATUSES.filter((s) => statuses.has(s)).map((s) => STATUS_LABELS[s]).join(' or ')}` : null,
    matches.size > 0 ? `match ${[...matchKinds.filter((m) => matches.has(m)), ...[...matches].filter((m) => !matchKinds.includes(m))].map(matchLabel).join(' or ')}` : null,
  ]
    .filter(Boolean)
    .join(', and ');

  const saved = (row: AffectedItem, status: ContactStatus) => {
    setList((l) => ({ ...l, items: l.items.map((i) => (i.itemId === row.itemId ? { ...i, contactStatus: status } : i)) }));
    setEditing(null);
    // A row the filter no longer keeps stays where it is (the focus and the reader's place with it), marked, until the list is loaded again.
    const leaves = statuses.size > 0 && !statuses.has(status);
    setMessage({
      text: `Contact status for NHS number ${formatNhsNumber(row.patient.nhsNumber)} saved: ${STATUS_LABELS[status]}.${leaves ? ' It no longer matches the status filter and leaves the list when the list is next loaded.' : ''}`,
      error: false,
    });
    void loadRecall();
    setTimeout(() => document.getElementById(`update-${row.itemId}`)?.focus(), 0);
  };

  const downloadCsv = async () => {
    setBusy('csv');
    setMessage(null);
    try {
      const answer = await api.request<Blob>(`/v1/recalls/${id}/patients?${queryOf(statuses, matches, { format: 'csv' })}`, { as: 'blob', headers: { accept: 'text/csv' } });
      if (!answer.ok) {
        setMessage({ text: answer.problem.detail, error: true });
        return;
      }
      const name = filenameOf(answer.headers.get('content-disposition'), recall);
      const url = URL.createObjectURL(answer.data);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setMessage({ text: `Saved ${name}${filtered ? ` (only ${filterText})` : ' (every affected item)'}.`, error: false });
    } catch (e) {
      setMessage({ text: failureOf(e).kind === 'offline' ? 'The CSV could not be fetched: the service cannot be reached.' : 'The CSV could not be saved.', error: true });
    } finally {
      setBusy(null);
    }
  };

  const close = async () => {
    setBusy('close');
    try {
      const open = openItemsOf(recall.counts);
      const answer = await api.request<Recall>(`/v1/recalls/${id}/close`, {
        method: 'POST',
        ...(open.unreviewed + open.onShelves > 0 && { body: { reason: closeReason } }),
      });
      if (answer.ok) {
        setState({ kind: 'loaded', recall: answer.data });
        setMessage({ text: `Recall ${recall.reference} is closed. Scans are no longer warned about it; its list stays.`, error: false });
      } else {
        setMessage({ text: answer.problem.detail, error: true });
      }
    } catch (e) {
      setMessage({ text: failureOf(e).kind === 'offline' ? 'The recall was not closed: the service cannot be reached.' : 'The recall was not closed.', error: true });
    } finally {
      setBusy(null);
      setConfirmClose(false);
      setTimeout(() => (closeButton.current ?? document.getElementById('detail-heading'))?.focus(), 0);
    }
  };

  return (
    <main id="main" class="recalls recall-detail">
      <p class="crumbs">
        <a href="#/">All recalls</a>
      </p>
      <ViewHeading id="detail-heading">
        Recall {recall.reference}: {recall.title}
      </ViewHeading>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <span class={`badge status-${recall.status}`}>{recall.status === 'active' ? 'Active' : `Closed ${formatDateTime(recall.closedAt)}`}</span>
          </dd>
        </div>
        {recall.closeReason && (
          <div>
            <dt>Closed with items open, because</dt>
            <dd>{recall.closeReason}</dd>
          </div>
        )}
        <div>
          <dt>Manufacturer</dt>
          <dd>{recall.manufacturer ?? '—'}</dd>
        </div>
        <div>
          <dt>Issued</dt>
          <dd>{formatDate(recall.issuedAt)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(recall.createdAt)}</dd>
        </div>
      </dl>
      <h2>Scope</h2>
      <ul class="scopes">
        {recall.scope.map((s, i) => (
          <li key={i}>{scopeText(s)}</li>
        ))}
      </ul>

      <div role="status" aria-live="polite" class="message-region">
        {message && !message.error && <p class="notice">{message.text}</p>}
      </div>
      {message?.error && (
        <p class="error" role="alert">
          {message.text}
        </p>
      )}

      <section class="card" aria-labelledby="counts-heading">
        <h2 id="counts-heading">Affected</h2>
        <ul class="counts">
          <li>
            <strong>{c.patients}</strong> patients
          </li>
          <li>
            <strong>{c.items}</strong> items
          </li>
          <li>
            <strong>{c.explanted}</strong> since explanted
          </li>
          {c.notUsed !== undefined && (
            <li>
              <strong>{c.notUsed}</strong> {c.notUsed === 1 ? 'unit' : 'units'} not used (put aside)
            </li>
          )}
        </ul>
        <div class="grid-2">
          <table class="count-table">
            <caption>Items by match</caption>
            <tbody>
              {matchKinds.map((m) => (
                <tr key={m}>
                  <th scope="row">
                    {matchLabel(m)}
                    <span class="hint small">{matchHint(m)}</span>
                  </th>
                  <td class="num">{c.byMatch[m] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table class="count-table">
            <caption>Items by contact status</caption>
            <tbody>
              {CONTACT_STATUSES.map((s) => (
                <tr key={s}>
                  <th scope="row">{STATUS_LABELS[s]}</th>
                  <td class="num">{c.byStatus[s]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      {c.notUsed !== undefined && <NotUsedSection api={api} recallId={id} count={c.notUsed} />}
      {c.stock && (
        <section class="card shelf-stock" aria-labelledby="shelf-stock-heading">
          <h2 id="shelf-stock-heading">Stock on the shelves</h2>
          <p>
            <strong class="shelf-stock-count">
              {plural(c.stock.available, 'unit')} available, {c.stock.quarantined} quarantined, {c.stock.returned} returned to the supplier
            </strong>
            <span class="hint small">Units of this recall still on hand: quarantine them where they are, then return them. The recall stays open while any remain.</span>
          </p>
          <a href={`/console/stock?recall=${encodeURIComponent(id)}`}>Quarantine and return the recall’s stock</a>
        </section>
      )}

      <section aria-labelledby="list-heading">
        <h2 id="list-heading">Affected patients</h2>
        <div class="card filters">
          <Checks legend="Contact status" name="status" values={CONTACT_STATUSES} label={(s) => STATUS_LABELS[s]} counts={c.byStatus} chosen={statuses} onChange={setStatuses} />
          <Checks legend="Match" name="match" values={matchKinds} label={matchLabel} counts={c.byMatch} chosen={matches} onChange={setMatches} />
          {filtered && (
            <button type="button" class="secondary" onClick={() => (setStatuses(new Set()), setMatches(new Set()))}>
              Show all
            </button>
          )}
        </div>
        <p class={`showing${filtered ? ' filtered' : ''}`} id="showing" ref={summaryRef} tabIndex={-1} aria-live="polite">
          {list.loading && list.items.length === 0
            ? 'Loading the affected patients…'
            : `Showing ${list.items.length} of the recall’s ${plural(c.items, 'affected item')} (${plural(c.patients, 'patient')}).`}
          {filtered && ` Filtered: only ${filterText}${matching !== null ? `, which ${matching === 1 ? 'is' : 'are'} ${matching}` : ''}.`}
          {list.nextCursor !== null && ' More to load.'}
        </p>
        {list.failure && <FailureAlert failure={list.failure} onRetry={() => void loadPage(list.items.length === 0 ? null : list.nextCursor)} />}
        {!list.loading && !list.failure && list.items.length === 0 && <p class="card empty">{filtered ? 'No affected item matches this filter.' : 'No patient has an item this recall covers.'}</p>}
        {list.items.length > 0 && (
          <div class="table-wrap">
            <table class="affected" aria-describedby="showing">
              <caption class="visually-hidden">Affected items{filtered ? `, only ${filterText}` : ''}</caption>
              <thead>
                <tr>
                  <th scope="col">NHS number</th>
                  <th scope="col">Procedure</th>
                  <th scope="col">Organisation</th>
                  <th scope="col">Location</th>
                  <th scope="col">Lot</th>
                  <th scope="col">Serial</th>
                  <th scope="col">Expiry</th>
                  <th scope="col">Match</th>
                  <th scope="col">Contact status</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((row) => {
                  const outside = statuses.size > 0 && !statuses.has(row.contactStatus);
                  return (
                  <Fragment key={row.itemId}>
                    <tr
                      class={[editing === row.itemId ? 'editing' : '', outside ? 'outside-filter' : '', row.voided ? 'voided' : '', row.decision === 'pending' ? 'decision-pending' : ''].filter(Boolean).join(' ') || undefined}
                      data-item-id={row.itemId}
                    >
                      <th scope="row" class="nhs">
                        {formatNhsNumber(row.patient.nhsNumber)}
                      </th>
                      <td>{formatDate(row.procedure.date)}</td>
                      <td>{row.procedure.organisation}</td>
                      <td>{row.procedure.location ? row.procedure.location.name || row.procedure.location.gln : '—'}</td>
                      <td>{row.item.lotNumber ?? '—'}</td>
                      <td>{row.item.serialNumber ?? '—'}</td>
                      <td>{formatDate(row.item.expirationDate)}</td>
                      <td>{matchLabel(row.match)}</td>
                      <td class="contact">
                        <ReviewFlags row={row} />
                        <span class="status">{STATUS_LABELS[row.contactStatus]}</span>
                        {outside && <span class="hint small outside-note">Outside this filter now</span>}
                        {row.item.explantedAt && <span class="hint small">Explanted {formatDate(row.item.explantedAt)}</span>}
                        <button type="button" class="secondary small" id={`update-${row.itemId}`} aria-expanded={editing === row.itemId} onClick={() => setEditing(editing === row.itemId ? null : row.itemId)}>
                          Update<span class="visually-hidden"> contact status for NHS number {formatNhsNumber(row.patient.nhsNumber)}</span>
                        </button>
                      </td>
                    </tr>
                    {editing === row.itemId && (
                      <tr class="editor-row">
                        <td colSpan={9}>
                          <ContactEditor
                            api={api}
                            recallId={id}
                            row={row}
                            onSaved={(s) => saved(row, s)}
                            onCancel={() => {
                              setEditing(null);
                              setTimeout(() => document.getElementById(`update-${row.itemId}`)?.focus(), 0);
                            }}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <div class="actions-bar">
          {list.nextCursor !== null && (
            <button type="button" onClick={() => void loadPage(list.nextCursor)} disabled={list.loading}>
              {list.loading ? 'Loading…' : 'Load more'}
            </button>
          )}
          <button type="button" class="secondary" onClick={() => void downloadCsv()} disabled={busy !== null}>
            {busy === 'csv' ? 'Preparing CSV…' : filtered ? 'Download CSV (this filter)' : 'Download CSV'}
          </button>
        </div>
      </section>

      {recall.status === 'active' && (
        <section class="card" aria-labelledby="close-heading">
          <h2 id="close-heading">Close the recall</h2>
          <p class="hint">When every patient has been dealt with. Theatre scans are then no longer warned about it; the list and its history stay.</p>
          {confirmClose ? (
            <CloseConfirmation
              reference={recall.reference}
              open={openItemsOf(c)}
              reason={closeReason}
              onReason={setCloseReason}
              busy={busy}
              onClose={() => void close()}
              onCancel={() => (setConfirmClose(false), setTimeout(() => closeButton.current?.focus(), 0))}
            />
          ) : (
            <button type="button" class="secondary danger" ref={closeButton} onClick={() => setConfirmClose(true)}>
              Close recall
            </button>
          )}
        </section>
      )}
    </main>
  );
}

