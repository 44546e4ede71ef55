// Remembers which (stored encoded hash, password) pairs have verified, so a repeated Basic-auth request
// costs one HMAC instead of a full PBKDF2/argon2/bcrypt run, with zero staleness: the key includes the
// stored hash read from the database on this very request, so a password change or hash upgrade misses.
// Only successful verifications are remembered; a wrong password always runs the hasher.
// The password itself is never stored: an entry is the HMAC-SHA256 of (stored hash, password) under a
// random 32-byte key drawn once per cache, in the worker's memory, so an entry seen without that key tells
// nothing. Whoever can read the worker's memory has the key too: each entry is then an offline oracle that
// tests candidate passwords for its stored hash at HMAC speed instead of the hasher's. Bounding the entries
// (count and bytes) limits how many users that exposes. What keeps that memory from httpd's User is the
// worker's own protection, not this cache: it makes itself non-dumpable at start (no ptrace, no
// /proc/<pid>/mem for its uid), and a separate NodeAuthWorkerUser puts a uid boundary around it as well.
import { createHmac, randomBytes } from "node:crypto";

export interface VerifiedCredentialCacheOptions {
  /** Most entries kept (least recently used evicted first). Default 10,000. */
  readonly maxEntries?: number;
  /** Most bytes the entries may take, counted as key length plus a fixed per-entry overhead. Default 4 MiB. */
  readonly maxBytes?: number;
}

/** What one Map entry costs beyond its key string, a deliberate over-estimate of V8's Map slot + boxed value. */
const ENTRY_OVERHEAD_BYTES = 96;

export class VerifiedCredentialCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #hmacKey = randomBytes(32);
  /** Insertion order is recency order: a hit is deleted and re-inserted at the end. */
  readonly #entries = new Map<string, { mustUpdate: boolean }>();
  #bytes = 0;
  /** Lookups that found an earlier verification, and those that did not (for the admin status). */
  hits = 0;
  misses = 0;

  constructor(options: VerifiedCredentialCacheOptions = {}) {
    this.maxEntries = positiveInteger(options.maxEntries ?? 10_000, "maxEntries");
    this.maxBytes = positiveInteger(options.maxBytes ?? 4 * 1024 * 1024, "maxBytes");
  }

  /** Number of pairs remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes counted against maxBytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The earlier verification of this pair (its mustUpdate), or undefined when it has not verified before. */
  lookup(encoded: string, password: Buffer): { mustUpdate: boolean } | undefined {
    const key = this.#key(encoded, password);
    const hit = this.#entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  /** Records a successful verification. Never call it for a failed one. */
  remember(encoded: string, password: Buffer, mustUpdate: boolean): void {
    const key = this.#key(encoded, password);
    if (this.#entries.delete(key)) this.#bytes -= entryBytes(key);
    this.#entries.set(key, { mustUpdate });
    this.#bytes += entryBytes(key);
    this.#evict();
  }

  /** Forgets every pair (keys are one-way, so forgetting one user's pairs is not possible). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #key(encoded: string, password: Buffer): string {
    // Length-prefix the encoded hash (its UTF-8 byte count in decimal, then ':') so that no
    // (encoded, password) pair can collide with another split. Written straight into the HMAC, with no
    // intermediate buffers: this runs on every cached check.
    return createHmac("sha256", this.#hmacKey)
      .update(`${Buffer.byteLength(encoded, "utf8")}:`, "latin1")
      .update(encoded, "utf8")
      .update(password)
      .digest("base64");
  }

  #evict(): void {
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
      this.#bytes -= entryBytes(oldest.value);
    }
  }
}

function entryBytes(key: string): number {
  return key.length + ENTRY_OVERHEAD_BYTES;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`VerifiedCredentialCache: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
