import type { Clock } from '../shared/clock.js';

export interface AuthThrottleOptions {
  /** Failed authentications a client may make within `windowMs`; the one that reaches it starts a block. */
  readonly maxFailures: number;
  /** The sliding window the failures are counted in, and how long a block lasts. */
  readonly windowMs: number;
  /** Clients tracked at most; beyond it the least recently failing one is forgotten. */
  readonly maxClients: number;
  readonly clock: Clock;
}

interface ClientState {
  /** Times (ms) of the client's recent failures, oldest first; never more than maxFailures. */
  failures: number[];
  /** While now < blockedUntil, the client's requests are refused before any key lookup. */
  blockedUntil: number;
}

export type ThrottleCheck = { readonly throttled: false } | { readonly throttled: true; readonly retryAfterSeconds: number };

/**
 * Failed-authentication throttle: a small in-memory sliding window per client
 * address. A client that fails to authenticate `maxFailures` times within
 * `windowMs` is refused for `windowMs` from then on, without its keys being
 * looked up, so guessing keys cannot keep the database busy. Successes do not
 * reset the count (a valid low-privilege key must not launder guesses at an
 * admin key). Memory is bounded: at most `maxClients` entries, each holding at
 * most `maxFailures` timestamps; the least recently failing client is evicted.
 * Per process: with several instances each counts on its own.
 */
export class AuthThrottle {
  readonly #clients = new Map<string, ClientState>();

  constructor(private readonly options: AuthThrottleOptions) {}

  /** Whether this client is refused right now, and for how long. */
  check(client: string): ThrottleCheck {
    const state = this.#clients.get(client);
    if (!state) return { throttled: false };
    const now = this.options.clock.now().getTime();
    if (state.blockedUntil > now) return { throttled: true, retryAfterSeconds: Math.max(1, Math.ceil((state.blockedUntil - now) / 1000)) };
    return { throttled: false };
  }

  /**
   * Counts a failed authentication. Answers true when this failure starts a
   * block (the moment to log it: once per block, not per refused request).
   */
  recordFailure(client: string): boolean {
    const now = this.options.clock.now().getTime();
    const state = this.#clients.get(client) ?? { failures: [], blockedUntil: 0 };
    // Re-inserted so that the map's order is least recently failing first.
    this.#clients.delete(client);
    this.#clients.set(client, state);
    const since = now - this.options.windowMs;
    state.failures = state.failures.filter((at) => at > since);
    state.failures.push(now);
    let blocked = false;
    if (state.failures.length >= this.options.maxFailures) {
      state.blockedUntil = now + this.options.windowMs;
      state.failures = [];
      blocked = true;
    }
    while (this.#clients.size > this.options.maxClients) {
      const oldest = this.#clients.keys().next();
      if (oldest.done === true) break;
      this.#clients.delete(oldest.value);
    }
    return blocked;
  }

  /** Clients tracked now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Failures of a client still counted (for tests and diagnostics). */
  failuresOf(client: string): number {
    return this.#clients.get(client)?.failures.length ?? 0;
  }
}
