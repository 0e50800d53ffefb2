/**
 * The theatre page's outbox. A scan is written to the device's storage with
 * its Idempotency-Key *before* it is sent, and leaves it only on a definitive
 * answer from the service: recorded (201, or the replay of an earlier 201) or
 * refused (a 4xx that no retry can change). A dropped connection, a 5xx, a 429
 * or a key that needs signing in again leaves it where it is, to be sent again
 * with the same key, so the service records it once however often it is sent.
 *
 * Each scan is its own storage entry: two tabs of the page never overwrite
 * each other's scans, and if both send the same one, its key makes that one.
 * Scans go out in the order they were taken (split labels pair in order), and
 * a scan that must wait holds back the ones behind it.
 */
import type { Problem } from '../shared/problem.js';

export type ScanAction = 'implanted' | 'explanted' | 'wasted' | 'returned';

export interface ManualEntry {
  readonly gtin: string;
  readonly lotNumber?: string;
  readonly serialNumber?: string;
  readonly expirationDate?: string;
}

export interface ScanBody {
  readonly barcode?: string;
  readonly manual?: ManualEntry;
  readonly action: ScanAction;
  /** When it was scanned: a scan sent late still says when it happened. */
  readonly scannedAt: string;
  readonly scannerId?: string;
  readonly lateEntry?: { readonly reason: string };
}

export interface QueuedScan {
  /** The Idempotency-Key, made when the scan was taken. */
  readonly key: string;
  readonly procedureId: string;
  /** The organisation whose key may send it (a scan is never sent with another organisation's key). */
  readonly organisation: string | null;
  readonly body: ScanBody;
  /** Order of taking: milliseconds since the epoch, then a counter within the millisecond. */
  readonly seq: number;
}

/** What the service's answer means for a queued scan. */
export type Delivery<R> =
  | { readonly kind: 'recorded'; readonly result: R; readonly replayed: boolean }
  | { readonly kind: 'refused'; readonly problem: Problem }
  | { readonly kind: 'wait'; readonly reason: 'offline' | 'unavailable' | 'sign-in' };

/** HTTP statuses after which the same request may well succeed: not an answer about the scan. */
const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Maps one HTTP answer to what the queue does with the scan. */
export function deliveryOf<R>(answer: { ok: true; status: number; data: R; replayed: boolean } | { ok: false; status: number; problem: Problem }): Delivery<R> {
  if (answer.ok) return { kind: 'recorded', result: answer.data, replayed: answer.replayed };
  if (answer.status === 401 || answer.status === 403) return { kind: 'wait', reason: 'sign-in' };
  if (TRANSIENT.has(answer.status) || answer.status >= 500) return { kind: 'wait', reason: 'unavailable' };
  return { kind: 'refused', problem: answer.problem };
}

/** The part of localStorage the queue needs (an in-memory one in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  keys(): string[];
}

export interface QueueState {
  readonly pending: readonly QueuedScan[];
  /** The key of the scan on its way now. */
  readonly sending: string | null;
  /** Why the head of the queue is waiting, if it is. */
  readonly waiting: 'offline' | 'unavailable' | 'sign-in' | null;
  /** When the next attempt is due (ms since the epoch), while waiting on a timer. */
  readonly retryAt: number | null;
}

export interface QueueOptions<R> {
  readonly store: KeyValueStore;
  /** Sends one scan; throws only when the service could not be reached. */
  readonly deliver: (scan: QueuedScan) => Promise<Delivery<R>>;
  readonly onDelivered: (scan: QueuedScan, delivery: Exclude<Delivery<R>, { kind: 'wait' }>) => void;
  readonly onChange: (state: QueueState) => void;
  /** Which organisation's scans this queue may send now (the signed-in key's). */
  readonly organisation: string | null;
  readonly now?: () => number;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

const PREFIX = 'implant-trace.outbox.';
const MAX_BACKOFF_MS = 30_000;

export class ScanQueue<R> {
  private sending: string | null = null;
  private waiting: QueueState['waiting'] = null;
  private retryAt: number | null = null;
  private timer: unknown = null;
  private failures = 0;
  private lastSeq = 0;
  private stopped = false;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(private readonly options: QueueOptions<R>) {
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  }

  /** Every scan waiting in this device's storage that this queue may send, oldest first. */
  pending(): QueuedScan[] {
    const scans: QueuedScan[] = [];
    for (const name of this.options.store.keys()) {
      if (!name.startsWith(PREFIX)) continue;
      const scan = this.read(name);
      if (scan && scan.organisation === this.options.organisation) scans.push(scan);
    }
    return scans.sort((a, b) => a.seq - b.seq || (a.key < b.key ? -1 : 1));
  }

  state(): QueueState {
    return { pending: this.pending(), sending: this.sending, waiting: this.waiting, retryAt: this.retryAt };
  }

  /** Stores the scan (before anything is sent) and starts sending. */
  add(scan: Omit<QueuedScan, 'seq' | 'organisation'>): QueuedScan {
    const seq = Math.max(this.now() * 1000, this.lastSeq + 1);
    this.lastSeq = seq;
    const queued: QueuedScan = { ...scan, organisation: this.options.organisation, seq };
    this.options.store.setItem(PREFIX + queued.key, JSON.stringify(queued));
    this.changed();
    void this.flush();
    return queued;
  }

  /** Takes a scan out before it is sent (a scan on its way cannot be taken back: void it once recorded). */
  cancel(key: string): boolean {
    if (this.sending === key || this.read(PREFIX + key) === null) return false;
    this.options.store.removeItem(PREFIX + key);
    this.changed();
    return true;
  }

  /** Try now: the network is back, the user signed in again, or asked. */
  retryNow(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.retryAt = null;
    this.failures = 0;
    void this.flush();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  /** Sends the queue in order until it is empty or must wait. One flush at a time. */
  async flush(): Promise<void> {
    if (this.sending !== null || this.stopped) return;
    for (;;) {
      const head = this.pending()[0];
      if (!head || this.stopped) break;
      this.sending = head.key;
      this.changed();
      let delivery: Delivery<R>;
      try {
        delivery = await this.options.deliver(head);
      } catch {
        delivery = { kind: 'wait', reason: 'offline' };
      }
      this.sending = null;
      if (delivery.kind === 'wait') {
        this.wait(delivery.reason);
        return;
      }
      this.failures = 0;
      this.waiting = null;
      this.retryAt = null;
      this.options.store.removeItem(PREFIX + head.key);
      this.options.onDelivered(head, delivery);
    }
    this.changed();
  }

  private wait(reason: 'offline' | 'unavailable' | 'sign-in'): void {
    this.waiting = reason;
    if (reason === 'sign-in') {
      // Nothing to gain by retrying with a key the service refused: signing in again calls retryNow.
      this.retryAt = null;
    } else {
      this.failures += 1;
      const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1));
      const delay = Math.round(base * (0.8 + 0.4 * Math.random()));
      this.retryAt = this.now() + delay;
      this.timer = this.setTimer(() => {
        this.timer = null;
        this.retryAt = null;
        void this.flush();
      }, delay);
    }
    this.changed();
  }

  private read(name: string): QueuedScan | null {
    const text = this.options.store.getItem(name);
    if (text === null) return null;
    try {
      const scan = JSON.parse(text) as QueuedScan;
      return typeof scan.key === 'string' && typeof scan.procedureId === 'string' && typeof scan.seq === 'number' ? scan : null;
    } catch {
      return null;
    }
  }

  private changed(): void {
    this.options.onChange(this.state());
  }
}
