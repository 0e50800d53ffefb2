/**
 * The check before opening (POST /v1/procedures/{id}/check): the team scans a
 * box before it is opened and reads, at arm's length, what a scan of it as
 * implanted would say for this case (expired, recalled, already implanted
 * elsewhere, the wrong side, size or taper). Nothing is recorded about the
 * patient. Then the team puts the box aside (nothing to send) or opens it and
 * records it, which goes through the outbox as an ordinary scan, so a critical
 * warning then asks for the decision it always does.
 *
 * A check needs the service's answer: it is never queued, and never sent as a scan.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { formatDate, formatDateTime } from '../shared/format.js';
import type { ManualEntry } from './queue.js';
import type { CheckResult, Finding, PreUseCheck } from './types.js';

/** What was checked, sent again unchanged when the box is opened and recorded. */
export type CheckedEntry = { readonly barcode: string } | { readonly manual: ManualEntry };

const NOT_CHECKED = 'COMPATIBILITY_NOT_CHECKED';

/** The verdict in words: "OK TO OPEN" only when nothing at all was found; information alone is "not fully checked", never "compatible". */
export function verdictOf(outcome: PreUseCheck['outcome']): { readonly title: string; readonly lead: string } {
  switch (outcome) {
    case 'critical':
      return { title: 'DO NOT OPEN', lead: 'This box is wrong for this patient or must not be used.' };
    case 'warning':
      return { title: 'CHECK BEFORE OPENING', lead: 'Read each point below and be sure before the box is opened.' };
    case 'info':
      return { title: 'No problem found — not fully checked', lead: 'Some checks could not be made. Read why below before opening.' };
    case 'none':
      return { title: 'OK TO OPEN', lead: 'Nothing was found against this box for this case.' };
  }
}

const codeWords = (code: string) => code.replace(/_/g, ' ').toLowerCase();

/** How each finding starts, in words as well as colour: STOP, Check, Note (what could not be checked says so). */
function findingTitle(f: Finding): string {
  if (f.code === NOT_CHECKED) return 'Compatibility not checked';
  return `${f.severity === 'critical' ? 'STOP' : f.severity === 'warning' ? 'Check' : 'Note'}: ${codeWords(f.code)}`;
}

/** The product as the check read it: GTIN 0…, HIBC LIC PCN, or the identifier as it came. */
function productOf(device: CheckResult['device']): { readonly label: string; readonly value: string } {
  if (device.gtin) return { label: 'GTIN', value: device.gtin };
  if (device.hibc) return { label: 'HIBC', value: `${device.hibc.lic} ${device.hibc.pcn}` };
  return { label: 'Product', value: device.di ?? '—' };
}

const keptProduct = (c: PreUseCheck) => (c.di === null ? 'no product identifier' : c.issuingAgency === 'GS1' ? `GTIN ${c.di}` : c.di);

function Fact({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value ?? '—'}</dd>
    </div>
  );
}

interface ResultProps {
  readonly result: CheckResult;
  /** Scans of this case still on the device: the service did not check against them. */
  readonly notYetSent: number;
  readonly onPutAside: () => void;
  readonly onRecord: () => void;
}

/**
 * The finding of one check, large: the verdict, each finding's message, the
 * product. The first choice takes the focus: put aside when anything was
 * found, record when nothing was. Escape puts the box aside.
 */
