/**
 * The decision a critical warning on an implant asks for (POST /v1/items/{id}/decision):
 * put aside (not used, and what becomes of it) or implant anyway (an override,
 * with the reason in words). Keyboard first: the first choice takes the focus
 * when asked to, each step's field takes it when it opens, Escape steps back
 * to the two choices (never dismisses), and each error sits by its field.
 * The same controls serve the STOP banner and a pending line of the case.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { NetworkError, type Api } from '../shared/api.js';
import { issueAt, REASON_MAX, reasonProblem } from '../shared/reason.js';
import type { Disposition, Item, ItemDecision } from './types.js';

export const DISPOSITIONS: ReadonlyArray<{ readonly value: Disposition; readonly label: string; readonly hint: string }> = [
  { value: 'returned-to-stock', label: 'Returned to stock', hint: 'unopened, back on the shelf' },
  { value: 'wasted', label: 'Wasted', hint: 'opened or damaged, disposed of' },
  { value: 'quarantined', label: 'Quarantined', hint: 'kept apart for the manufacturer or a recall' },
];

export const dispositionLabel = (d: Disposition | null): string => DISPOSITIONS.find((x) => x.value === d)?.label ?? 'no disposition given';

/** The decision as a line shows it, in words. */
export function decisionText(d: ItemDecision): string {
  if (d.status === 'pending') return 'Pending decision';
  if (d.status === 'not-used') return `Not used: ${dispositionLabel(d.disposition).toLowerCase()}`;
  return `Implanted despite warning: ${d.reason ?? ''}`;
}

interface Props {
  readonly api: Api;
  readonly itemId: string;
  /** Makes the controls' ids unique on the page (the banner's and a line's). */
  readonly idPrefix: string;
  /** The first choice takes the focus when the controls appear (the banner). */
  readonly autoFocus: boolean;
  /** Said to screen readers after each button's name, when several items are on the page ("for Liner, lot L1"). */
  readonly itemLabel?: string;
  readonly onDecided: (item: Item) => void;
  /** The service says the item needs no decision (decided elsewhere, or voided). */
  readonly onNotRequired: (detail: string) => void;
}

type Mode = 'choose' | 'not-used' | 'implanted';

interface Errors {
  readonly reason?: string;
  readonly disposition?: string;
  readonly general?: string;
}

