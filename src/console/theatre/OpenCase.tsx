import { useRef, useState } from 'preact/hooks';
import { NetworkError, type Api } from '../shared/api.js';
import { useFocusOnMount } from '../shared/focus.js';
import { formatDateTime } from '../shared/format.js';
import { uuid } from '../shared/ids.js';
import type { Problem } from '../shared/problem.js';
import { digitsOnly, locationOf } from '../shared/fields.js';
import { patientOf } from './fields.js';
import { forgetCase, recentCases, type RecentCase } from './cases.js';
import type { Procedure } from './types.js';
import { WedgeInput } from '../shared/WedgeInput.js';

interface Props {
  readonly api: Api;
  readonly organisation: string | null;
  readonly substitute: string;
  readonly notice: string | null;
  readonly onOpened: (procedure: Procedure) => void;
  readonly onResume: (id: string) => void;
}

/** Which field a refusal is about, from its code or its validation paths. */
function fieldOf(problem: Problem): 'patient' | 'location' | null {
  if (['PATIENT_NOT_FOUND', 'PATIENT_MISMATCH'].includes(problem.code)) return 'patient';
  const paths = (problem.errors ?? []).map((e) => e.pointer);
  if (paths.some((p) => p.startsWith('/patient'))) return 'patient';
  if (paths.some((p) => p.startsWith('/location'))) return 'location';
  if (problem.code === 'BARCODE_INVALID') return /location|414|GLN/i.test(problem.detail) ? 'location' : 'patient';
  return null;
}

/** The NHS number printed on a wristband the service does not know yet: it takes the focus when it appears. */
function WristbandNhsInput({ value, onValue }: { value: string; onValue: (v: string) => void }) {
  const ref = useFocusOnMount<HTMLInputElement>();
  return <input id="wristband-nhs" ref={ref} inputMode="numeric" autocomplete="off" value={value} onInput={(e) => onValue(e.currentTarget.value)} aria-describedby="open-error" />;
}

/** Start a case: scan the wristband (or type the NHS number), scan the theatre's wall label. Or resume one. */
export function OpenCase({ api, organisation, substitute, notice, onOpened, onResume }: Props) {
  const [patient, setPatient] = useState('');
  const [location, setLocation] = useState('');
  const [side, setSide] = useState('');
  /** A wristband the service does not know yet: its NHS number links them. */
  const [wristbandNhs, setWristbandNhs] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; field: 'patient' | 'location' | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const [recent, setRecent] = useState<RecentCase[]>(() => recentCases(organisation));
  const patientRef = useRef<HTMLInputElement>(null);
  const locationRef = useRef<HTMLInputElement>(null);
  /** The request being made, and its Idempotency-Key, kept for a retry of the same request. */
  const attempt = useRef<{ body: string; key: string } | null>(null);

  const submit = async () => {
    if (patient.trim() === '') {
      setError({ message: 'Scan the patient’s wristband or type the NHS number.', field: 'patient' });
      patientRef.current?.focus();
      return;
    }
    if (location.trim() === '') {
      setError({ message: 'Scan the theatre’s location label or type its GLN.', field: 'location' });
      locationRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const who = patientOf(patient, substitute);
      const linked = wristbandNhs !== null && 'barcode' in who ? { ...who, nhsNumber: digitsOnly(wristbandNhs) } : who;
      const body = { patient: linked, location: locationOf(location, substitute), ...(side ? { side } : {}) };
      // One Idempotency-Key per case to open: pressing Open again after a lost answer opens no second case.
      const json = JSON.stringify(body);
      if (attempt.current?.body !== json) attempt.current = { body: json, key: uuid() };
      const answer = await api.request<Procedure>('/v1/procedures', { method: 'POST', body, headers: { 'idempotency-key': attempt.current.key } });
      if (answer.ok) {
        attempt.current = null;
        onOpened(answer.data);
        return;
      }
      if (answer.problem.code === 'PATIENT_NOT_FOUND' && 'barcode' in who && wristbandNhs === null) {
        setWristbandNhs('');
        setError({ message: 'This wristband is not known yet. Type the NHS number printed on it: the two are linked from now on.', field: 'patient' });
        return;
      }
      const field = fieldOf(answer.problem);
      const detail = answer.problem.errors?.map((e) => e.message).join('; ') || answer.problem.detail;
      setError({ message: detail, field });
      (field === 'location' ? locationRef : patientRef).current?.focus();
    } catch (e) {
      setError({ message: e instanceof NetworkError ? 'The service cannot be reached: a case can only be opened online. Check the network.' : 'The case could not be opened.', field: null });
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="panel open-case">
      <h1>Open a case</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        novalidate
      >
        <label for="patient">Patient: scan the wristband, or type the NHS number</label>
        <WedgeInput
          id="patient"
          inputRef={patientRef}
          value={patient}
          onValue={(v) => (setPatient(v), setWristbandNhs(null))}
          autoFocus
          home
          invalid={error?.field === 'patient'}
          describedBy={error?.field === 'patient' ? 'open-error' : undefined}
          // A wedge ends the wristband with Enter: go on to the location label.
          onEnter={() => (location.trim() === '' ? locationRef.current?.focus() : void submit())}
        />
        {wristbandNhs !== null && (
          <>
            <label for="wristband-nhs">NHS number on the wristband</label>
            <WristbandNhsInput value={wristbandNhs} onValue={setWristbandNhs} />
          </>
        )}
        <label for="location">Location: scan the theatre’s wall label, or type its GLN</label>
        <WedgeInput
          id="location"
          inputRef={locationRef}
          value={location}
          onValue={setLocation}
          invalid={error?.field === 'location'}
          describedBy={error?.field === 'location' ? 'open-error' : undefined}
          onEnter={() => void submit()}
        />
        <label for="side">Side (optional)</label>
        <select id="side" value={side} onChange={(e) => setSide(e.currentTarget.value)}>
          <option value="">Not given</option>
          <option value="left">Left</option>
          <option value="right">Right</option>
          <option value="bilateral">Bilateral</option>
          <option value="not-applicable">Not applicable</option>
        </select>
        {error && (
          <p id="open-error" class="error" role="alert">
            {error.message}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Opening…' : 'Open case'}
        </button>
      </form>

      {recent.length > 0 && (
        <section aria-labelledby="recent-heading">
          <h2 id="recent-heading">Cases on this device today</h2>
          <ul class="recent">
            {recent.map((c) => (
              <li key={c.id}>
                <span>
                  {c.location ?? 'Unknown location'}, started {formatDateTime(c.startedAt)}
                </span>
                <button type="button" onClick={() => onResume(c.id)}>
                  Resume<span class="visually-hidden"> case at {c.location ?? 'unknown location'} started {formatDateTime(c.startedAt)}</span>
                </button>
                <button
                  type="button"
                  class="secondary"
                  onClick={() => {
                    forgetCase(organisation, c.id);
                    setRecent(recentCases(organisation));
                  }}
                >
                  Remove from list<span class="visually-hidden"> (the case stays on record)</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