export function CheckResultView({ result, notYetSent, onPutAside, onRecord }: ResultProps) {
  const { check, device } = result;
  const outcome = check.outcome;
  const verdict = verdictOf(outcome);
  const product = productOf(device);
  const clean = outcome === 'none' || outcome === 'info';
  const first = useRef<HTMLButtonElement>(null);
  const section = useRef<HTMLElement>(null);
  // The first choice takes the focus (as the STOP banner's does), and the verdict, not the button, is what the page scrolls to:
  // the top of the finding comes into view, so DO NOT OPEN is on the screen, with the choices under it.
  useLayoutEffect(() => {
    first.current?.focus({ preventScroll: true });
    section.current?.scrollIntoView({ block: 'start' });
  }, []);
  const putAside = (
    <button type="button" ref={clean ? undefined : first} class={clean ? 'check-aside secondary' : 'check-aside'} onClick={onPutAside}>
      Put aside — do not open
    </button>
  );
  const record = (
    <button type="button" ref={clean ? first : undefined} class={clean ? 'check-record' : 'check-record override'} onClick={onRecord}>
      {clean ? 'Record as implanted' : 'Open it and record as implanted'}
    </button>
  );
  return (
    <section
      ref={section}
      class={`check-result ${outcome}`}
      role={outcome === 'critical' ? 'alert' : 'status'}
      aria-labelledby="check-verdict"
      data-testid="check-result"
      data-outcome={outcome}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onPutAside();
        }
      }}
    >
      <p class="check-only">
        Check only: nothing was recorded. Checked {formatDateTime(check.checkedAt)}.
      </p>
      <h2 id="check-verdict" class="check-verdict">
        {verdict.title}
      </h2>
      <p class="check-lead">{verdict.lead}</p>
      {result.warnings.length > 0 && (
        <ul class="check-findings">
          {result.warnings.map((f) => (
            <li key={f.code + f.message} class={`finding ${f.severity}`}>
              <strong>{findingTitle(f)}.</strong>{' '}
              {f.message}
            </li>
          ))}
        </ul>
      )}
      {result.wouldNeedDecision && <p class="check-next">If it is opened and recorded, the team must then decide: put it aside, or implant it anyway with a reason.</p>}
      {notYetSent > 0 && (
        <p class="check-next">
          {notYetSent === 1 ? '1 scan of this case is' : `${notYetSent} scans of this case are`} still on this device: the check could not take {notYetSent === 1 ? 'it' : 'them'} into account.
        </p>
      )}
      <dl class="check-device" aria-label="The box checked">
        <Fact label={product.label} value={product.value} />
        <Fact label="Lot" value={device.lotNumber} />
        <Fact label="Serial" value={device.serialNumber} />
        <Fact label="Expiry" value={formatDate(device.expirationDate)} />
        {device.entryType === 'manual' && <Fact label="Entry" value="Typed in" />}
      </dl>
      <div class="check-choices" role="group" aria-labelledby="check-verdict">
        {clean ? (
          <>
            {record}
            {putAside}
          </>
        ) : (
          <>
            {putAside}
            {record}
          </>
        )}
      </div>
    </section>
  );
}

/** The checks made in this case, newest first (GET /v1/procedures/{id}/checks), fetched again after each new one. */
export function CheckHistory({ api, procedureId, version }: { api: Api; procedureId: string; version: number }) {
  const [checks, setChecks] = useState<readonly PreUseCheck[] | null>(null);
  useEffect(() => {
    let current = true;
    void (async () => {
      try {
        const answer = await api.request<{ checks: PreUseCheck[] }>(`/v1/procedures/${procedureId}/checks`);
        if (current && answer.ok) setChecks([...answer.data.checks].reverse());
      } catch {
        // Offline: the list as last fetched stands.
      }
    })();
    return () => {
      current = false;
    };
  }, [api, procedureId, version]);
  if (checks === null || checks.length === 0) return null;
  return (
    <section aria-labelledby="checks-heading" class="check-history">
      <h2 id="checks-heading">
        Checks before opening in this case <span class="count">({checks.length}, newest first; none of them recorded an item)</span>
      </h2>
      <ol class="checks-list">
        {checks.map((c) => (
          <li key={c.id} class={`checked ${c.outcome}`} data-testid="check">
            <p class="line-title">
              <span class={`badge check-outcome ${c.outcome}`}>{verdictOf(c.outcome).title}</span>
              {formatDateTime(c.checkedAt)}: {keptProduct(c)}
              {c.lotNumber ? `, lot ${c.lotNumber}` : ''}
              {c.serialNumber ? `, serial ${c.serialNumber}` : ''}
              {c.entryType === 'manual' ? ' (typed in)' : ''}
            </p>
            {c.findings.length > 0 && (
              <ul class="check-codes">
                {c.findings.map((f) => (
                  <li key={f.code + f.message}>{findingTitle(f)}</li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