export function DecisionControls(props: Props) {
  const { api, itemId, idPrefix } = props;
  const [mode, setMode] = useState<Mode>('choose');
  const [disposition, setDisposition] = useState<Disposition | null>(null);
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  /** Back from a step: the first choice takes the focus again. */
  const [returned, setReturned] = useState(false);
  const reasonRef = useRef<HTMLInputElement>(null);
  const radiosRef = useRef<HTMLFieldSetElement>(null);
  const id = (part: string) => `${idPrefix}-${part}`;
  const forItem = props.itemLabel ? <span class="visually-hidden"> {props.itemLabel}</span> : null;

  const open = (next: Mode) => {
    setErrors({});
    setMode(next);
  };
  const back = () => {
    setErrors({});
    setReturned(true);
    setMode('choose');
  };
  const focusField = (which: 'reason' | 'disposition') =>
    setTimeout(() => (which === 'reason' ? reasonRef.current : radiosRef.current?.querySelector<HTMLInputElement>('input:checked, input'))?.focus(), 0);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    let body: Record<string, string>;
    if (mode === 'not-used') {
      if (disposition === null) {
        setErrors({ disposition: 'Choose what becomes of the item.' });
        focusField('disposition');
        return;
      }
      body = { outcome: 'not-used', disposition };
    } else {
      const problem = reasonProblem(reason);
      if (problem) {
        setErrors({ reason: problem });
        focusField('reason');
        return;
      }
      body = { outcome: 'implanted', reason: reason.trim() };
    }
    setBusy(true);
    setErrors({});
    try {
      const answer = await api.request<Item>(`/v1/items/${itemId}/decision`, { method: 'POST', body });
      if (answer.ok) {
        props.onDecided(answer.data);
        return;
      }
      const p = answer.problem;
      if (p.code === 'DECISION_NOT_REQUIRED') {
        props.onNotRequired(p.detail);
        return;
      }
      const next: Errors = { reason: issueAt(p, '/reason') ?? undefined, disposition: issueAt(p, '/disposition') ?? undefined };
      const placed = (mode === 'implanted' && next.reason) || (mode === 'not-used' && next.disposition);
      setErrors(placed ? next : { ...next, general: p.detail });
      if (mode === 'implanted' && next.reason) focusField('reason');
      else if (mode === 'not-used' && next.disposition) focusField('disposition');
    } catch (error) {
      setErrors({
        general:
          error instanceof NetworkError
            ? 'Offline: the decision is recorded only when the service can be reached. Keep the item aside and try again then.'
            : 'The decision could not be recorded. Try again.',
      });
    } finally {
      setBusy(false);
    }
  };

  const general = errors.general && (
    <p id={id('error')} class="error" role="alert">
      {errors.general}
    </p>
  );

  if (mode === 'choose') {
    return (
      <div class="decision" data-decision-for={itemId}>
        <p class="decision-ask" id={id('ask')}>
          Decide before going on: was it put aside, or is it implanted anyway?
        </p>
        <div class="decision-choices" role="group" aria-labelledby={id('ask')}>
          <FirstChoice focus={props.autoFocus || returned} onClick={() => open('not-used')}>
            Put aside (not used){forItem}
          </FirstChoice>
          <button type="button" class="override" onClick={() => open('implanted')}>
            Implant anyway{forItem}
          </button>
        </div>
        {general}
      </div>
    );
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      back();
    }
  };

  if (mode === 'not-used') {
    return (
      <form class="decision" data-decision-for={itemId} noValidate onSubmit={(e) => void submit(e)} onKeyDown={onKeyDown}>
        <fieldset
          ref={radiosRef}
          class={`dispositions${errors.disposition ? ' invalid' : ''}`}
          aria-describedby={errors.disposition ? id('disposition-error') : undefined}
        >
          <legend>Put aside: what becomes of it?{forItem}</legend>
          {DISPOSITIONS.map((d, i) => (
            <label key={d.value} class={disposition === d.value ? 'chosen' : ''}>
              <DispositionRadio
                name={id('disposition')}
                value={d.value}
                checked={disposition === d.value}
                focus={i === 0}
                onChoose={() => (setDisposition(d.value), setErrors((x) => ({ ...x, disposition: undefined })))}
              />
              <span>
                {d.label} <span class="hint small">{d.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {errors.disposition && (
          <p id={id('disposition-error')} class="error field-error">
            {errors.disposition}
          </p>
        )}
        {general}
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Recording…' : 'Record: not used'}
          </button>
          <button type="button" class="secondary" onClick={back}>
            Back
          </button>
        </div>
      </form>
    );
  }

  const described = [id('reason-hint'), errors.reason ? id('reason-error') : ''].filter(Boolean).join(' ');
  return (
    <form class="decision" data-decision-for={itemId} noValidate onSubmit={(e) => void submit(e)} onKeyDown={onKeyDown}>
      <label for={id('reason')}>Why is it implanted despite the warning?{forItem}</label>
      <span id={id('reason-hint')} class="hint small">
        Kept on the record with the override, and shown on any recall. In words: at least 3 letters or digits.
      </span>
      <ReasonInput
        id={id('reason')}
        inputRef={reasonRef}
        value={reason}
        invalid={Boolean(errors.reason)}
        describedBy={described}
        onValue={(v) => {
          setReason(v);
          if (errors.reason && reasonProblem(v) === null) setErrors((x) => ({ ...x, reason: undefined }));
        }}
      />
      {errors.reason && (
        <p id={id('reason-error')} class="error field-error">
          {errors.reason}
        </p>
      )}
      {general}
      <div class="form-actions">
        <button type="submit" class="override" disabled={busy}>
          {busy ? 'Recording…' : 'Record: implanted anyway'}
        </button>
        <button type="button" class="secondary" onClick={back}>
          Back
        </button>
      </div>
    </form>
  );
}

function FirstChoice(props: { focus: boolean; onClick: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (props.focus) ref.current?.focus();
  }, []);
  return (
    <button type="button" ref={ref} class="put-aside" onClick={props.onClick}>
      {props.children}
    </button>
  );
}

function DispositionRadio(props: { name: string; value: Disposition; checked: boolean; focus: boolean; onChoose: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    if (props.focus) ref.current?.focus();
  }, []);
  return <input type="radio" ref={ref} name={props.name} value={props.value} checked={props.checked} onChange={props.onChoose} />;
}

function ReasonInput(props: { id: string; inputRef: { current: HTMLInputElement | null }; value: string; invalid: boolean; describedBy: string; onValue: (v: string) => void }) {
  // Takes the focus when the step opens.
  useLayoutEffect(() => props.inputRef.current?.focus(), []);
  return (
    <input
      id={props.id}
      ref={props.inputRef}
      maxLength={REASON_MAX}
      autocomplete="off"
      value={props.value}
      aria-invalid={props.invalid ? true : undefined}
      aria-describedby={props.describedBy}
      onInput={(e) => props.onValue(e.currentTarget.value)}
    />
  );
}
