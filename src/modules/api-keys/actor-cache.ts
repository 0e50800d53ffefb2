import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';

/**
 * Recently authenticated keys, so that a theatre scanner sending scans in
 * quick succession is not looked up in the database for each one. Only
 * successes are kept (an unknown key is looked up every time, behind the
 * failure throttle), for `ttlMs` at most; a key revoked through this instance
 * is forgotten at once, one revoked through another instance within `ttlMs`.
 * Entries are keyed by the key's SHA-256, never by the key.
 */
export class ActorCache {
  private readonly entries = new Map<string, { readonly actor: Actor; readonly expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
  ) {}

  get(keyHash: Buffer): Actor | undefined {
    if (this.ttlMs <= 0) return undefined;
    const id = keyHash.toString('base64');
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.actor;
  }

  set(keyHash: Buffer, actor: Actor): void {
    if (this.ttlMs <= 0) return;
    const id = keyHash.toString('base64');
    this.entries.delete(id);
    // Oldest first out: Map keeps insertion order.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(id, { actor, expiresAt: this.clock.now().getTime() + this.ttlMs });
  }

  /** Forgets a key (it was just revoked). */
  forget(keyId: string): void {
    for (const [id, entry] of this.entries) if (entry.actor.keyId === keyId) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
