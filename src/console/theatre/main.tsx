/**
 * The theatre page: sign in with a scanner key, open or resume a case, scan.
 * Scans go through the outbox (queue.ts): stored on the device with their
 * Idempotency-Key first, then sent, so a dropped network loses none and
 * doubles none.
 */
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { parseBarcode } from '../../barcode/index.js';
import { NetworkError } from '../shared/api.js';
import type { Me } from '../shared/session.js';
import { uuid } from '../shared/ids.js';
import { SignIn } from '../shared/SignIn.js';
import { TopBar } from '../shared/TopBar.js';
import { useSession } from '../shared/useSession.js';
import { alarm } from './alarm.js';
import { rememberCase } from './cases.js';
import { CaseView } from './CaseView.js';
import type { CheckedEntry } from './CheckBeforeOpening.js';
import { decisionText, DecisionControls } from './Decision.js';
import { linesOf, type Outcome } from './lines.js';
import { OpenCase } from './OpenCase.js';
import { deliveryOf, type KeyValueStore, type ManualEntry, type QueueState, ScanQueue, type ScanAction, type ScanBody } from './queue.js';
import { Settings, useSettings } from './Settings.js';
import type { CaseTeam, Item, Procedure, ScanResult, Warning } from './types.js';
import { barcodeFromWedge } from '../shared/wedge.js';

const CONSOLE = 'theatre';

function browserStore(storage: Storage): KeyValueStore {
  return {
    getItem: (k) => storage.getItem(k),
    setItem: (k, v) => storage.setItem(k, v),
    removeItem: (k) => storage.removeItem(k),
    keys: () => Array.from({ length: storage.length }, (_, i) => storage.key(i)).filter((k): k is string => k !== null),
  };
}

interface Alert {
  readonly key: string;
  readonly warnings: readonly Warning[];
  /** The item the scan recorded: its decision, when the warning asks for one, is made in the banner. */
  readonly item: Item;
  /** What the service said when the decision turned out not to be needed any more. */
  readonly note?: string;
}

/** The item as people read it on the banner: which one the STOP is about. */
function itemText(item: Item): string {
  const product = item.gtin ? `GTIN ${item.gtin}` : item.hibc ? `HIBC ${item.hibc.lic} ${item.hibc.pcn}` : (item.di ?? 'Unidentified product');
  return [product, item.lotNumber ? `lot ${item.lotNumber}` : null, item.serialNumber ? `serial ${item.serialNumber}` : null].filter(Boolean).join(', ');
}

