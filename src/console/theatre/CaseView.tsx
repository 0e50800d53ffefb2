import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { parseBarcode } from '../../barcode/index.js';
import { useFocusOnMount } from '../shared/focus.js';
import { NetworkError, type Api } from '../shared/api.js';
import { formatDate, formatDateTime, formatNhsNumber } from '../shared/format.js';
import { issueAt, REASON_MAX, reasonProblem } from '../shared/reason.js';
import { alarm } from './alarm.js';
import { CheckHistory, CheckResultView, type CheckedEntry } from './CheckBeforeOpening.js';
import { decisionText, DecisionControls } from './Decision.js';
import type { Line } from './lines.js';
import { ManualEntryForm } from './ManualEntryForm.js';
import type { ManualEntry, QueueState, ScanAction } from './queue.js';
import { badgedInSentence, badgedMember, isStaffBadge, meanwhileSentence, namedTo, type NamedTo } from './team.js';
import { type Said, TeamPanel } from './TeamPanel.js';
import type { CaseRole, CaseTeam, CheckResult, Item, Procedure } from './types.js';
import { WedgeInput } from '../shared/WedgeInput.js';
import { barcodeFromWedge, visibleBarcode } from '../shared/wedge.js';

interface Props {
  readonly api: Api;
  readonly procedure: Procedure;
  readonly lines: readonly Line[];
  readonly queue: QueueState;
  readonly scanRef: { current: HTMLInputElement | null };
  /** A scan, with the late-entry reason when the case is already completed. */
  readonly onScan: (text: string, action: ScanAction, lateReason: string | null) => 'taken' | 'empty';
  /** An item typed in because its label would not scan. */
  readonly onManual: (entry: ManualEntry, action: ScanAction, lateReason: string | null) => void;
  /** A box checked before opening, now opened: recorded as implanted, as the same label or typed entry, through the outbox. */
  readonly onRecordChecked: (entry: CheckedEntry) => void;
  /** What the scanner sends in place of GS (the device setting), for the scans this view reads itself (checks). */
  readonly substitute: string;
  /** A STOP banner is up: Escape in the scan field is its. */
  readonly alerting: boolean;
  readonly onCancelQueued: (key: string) => void;
  readonly onDismiss: (key: string) => void;
  readonly onEscape: () => void;
  /** The item whose decision the STOP banner is asking for now: its line points there rather than offering it twice. */
  readonly decisionInBanner: string | null;
  readonly onDecided: (item: Item) => void;
  /** Fetch the case again; resolves once it is in. */
  readonly onChanged: () => Promise<void> | void;
  /** The person signed in on this device, if any: the service names them for every scan sent from it. */
  readonly person: string | null;
  /** The case team as the service just answered it (a badge in, a member out). */
  readonly onTeam: (team: CaseTeam) => void;
  readonly onCompleted: (procedure: Procedure) => void;
  readonly onLeave: () => void;
}

const ACTIONS: ReadonlyArray<{ value: ScanAction; label: string }> = [
  { value: 'implanted', label: 'Implant' },
  { value: 'explanted', label: 'Explant' },
  { value: 'wasted', label: 'Wasted' },
  { value: 'returned', label: 'Returned' },
];

const VOID_REASONS = ['Scanned in error', 'Scanned twice', 'Wrong patient', 'Item not used'];
/** The void reason's last choice: the team types its own. */
const OTHER = 'other';

const SEVERITY_TEXT = { critical: 'STOP', warning: 'Check', info: 'Note' } as const;

/** A badge scanned while the service cannot be reached: never queued (who is at the scanner is the service's to say, when the scan is recorded). */
const offlineBadge = (to: NamedTo) =>
  `Offline: the badge could not be scanned in, and it is not kept to send later: badging in needs the service. Scan it again when the network returns. ${meanwhileSentence(to)}`;

const OFFLINE_CHECK =
  'Offline: this box cannot be checked now. A check needs the service’s answer, and the service cannot be reached. Nothing was checked and nothing was recorded: do not open it on the strength of this scan.';

