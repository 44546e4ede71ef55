// Optional short-lived cache of user rows (spec key row_cache_seconds, off by default), for sites whose
// database is the bottleneck. It trades freshness for load: a password change, deactivation or deletion
// takes effect up to `ttlMs` later (the handler drops the entry itself after a hash upgrade). Bounded: the
// oldest entries go first once `maxEntries` is reached. It holds what the database holds (encoded
// hashes), never a password; those hashes are as sensitive in the worker's memory as in the database,
// which is why the worker makes itself non-dumpable and is best run as a user of its own.

export class RowCache<V> {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly #now: () => number;
  /** Insertion order is age order, so eviction takes the first keys. */
  readonly #entries = new Map<string, { value: V; expires: number }>();
  /** Lookups answered from the cache, and those that were not (for the admin status). */
  hits = 0;
  misses = 0;

  constructor(ttlMs: number, maxEntries = 10_000, now: () => number = Date.now) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value, or undefined when absent or expired. */
  get(key: string): { value: V } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    if (entry.expires <= this.#now()) {
      this.#entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { value: entry.value };
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.#now() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
