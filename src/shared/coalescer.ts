/**
 * Group commit for requests: work submitted while earlier batches are running
 * waits, and goes together as the next batch. Idle, a request runs at once in a
 * batch of one (no added latency); under load, batches grow by themselves to
 * what arrived during the previous one, so many requests share one durable
 * commit. Each request is answered only when its batch has settled.
 */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export interface CoalescerOptions {
  /** Most requests in one batch. */
  readonly maxBatch: number;
  /** Batches running at once (each holds one database connection). */
  readonly maxInFlight: number;
}

interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

export class Coalescer<T, R> {
  private readonly queue: Array<Waiting<T, R>> = [];
  private inFlight = 0;
  private idle: Array<() => void> = [];

  /** `run` answers one result per item, in order; if it throws, every item of the batch gets that error. */
  constructor(
    private readonly run: (items: readonly T[]) => Promise<ReadonlyArray<Settled<R>>>,
    private readonly options: CoalescerOptions,
  ) {
    if (!(options.maxBatch >= 1 && options.maxInFlight >= 1)) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Requests waiting and running; for metrics and tests. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Resolves once nothing is waiting or running. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.run(batch.map((w) => w.item))
        .then(
          (results) =>
            batch.forEach((w, k) => {
              const result = results[k];
              if (result === undefined) w.reject(new Error(`batch answered ${results.length} results for ${batch.length} items`));
              else if (result.ok) w.resolve(result.value);
              else w.reject(result.error);
            }),
          (error: unknown) => batch.forEach((w) => w.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }
}