/** The checked entry in words, for the notice once it is put aside or recorded. */
function entryText(result: CheckResult): string {
  const d = result.device;
  const product = d.gtin ? `GTIN ${d.gtin}` : d.hibc ? `HIBC ${d.hibc.lic} ${d.hibc.pcn}` : (d.di ?? 'the box');
  return [product, d.lotNumber ? `lot ${d.lotNumber}` : null, d.serialNumber ? `serial ${d.serialNumber}` : null].filter(Boolean).join(', ');
}

function Field({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value ?? '—'}</dd>
    </div>
  );
}

function FocusedButton(props: { onClick: () => void; disabled: boolean; children: ComponentChildren }) {
  const ref = useFocusOnMount<HTMLButtonElement>();
  return (
    <button type="button" ref={ref} onClick={props.onClick} disabled={props.disabled}>
      {props.children}
    </button>
  );
}

function FocusedSelect(props: { id: string; value: string; onChange: (e: Event & { currentTarget: HTMLSelectElement }) => void; children: ComponentChildren }) {
  const ref = useFocusOnMount<HTMLSelectElement>();
  return (
    <select id={props.id} ref={ref} value={props.value} onChange={props.onChange}>
      {props.children}
    </select>
  );
}

/** A reason typed in words (late entry, void), its error tied to it; the late entry's takes the focus when it appears (a void's would take it from the select while its options are arrowed through). */
function ReasonInput(props: { id: string; value: string; invalid: boolean; focus: boolean; onValue: (v: string) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    if (props.focus) ref.current?.focus();
  }, []);
  return (
    <input
      id={props.id}
      ref={ref}
      maxLength={REASON_MAX}
      autocomplete="off"
      value={props.value}
      aria-invalid={props.invalid ? true : undefined}
      aria-describedby={props.invalid ? `${props.id}-error` : undefined}
      onInput={(e) => props.onValue(e.currentTarget.value)}
    />
  );
}

function productName(line: Line & { kind: 'item' }): string {
  const p = line.product;
  const name = [p?.brand, p?.model].filter(Boolean).join(' ');
  if (name) return p?.manufacturer ? `${name} (${p.manufacturer})` : name;
  if (line.item.hibc) return `HIBC ${line.item.hibc.lic} ${line.item.hibc.pcn}`;
  return line.item.gtin ? `GTIN ${line.item.gtin}` : (line.item.di ?? 'Unidentified product');
}