function Theatre() {
  const signedIn = useSession(CONSOLE, 'scanner');
  const { api, session, restoring, start, end } = signedIn;
  const [settings, setSettings] = useSettings();
  const [procedure, setProcedure] = useState<Procedure | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  /** What the last decision recorded, said to screen readers (and seen) once the banner closes. */
  const [decided, setDecided] = useState<string | null>(null);
  const [queueState, setQueueState] = useState<QueueState>({ pending: [], sending: null, waiting: null, retryAt: null });
  const [online, setOnline] = useState(() => navigator.onLine);
  const scanRef = useRef<HTMLInputElement | null>(null);
  const procedureRef = useRef<Procedure | null>(null);
  procedureRef.current = procedure;
  /**
   * The person the service names for scans from this device: the person signed in (their session), or, with the
   * device key, the person whose session cookie goes with it. That cookie comes and goes (signed in or out in
   * another tab, ended): the page asks again when a case is opened and when the tab comes back to the front, and
   * each scan's answer says whom it was named to.
   */
  const [person, setPerson] = useState<string | null>(null);
  useEffect(() => setPerson(session?.me.person?.name ?? null), [session]);
  const askWhoIsHere = useCallback(async () => {
    if (!session?.key) return;
    try {
      const me = await api.request<Me>('/v1/me');
      if (me.ok) setPerson(me.data.person?.name ?? null);
    } catch {
      // Offline: the name stands until the next answer.
    }
  }, [api, session]);
  useEffect(() => {
    if (!session?.key) return;
    const again = () => {
      if (document.visibilityState === 'visible') void askWhoIsHere();
    };
    window.addEventListener('focus', again);
    document.addEventListener('visibilitychange', again);
    return () => {
      window.removeEventListener('focus', again);
      document.removeEventListener('visibilitychange', again);
    };
  }, [askWhoIsHere]);

  const refresh = useCallback(
    async (id: string) => {
      try {
        const answer = await api.request<Procedure>(`/v1/procedures/${id}`);
        if (answer.ok && procedureRef.current?.id === id) setProcedure(answer.data);
      } catch {
        // Offline: the lines from the scans' own answers stand until the next refresh.
      }
    },
    [api],
  );

  const queue = useMemo(() => {
    if (session === null) return null;
    const outbox: ScanQueue<ScanResult> = new ScanQueue<ScanResult>({
      store: browserStore(localStorage),
      organisation: session.me.organisation,
      deliver: async (scan) => {
        const answer = await api.request<ScanResult>(`/v1/procedures/${scan.procedureId}/scans`, { method: 'POST', body: scan.body, headers: { 'idempotency-key': scan.key } });
        return deliveryOf(answer.ok ? { ok: true, status: answer.status, data: answer.data, replayed: answer.headers.get('idempotency-replayed') === 'true' } : answer);
      },
      onDelivered: (scan, delivery) => {
        const outcome: Outcome = delivery.kind === 'recorded' ? { kind: 'recorded', scan, result: delivery.result } : { kind: 'refused', scan, problem: delivery.problem };
        setOutcomes((list) => [...list, outcome]);
        if (delivery.kind === 'recorded') {
          const attribution = delivery.result.scan.attribution;
          if (session.key && !delivery.replayed && attribution) setPerson(attribution.kind === 'person' ? (attribution.person?.name ?? null) : null);
          const critical = delivery.result.warnings.filter((w) => w.severity === 'critical');
          if (critical.length > 0) {
            setAlerts((list) => [...list, { key: scan.key, warnings: critical, item: delivery.result.item }]);
            alarm();
          }
          // The case is fetched again (for product names) once its last waiting scan is in, not once per scan of a backlog.
          const more = outbox.pending().some((s) => s.procedureId === scan.procedureId);
          if (!more && procedureRef.current?.id === scan.procedureId) void refresh(scan.procedureId);
        }
      },
      onChange: setQueueState,
    });
    return outbox;
  }, [session, api, refresh]);

  useEffect(() => {
    if (!queue) return;
    setQueueState(queue.state());
    void queue.flush();
    const back = () => (setOnline(true), queue.retryNow());
    const gone = () => setOnline(false);
    window.addEventListener('online', back);
    window.addEventListener('offline', gone);
    return () => {
      window.removeEventListener('online', back);
      window.removeEventListener('offline', gone);
      queue.stop();
    };
  }, [queue]);

  // The page's home field (the scan field in a case, the patient field before one) keeps the focus:
  // whenever the focus falls back to the page (a click on nothing, a closed form, a removed button)
  // it returns there, and printable keys typed outside a text field (a keyboard wedge firing while
  // a button has the focus) go there too.
  useEffect(() => {
    const home = () => document.querySelector<HTMLInputElement>('[data-home-field]');
    const onFocusOut = () =>
      setTimeout(() => {
        if (document.activeElement === document.body || document.activeElement === null) home()?.focus();
      }, 0);
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.ctrlKey || e.altKey || e.metaKey || e.key.length !== 1) return;
      if (target && (target.closest('input, textarea, select, [contenteditable]') || (e.key === ' ' && target.closest('button, summary')))) return;
      home()?.focus();
    };
    document.addEventListener('focusout', onFocusOut);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('focusout', onFocusOut);
      document.removeEventListener('keydown', onKey, true);
    };
  }, []);
  useEffect(() => {
    if (document.activeElement === document.body) document.querySelector<HTMLInputElement>('[data-home-field]')?.focus();
  });

  const open = (p: Procedure) => {
    rememberCase(session?.me.organisation ?? null, { id: p.id, location: p.location?.name ?? p.location?.gln ?? null, startedAt: p.startedAt });
    setNotice(null);
    setProcedure(p);
    void askWhoIsHere();
  };

  const resume = async (id: string) => {
    try {
      const answer = await api.request<Procedure>(`/v1/procedures/${id}`);
      if (answer.ok) open(answer.data);
      else setNotice(answer.problem.detail);
    } catch (e) {
      setNotice(e instanceof NetworkError ? 'The service cannot be reached: a case can be resumed once it can.' : 'The case could not be opened.');
    }
  };

  /** What every scan and typed item sends besides the item itself. */
  const common = (action: ScanAction, lateReason: string | null) => ({
    action,
    scannedAt: new Date().toISOString(),
    scannerId: settings.scannerId,
    ...(lateReason !== null ? { lateEntry: { reason: lateReason } } : {}),
  });

  const takeScan = (typed: string, action: ScanAction, lateReason: string | null): 'taken' | 'empty' => {
    if (!queue || !procedure || !session) return 'empty';
    const barcode = barcodeFromWedge(typed.trim(), settings.substitute);
    if (barcode === '') return 'empty';
    setDecided(null);
    const key = uuid();
    const body: ScanBody = { barcode, ...common(action, lateReason) };
    // The same parser as the service's: an unreadable scan is refused at once, on line or off, and nothing is queued.
    const parsed = parseBarcode(barcode);
    if (parsed.error) {
      const scan = { key, procedureId: procedure.id, organisation: session.me.organisation, body, seq: Date.now() * 1000 };
      setOutcomes((list) => [...list, { kind: 'refused', scan, problem: { status: 422, code: 'BARCODE_INVALID', title: 'Unreadable barcode', detail: `Not recorded: ${parsed.error?.message ?? 'unreadable'}. Scan it again, or type it in.` } }]);
      return 'taken';
    }
    queue.add({ key, procedureId: procedure.id, body });
    return 'taken';
  };

  /** An item typed in (checked on the form against the service's own rules): into the outbox like a scan. */
  const takeManual = (manual: ManualEntry, action: ScanAction, lateReason: string | null) => {
    if (!queue || !procedure) return;
    setDecided(null);
    queue.add({ key: uuid(), procedureId: procedure.id, body: { manual, ...common(action, lateReason) } });
  };

  /** A box checked before opening, then opened: recorded as implanted exactly as it was checked (the label, or the typed entry), with a new Idempotency-Key. */
  const recordChecked = (entry: CheckedEntry) => {
    if (!queue || !procedure) return;
    setDecided(null);
    queue.add({ key: uuid(), procedureId: procedure.id, body: { ...entry, ...common('implanted', null) } });
  };

  const signOut = () => {
    end();
    setProcedure(null);
    setOutcomes([]);
    setAlerts([]);
  };

  if (session === null) {
    if (restoring) return <p role="status">Signing in…</p>;
    return (
      <SignIn
        api={api}
        role="scanner"
        title="Theatre scanning"
        hint="Scan or type the theatre scanner key. It is kept in this tab only, until the tab is closed."
        onSignedIn={start}
        state={signedIn}
      />
    );
  }

  const alert = alerts[0];
  const acknowledge = () => (setAlerts((list) => list.slice(1)), scanRef.current?.focus());
  /** The item as the page knows it now: the case's copy (fresher) or the scan's answer. */
  const itemNow = (item: Item): Item => procedure?.items.find((i) => i.id === item.id) ?? item;
  // A decision asked for and not yet made: the banner offers it and cannot be dismissed (Escape, Acknowledge) until it is made.
  const alertDecision = alert !== undefined && alert.item.decision?.status === 'pending' && itemNow(alert.item).decision?.status === 'pending' && itemNow(alert.item).status === 'active';

  /** A decision recorded (in the banner or on a line): shown at once, the case fetched again, and any banner about the item closed. */
  const applyDecision = (item: Item) => {
    const merge = <T extends Item>(old: T): T => (old.id === item.id ? { ...old, ...item } : old);
    setProcedure((p) => (p ? { ...p, items: p.items.map(merge) } : p));
    setOutcomes((list) => list.map((o) => (o.kind === 'recorded' && o.result.item.id === item.id ? { ...o, result: { ...o.result, item: merge(o.result.item) } } : o)));
    setAlerts((list) => list.filter((a) => a.item.id !== item.id));
    setDecided(`Recorded for ${itemText(item)}: ${item.decision ? decisionText(item.decision) : 'no decision needed'}.`);
    if (procedureRef.current?.id === item.procedureId) void refresh(item.procedureId);
    setTimeout(() => scanRef.current?.focus(), 0);
  };
  /** The service says the item needs no decision any more (decided on another device, or voided): the banner becomes an acknowledgement. */
  const notRequired = (item: Item, detail: string) => {
    setAlerts((list) => list.map((a) => (a.item.id === item.id ? { ...a, item: { ...a.item, decision: null }, note: detail } : a)));
    setTimeout(() => document.querySelector<HTMLButtonElement>('#alert-decision > button')?.focus(), 0);
    if (procedureRef.current?.id === item.procedureId) void refresh(item.procedureId);
  };
  const focusDecision = () => document.querySelector<HTMLButtonElement>('#alert-decision .decision button')?.focus();
  const waiting = queueState.pending.length;

  return (
    <>
      <TopBar title="Theatre" session={session} onSignOut={signOut} />
      <div class={`connection ${waiting > 0 || !online ? 'offline' : 'online'}`} role="status" aria-live="polite">
        {queueState.waiting === 'sign-in'
          ? `${waiting} ${waiting === 1 ? 'scan is' : 'scans are'} waiting: the service refused this key. Sign out and in again.`
          : waiting > 0
            ? `${!online || queueState.waiting === 'offline' ? 'Offline' : queueState.waiting === 'unavailable' ? 'Service unavailable' : 'Sending'}: ${waiting} ${waiting === 1 ? 'scan' : 'scans'} kept on this device, sent when the service can be reached.`
            : online
              ? 'Online: every scan is on record.'
              : 'Offline: scans are kept on this device and sent when the network returns.'}
        {waiting > 0 && queueState.waiting !== null && queueState.waiting !== 'sign-in' && (
          <button type="button" class="secondary" onClick={() => queue?.retryNow()}>
            Retry now
          </button>
        )}
      </div>
      {alert && (
        <section class="alert critical" role="alert" aria-labelledby="alert-heading" id="alert-decision">
          <h2 id="alert-heading">STOP: do not implant</h2>
          <p class="alert-item">{itemText(alert.item)}</p>
          <ul>
            {alert.warnings.map((w) => (
              <li key={w.code}>
                <strong>{w.code.replace(/_/g, ' ')}</strong>: {w.message}
              </li>
            ))}
          </ul>
          {alert.note && <p class="alert-note">{alert.note}</p>}
          {alertDecision ? (
            <DecisionControls
              key={alert.key}
              api={api}
              itemId={alert.item.id}
              idPrefix="alert-decision"
              autoFocus
              onDecided={applyDecision}
              onNotRequired={(detail) => notRequired(alert.item, detail)}
            />
          ) : (
            <button type="button" onClick={acknowledge}>
              Acknowledge{alerts.length > 1 ? ` (${alerts.length - 1} more)` : ''}
            </button>
          )}
          {alertDecision && alerts.length > 1 && <p class="alert-more">{alerts.length - 1} more after this one.</p>}
        </section>
      )}
      <div class="message-region decided" role="status" aria-live="polite">
        {decided && !alert && <p class="notice">{decided}</p>}
      </div>
      {procedure === null ? (
        <OpenCase api={api} organisation={session.me.organisation} substitute={settings.substitute} notice={notice} onOpened={open} onResume={(id) => void resume(id)} />
      ) : (
        <CaseView
          api={api}
          procedure={procedure}
          queue={queueState}
          lines={linesOf({ procedureId: procedure.id, pending: queueState.pending, sending: queueState.sending, outcomes, items: procedure.items, today: new Date() })}
          scanRef={scanRef}
          onScan={takeScan}
          onManual={takeManual}
          onRecordChecked={recordChecked}
          substitute={settings.substitute}
          alerting={alert !== undefined}
          onCancelQueued={(key) => queue?.cancel(key)}
          onDismiss={(key) => setOutcomes((list) => list.filter((o) => o.scan.key !== key))}
          onEscape={() => alert && (alertDecision ? focusDecision() : acknowledge())}
          decisionInBanner={alert && alertDecision ? alert.item.id : null}
          onDecided={applyDecision}
          onChanged={() => refresh(procedure.id)}
          person={person}
          onTeam={(team: CaseTeam) => setProcedure((p) => (p && p.id === procedure.id ? { ...p, team } : p))}
          onCompleted={(p) => {
            setProcedure(null);
            setNotice(`Case completed with ${p.items.filter((i) => i.status === 'active').length} items on record.`);
          }}
          onLeave={() => setProcedure(null)}
        />
      )}
      <Settings settings={settings} onChange={setSettings} />
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<Theatre />, root);