/** One open case: whose and where, the scan field, and every line of the case. */
export function CaseView(props: Props) {
  const { api, procedure, lines, queue } = props;
  const [action, setAction] = useState<ScanAction>('implanted');
  const [text, setText] = useState('');
  /** The void being asked for: a listed reason, or OTHER with the team's own words (`other`). */
  const [voiding, setVoiding] = useState<{ scanId: string; reason: string; other: string; error: string | null } | null>(null);
  const [completing, setCompleting] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [typing, setTyping] = useState(false);
  /** Late entries to a completed case: the reason asked for (draft), then given (every scan carries it). */
  const [lateDraft, setLateDraft] = useState<string | null>(null);
  const [lateReason, setLateReason] = useState<string | null>(null);
  const [lateError, setLateError] = useState<string | null>(null);
  /** Check before opening: each scan (or typed entry) is checked against the case, and nothing is recorded. */
  const [checkMode, setCheckMode] = useState(false);
  const [checked, setChecked] = useState<{ entry: CheckedEntry; result: CheckResult } | null>(null);
  const [checkProblem, setCheckProblem] = useState<string | null>(null);
  const [checkBusy, setCheckBusy] = useState(false);
  const [checksVersion, setChecksVersion] = useState(0);
  /** The role the next badge scanned joins the case with; back to scrub after each. */
  const [badgeRole, setBadgeRole] = useState<CaseRole>('scrub');
  /** What the last badge in or member out said, in the team panel. */
  const [teamSaid, setTeamSaid] = useState<Said | null>(null);
  /** The latest check asked for: an earlier one's late answer is not shown over it. */
  const checkSeq = useRef(0);
  const pendingHere = queue.pending.filter((s) => s.procedureId === procedure.id).length;
  const completed = procedure.status === 'completed';
  /** Scans can be taken: the case is open, or a late-entry reason has been given. */
  const scanning = !completed || lateReason !== null;
  /** A completed case has nothing left to open: no checks (the service refuses them too). */
  const checking = checkMode && !completed;
  const focusScan = () => props.scanRef.current?.focus();
  const actionLabel = ACTIONS.find((a) => a.value === action)?.label ?? 'Implant';

  const scan = () => {
    const barcode = barcodeFromWedge(text.trim(), props.substitute);
    // The same parser as the service's: a staff badge badges its holder in (in check mode too: a badge is never a check, nor a product scan).
    const parsed = barcode === '' ? null : parseBarcode(barcode);
    if (parsed && isStaffBadge(parsed)) {
      setText('');
      void badgeIn(barcode, parsed.ais?.['8017']);
      return;
    }
    if (checking) {
      if (parsed === null) return;
      setText('');
      // An unreadable label is said at once, and nothing is sent.
      if (parsed.error) {
        checkSeq.current += 1;
        setChecked(null);
        setCheckBusy(false);
        setCheckProblem(`Not checked: ${parsed.error.message}. Scan it again, or type it in.`);
        return;
      }
      void runCheck({ barcode });
      return;
    }
    const taken = props.onScan(text, action, completed ? lateReason : null);
    if (taken === 'taken') {
      setText('');
      // The next scan is an implant unless the team says otherwise: an explant or waste is chosen each time.
      setAction('implanted');
    }
  };

  /** A staff badge scanned: its holder joins the case (or takes the scanner back) with the role chosen. Online only: never queued. */
  const badgeIn = async (barcode: string, gsrn: string | undefined) => {
    setTeamSaid(null);
    const before = namedTo(procedure.team, props.person);
    if (!navigator.onLine) {
      setTeamSaid({ text: offlineBadge(before), error: true });
      return;
    }
    try {
      const answer = await api.request<CaseTeam>(`/v1/procedures/${procedure.id}/staff`, { method: 'POST', body: { staff: { barcode }, role: badgeRole } });
      if (answer.ok) {
        props.onTeam(answer.data);
        setBadgeRole('scrub');
        setTeamSaid({ text: badgedInSentence(badgedMember(answer.data, gsrn), namedTo(answer.data, props.person)), error: false });
        void props.onChanged();
      } else if (answer.status >= 500 || answer.status === 429) {
        setTeamSaid({ text: `The service cannot take the badge now: it was not scanned in. Scan it again in a moment. ${meanwhileSentence(before)} (${answer.problem.detail})`, error: true });
      } else {
        setTeamSaid({ text: `Not badged in: ${answer.problem.detail}`, error: true });
      }
    } catch (e) {
      setTeamSaid({ text: e instanceof NetworkError ? offlineBadge(before) : 'The badge could not be scanned in.', error: true });
    }
  };

  const typedIn = (entry: ManualEntry) => {
    if (checking) {
      setTyping(false);
      focusScan();
      void runCheck({ manual: entry });
      return;
    }
    props.onManual(entry, action, completed ? lateReason : null);
    setTyping(false);
    setAction('implanted');
    focusScan();
  };

  /** Asks the service what a scan of the box as implanted would say. Online only: a check is never queued, and never sent as a scan. */
  const runCheck = async (entry: CheckedEntry) => {
    const seq = ++checkSeq.current;
    setChecked(null);
    setCheckProblem(null);
    setMessage(null);
    if (!navigator.onLine) {
      setCheckProblem(OFFLINE_CHECK);
      return;
    }
    setCheckBusy(true);
    try {
      const answer = await api.request<CheckResult>(`/v1/procedures/${procedure.id}/check`, { method: 'POST', body: entry });
      if (seq !== checkSeq.current) return;
      if (answer.ok) {
        setChecked({ entry, result: answer.data });
        setChecksVersion((v) => v + 1);
        if (answer.data.check.outcome === 'critical') alarm();
      } else if (answer.status >= 500 || answer.status === 429) {
        setCheckProblem(`The service cannot check the box now. Nothing was checked and nothing was recorded: check it again in a moment. (${answer.problem.detail})`);
      } else {
        setCheckProblem(`Not checked: ${answer.problem.detail}`);
      }
    } catch (e) {
      if (seq === checkSeq.current) setCheckProblem(e instanceof NetworkError ? OFFLINE_CHECK : 'The check failed. Nothing was checked and nothing was recorded.');
    } finally {
      if (seq === checkSeq.current) setCheckBusy(false);
    }
  };

  /** Put aside after a check: nothing to send (the check is already kept); back to the scan field. */
  const putAside = () => {
    if (!checked) return;
    setMessage({ text: `Put aside, not opened: ${entryText(checked.result)}. Nothing was recorded.`, error: false });
    setChecked(null);
    focusScan();
  };

  /** Opened after a check: recorded as implanted like any scan (a new Idempotency-Key, through the outbox). */
  const recordChecked = () => {
    if (!checked) return;
    props.onRecordChecked(checked.entry);
    setMessage({ text: `Opened, and sent to be recorded as implanted: ${entryText(checked.result)}. Its line is below.`, error: false });
    setChecked(null);
    focusScan();
  };

  const switchMode = (check: boolean) => {
    checkSeq.current += 1;
    setCheckMode(check);
    setChecked(null);
    setCheckProblem(null);
    setCheckBusy(false);
    setTyping(false);
    focusScan();
  };

  const startLateEntries = (e: Event) => {
    e.preventDefault();
    const reason = (lateDraft ?? '').trim();
    // The service's rule, checked here: a "." is no reason. A late scan it still refuses shows the service's words on its line.
    const problem = reasonProblem(reason);
    if (problem) {
      setLateError(problem);
      document.getElementById('late-reason')?.focus();
      return;
    }
    setLateError(null);
    setLateDraft(null);
    setLateReason(reason);
  };

  const submitVoid = async () => {
    if (!voiding) return;
    const reason = voiding.reason === OTHER ? voiding.other.trim() : voiding.reason;
    const problem = voiding.reason === OTHER ? reasonProblem(reason) : null;
    if (problem) {
      setVoiding({ ...voiding, error: problem });
      document.querySelector<HTMLInputElement>('.void-form input')?.focus();
      return;
    }
    setBusy(true);
    let done = true;
    try {
      const answer = await api.request(`/v1/scans/${voiding.scanId}/void`, { method: 'POST', body: { reason } });
      if (answer.ok) {
        setMessage({ text: 'The line was voided. Nothing is deleted: the void is on record.', error: false });
        setVoiding(null);
        void props.onChanged();
      } else {
        // The service's words for the reason stay beside it; anything else is said below.
        const atReason = issueAt(answer.problem, '/reason');
        if (atReason) {
          setVoiding({ ...voiding, reason: OTHER, other: reason, error: atReason });
          done = false;
        } else {
          setMessage({ text: answer.problem.detail, error: true });
        }
      }
    } catch (e) {
      setMessage({ text: e instanceof NetworkError ? 'Offline: a line can be voided only when the service can be reached.' : 'The void failed.', error: true });
    } finally {
      setBusy(false);
      if (done) focusScan();
      else setTimeout(() => document.querySelector<HTMLInputElement>('.void-form input')?.focus(), 0);
    }
  };

  const complete = async () => {
    setBusy(true);
    try {
      const answer = await api.request<Procedure>(`/v1/procedures/${procedure.id}/complete`, { method: 'POST' });
      if (answer.ok) props.onCompleted(answer.data);
      else if (answer.problem.code === 'DECISION_REQUIRED') void decisionsRequired(answer.problem.pendingItemIds ?? []);
      else setMessage({ text: answer.problem.detail, error: true });
    } catch (e) {
      setMessage({ text: e instanceof NetworkError ? 'Offline: the case can be completed when the service can be reached.' : 'The case could not be completed.', error: true });
    } finally {
      setBusy(false);
      setCompleting(false);
    }
  };

  /** Completion refused until each critical warning has its decision: say how many, and take the team to the first. */
  const decisionsRequired = async (ids: readonly string[]) => {
    const n = ids.length;
    setMessage({
      text: `The case is not completed: ${n === 1 ? '1 item waits' : `${n} items wait`} for a decision after a critical warning (put aside, or implant anyway with a reason). Decide ${n === 1 ? 'it' : 'each'}, then complete the case.`,
      error: true,
    });
    // The case is fetched again so that every waiting item shows its controls, then the first one (in the list's order) takes the focus.
    await props.onChanged();
    setTimeout(() => {
      const controls = Array.from(document.querySelectorAll<HTMLElement>('[data-decision-for]'));
      const first = controls.find((c) => ids.includes(c.dataset.decisionFor ?? '')) ?? controls[0];
      first?.querySelector<HTMLElement>('button, input')?.focus();
    }, 0);
  };
  const waitingDecisions = lines.filter((l) => l.kind === 'item' && l.item.status === 'active' && l.item.decision?.status === 'pending').length;

  return (
    <main id="main" class="case">
      <header class="case-header">
        <div class="case-title">
          <h1>
            Case: <span class="nhs">{formatNhsNumber(procedure.patient.nhsNumber)}</span>
          </h1>
          <div class="case-actions">
            <button type="button" class="secondary" onClick={props.onLeave}>
              Switch case
            </button>
            {!completed && (
              <button type="button" onClick={() => setCompleting(true)} disabled={busy}>
                Complete case
              </button>
            )}
          </div>
        </div>
        <dl class="case-facts">
          <Field label="NHS number" value={formatNhsNumber(procedure.patient.nhsNumber)} />
          <Field label="Date of birth" value={procedure.patient.dateOfBirth ? formatDate(procedure.patient.dateOfBirth) : null} />
          <Field label="Location" value={procedure.location?.name ?? procedure.location?.gln ?? null} />
          <Field label="Started" value={formatDateTime(procedure.startedAt)} />
          <Field label="Side" value={procedure.side} />
          <Field label="Status" value={completed ? `Completed ${formatDateTime(procedure.completedAt)}` : 'Open'} />
        </dl>
        <TeamPanel api={api} procedure={procedure} person={props.person} role={badgeRole} onRole={setBadgeRole} onTeam={props.onTeam} onChanged={props.onChanged} said={teamSaid} onSaid={setTeamSaid} />
      </header>

      {completing && (
        <section class="confirm" role="dialog" aria-modal="false" aria-labelledby="complete-heading">
          <h2 id="complete-heading">Complete this case?</h2>
          {pendingHere > 0 ? (
            <p class="error">
              {pendingHere} {pendingHere === 1 ? 'scan is' : 'scans are'} still waiting to be sent. The case can be completed once they are on record.
            </p>
          ) : (
            <p>Scans after completion need a late-entry reason.</p>
          )}
          {pendingHere === 0 && waitingDecisions > 0 && (
            <p class="hint">
              {waitingDecisions === 1 ? '1 item still waits' : `${waitingDecisions} items still wait`} for a decision: the service will not complete the case until each is decided.
            </p>
          )}
          <FocusedButton onClick={() => void complete()} disabled={busy || pendingHere > 0}>
            Complete case
          </FocusedButton>
          <button type="button" class="secondary" onClick={() => (setCompleting(false), focusScan())}>
            Not yet
          </button>
        </section>
      )}

      {completed && lateReason === null && (
        <section class="late-entry" aria-labelledby="late-heading">
          <h2 id="late-heading">Late entries</h2>
          {lateDraft === null ? (
            <>
              <p class="hint">The case is completed. An item found afterwards can still be recorded, as a late entry with its reason.</p>
              <button type="button" class="secondary" onClick={() => setLateDraft('')}>
                Record a late entry
              </button>
            </>
          ) : (
            <form noValidate onSubmit={startLateEntries}>
              <label for="late-reason">Why is it recorded after the case was completed?</label>
              <ReasonInput id="late-reason" focus value={lateDraft} invalid={lateError !== null} onValue={(v) => (setLateDraft(v), lateError && reasonProblem(v) === null && setLateError(null))} />
              {lateError && (
                <p id="late-reason-error" class="error field-error">
                  {lateError} It is kept with every late entry.
                </p>
              )}
              <div class="form-actions">
                <button type="submit">Continue</button>
                <button type="button" class="secondary" onClick={() => (setLateDraft(null), setLateError(null))}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </section>
      )}

      {scanning && (
        <section class={`scan-panel${checking ? ' check-mode' : ''}`} aria-label={checking ? 'Check before opening' : 'Scan'}>
          {lateReason !== null && (
            <div class="late-banner" role="status">
              <p>
                <strong>Late entry.</strong> Each scan is recorded as late, with the reason “{lateReason}”.
              </p>
              <button type="button" class="secondary" onClick={() => (setLateReason(null), setTyping(false))}>
                Finish late entries
              </button>
            </div>
          )}
          {!completed && (
            <fieldset class="actions modes">
              <legend>What a scan does</legend>
              <label class={checking ? '' : 'chosen'}>
                <input type="radio" name="mode" value="record" checked={!checking} onChange={() => switchMode(false)} />
                Record it
              </label>
              <label class={checking ? 'chosen check' : ''}>
                <input type="radio" name="mode" value="check" checked={checking} onChange={() => switchMode(true)} />
                Check before opening
              </label>
            </fieldset>
          )}
          {checking ? (
            <p class="check-banner" id="check-banner">
              CHECK ONLY — nothing is recorded
            </p>
          ) : (
            <fieldset class="actions">
              <legend>This scan is</legend>
              {ACTIONS.map((a) => (
                <label key={a.value} class={action === a.value ? 'chosen' : ''}>
                  <input type="radio" name="action" value={a.value} checked={action === a.value} onChange={() => (setAction(a.value), focusScan())} />
                  {a.label}
                </label>
              ))}
            </fieldset>
          )}
          <label for="scan">{checking ? 'Scan a box to check it' : 'Scan an item'}</label>
          <WedgeInput
            id="scan"
            inputRef={props.scanRef}
            value={text}
            onValue={setText}
            onEnter={scan}
            onEscape={() => (checked && !props.alerting ? document.querySelector<HTMLButtonElement>('.check-choices button')?.focus() : props.onEscape())}
            autoFocus
            home
            describedBy={checking ? 'check-banner scan-hint' : 'scan-hint'}
            placeholder={checking ? 'Scan the box’s label: it is checked, not recorded' : 'Scan the label, or type it and press Enter'}
          />
          {checking ? (
            <p id="scan-hint" class="hint">
              Each box is checked as if it were implanted in this case now: expiry, recalls, earlier use, side, size and fit with what is implanted. Nothing is recorded until you choose to open it and record it.
            </p>
          ) : (
            <p id="scan-hint" class="hint">
              Scans go in as {actionLabel.toLowerCase()}. Escape acknowledges a warning, or goes to a decision it asks for.
            </p>
          )}
          {checking && checkBusy && (
            <p class="check-busy" role="status">
              Checking…
            </p>
          )}
          {checking && checkProblem && (
            <p class="check-problem" role="alert">
              {checkProblem}
            </p>
          )}
          {checking && checked && (
            <CheckResultView key={checked.result.check.id} result={checked.result} notYetSent={pendingHere} onPutAside={putAside} onRecord={recordChecked} />
          )}
          {typing ? (
            <ManualEntryForm actionLabel={actionLabel} check={checking} onSubmit={typedIn} onClose={() => (setTyping(false), focusScan())} />
          ) : (
            <button type="button" class="secondary" onClick={() => setTyping(true)}>
              {checking ? 'Type a box in to check it' : 'Type an item in'}
            </button>
          )}
        </section>
      )}

      {message && (
        <p class={message.error ? 'error' : 'notice'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}

      <section aria-labelledby="lines-heading">
        <h2 id="lines-heading">
          Items in this case <span class="count">({lines.filter((l) => l.kind === 'item' && l.item.status === 'active').length} on record)</span>
        </h2>
        {lines.length === 0 && <p class="hint">Nothing scanned yet.</p>}
        <ol class="lines">
          {lines.map((line) => {
            if (line.kind === 'pending') {
              const p = line.parsed;
              return (
                <li key={line.scan.key} class="line pending" data-testid="line" data-state="pending">
                  <p class="line-title">
                    <span class="badge waiting">{line.sending ? 'Sending…' : 'Waiting to send'}</span>
                    {p?.gtin ? `GTIN ${p.gtin}` : p?.di ? p.di : visibleBarcode(line.scan.body.barcode ?? line.scan.body.manual?.gtin ?? '')}
                  </p>
                  <dl class="line-facts">
                    <Field label="Lot" value={p?.lotNumber ?? line.scan.body.manual?.lotNumber} />
                    <Field label="Serial" value={p?.serialNumber ?? line.scan.body.manual?.serialNumber} />
                    <Field label="Expiry" value={formatDate(p?.expirationDate ?? line.scan.body.manual?.expirationDate)} />
                    <Field label="Action" value={line.scan.body.action} />
                  </dl>
                  <p class="hint">Not yet checked for recalls or earlier use: it is kept on this device and sent when the service can be reached.</p>
                  {line.scan.body.action === 'implanted' && (
                    <p class="hint">If the service finds a critical warning (recalled, expired, already implanted), the STOP and its decision (put aside, or implant anyway) come once its answer is back: the decision needs the item on record.</p>
                  )}
                  {!line.sending && (
                    <button type="button" class="secondary" onClick={() => props.onCancelQueued(line.scan.key)}>
                      Cancel this scan
                    </button>
                  )}
                </li>
              );
            }
            if (line.kind === 'refused') {
              return (
                <li key={line.scan.key} class="line refused" data-testid="line" data-state="refused">
                  <p class="line-title">
                    <span class="badge refused">Not recorded</span>
                    {visibleBarcode(line.scan.body.barcode ?? line.scan.body.manual?.gtin ?? '')}
                  </p>
                  <p class="problem">{line.problem.detail}</p>
                  <button type="button" class="secondary" onClick={() => props.onDismiss(line.scan.key)}>
                    Dismiss
                  </button>
                </li>
              );
            }
            const { item } = line;
            const voided = item.status === 'voided';
            const decision = item.decision;
            const pendingDecision = !voided && decision?.status === 'pending';
            const critical = line.warnings.some((w) => w.severity === 'critical') || pendingDecision;
            return (
              <li key={item.id} class={`line item${voided ? ' voided' : ''}${critical ? ' critical' : ''}`} data-testid="line" data-state={voided ? 'voided' : 'recorded'} data-item-id={item.id}>
                <p class="line-title">
                  {voided && <span class="badge voided">Voided</span>}
                  {decision && !voided && <span class={`badge decision ${decision.status}`}>{decision.status === 'pending' ? 'Pending decision' : decision.status === 'not-used' ? 'Not used' : 'Override'}</span>}
                  <span class="action">{item.action}</span> {productName(line)}
                </p>
                {decision && decision.status !== 'pending' && (
                  <p class={`decision-text ${decision.status}`} data-testid="decision">
                    {decisionText(decision)}
                  </p>
                )}
                <dl class="line-facts">
                  <Field label="GTIN" value={item.gtin ?? item.di} />
                  <Field label="Lot" value={item.lotNumber} />
                  <Field label="Serial" value={item.serialNumber} />
                  <Field label="Expiry" value={formatDate(item.expirationDate)} />
                  {item.entryType === 'manual' && <Field label="Entry" value="Typed in" />}
                  {item.awaiting && <Field label="Waiting for" value={item.awaiting === 'secondary-label' ? 'the lot/serial label' : 'the product label'} />}
                </dl>
                {line.warnings.length > 0 && (
                  <ul class="warnings">
                    {line.warnings.map((w) => (
                      <li key={w.code + w.message} class={`warn ${w.severity}`}>
                        <strong>
                          {SEVERITY_TEXT[w.severity]}: {w.code.replace(/_/g, ' ').toLowerCase()}.
                        </strong>{' '}
                        {w.message}
                      </li>
                    ))}
                  </ul>
                )}
                {pendingDecision &&
                  (props.decisionInBanner === item.id ? (
                    <p class="decision-text pending" data-testid="decision">
                      Pending decision: make it in the STOP banner above.
                    </p>
                  ) : (
                    <>
                      <p class="decision-text pending" data-testid="decision">
                        Pending decision: the case cannot be completed until it is made.
                      </p>
                      <DecisionControls
                        api={api}
                        itemId={item.id}
                        idPrefix={`decision-${item.id}`}
                        autoFocus={false}
                        itemLabel={`for ${productName(line)}${item.lotNumber ? `, lot ${item.lotNumber}` : ''}`}
                        onDecided={props.onDecided}
                        onNotRequired={(detail) => (setMessage({ text: detail, error: false }), void props.onChanged())}
                      />
                    </>
                  ))}
                {line.voidableScanId && scanning && voiding?.scanId !== line.voidableScanId && (
                  <button type="button" class="secondary" onClick={() => setVoiding({ scanId: line.voidableScanId ?? '', reason: VOID_REASONS[0] ?? 'Scanned in error', other: '', error: null })}>
                    Void<span class="visually-hidden"> {productName(line)}</span>
                  </button>
                )}
                {voiding && voiding.scanId === line.voidableScanId && (
                  <form
                    class="void-form"
                    onSubmit={(e) => {
                      e.preventDefault();
                      void submitVoid();
                    }}
                  >
                    <label for={`void-reason-${item.id}`}>Why void this line?</label>
                    <FocusedSelect id={`void-reason-${item.id}`} value={voiding.reason} onChange={(e) => setVoiding({ ...voiding, reason: e.currentTarget.value, error: null })}>
                      {VOID_REASONS.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                      <option value={OTHER}>Another reason (type it)</option>
                    </FocusedSelect>
                    {voiding.reason === OTHER && (
                      <>
                        <label for={`void-other-${item.id}`}>The reason, in words</label>
                        <ReasonInput
                          id={`void-other-${item.id}`}
                          focus={false}
                          value={voiding.other}
                          invalid={voiding.error !== null}
                          onValue={(v) => setVoiding({ ...voiding, other: v, error: voiding.error && reasonProblem(v) === null ? null : voiding.error })}
                        />
                        {voiding.error && (
                          <p id={`void-other-${item.id}-error`} class="error field-error">
                            {voiding.error}
                          </p>
                        )}
                      </>
                    )}
                    <button type="submit" disabled={busy}>
                      Void line
                    </button>
                    <button type="button" class="secondary" onClick={() => (setVoiding(null), focusScan())}>
                      Keep it
                    </button>
                  </form>
                )}
              </li>
            );
          })}
        </ol>
      </section>
      <CheckHistory api={api} procedureId={procedure.id} version={checksVersion} />
    </main>
  );
}
