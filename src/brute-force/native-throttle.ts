// The worker's own throttle, per host and in memory: failures counted per client address, per (user,
// address) pair and, only when asked for, per user from every address. A per-user lockout is off by
// default because it lets anyone lock the owner out; the pair throttles guessing at one account from one
// place, the address throttles spraying many accounts from one place. Past a limit the key is blocked
// for FIRST seconds, and each failure after a block ended blocks it again for twice as long, up to MAX,
// so a patient guesser slows down while a user who mistyped a few times waits seconds. A key with no
// failure for `window` seconds and no block running is forgotten, and every map is bounded so a flood of
// addresses cannot grow the worker without limit.
import { createHash } from "node:crypto";
import { addressKey, inAnyCidr, type Cidr } from "./cidr.js";
import { NOT_LOCKED, type CheckOutcome, type ClientInfo, type LockoutDecision, type LockoutPolicy } from "./types.js";

export interface ThrottleSettings {
  /** Failures per address (IPv4 /32, IPv6 /64) before it is blocked. */
  readonly addressLimit: number;
  /** Failures per (user, address) before that pair is blocked. */
  readonly pairLimit: number;
  /** Failures per user from all addresses before the user is blocked; 0 turns this key off. */
  readonly userLimit: number;
  /** The first block, in seconds. */
  readonly backoffFirstSeconds: number;
  /** The longest block, in seconds. */
  readonly backoffMaxSeconds: number;
  /** Seconds without a failure after which a key (not blocked) is forgotten. */
  readonly windowSeconds: number;
  /** Networks never counted nor blocked (trusted proxies' own checks, monitoring). */
  readonly exempt: readonly Cidr[];
}

export const DEFAULT_THROTTLE_SETTINGS: ThrottleSettings = Object.freeze({
  addressLimit: 100,
  pairLimit: 10,
  userLimit: 0,
  backoffFirstSeconds: 10,
  backoffMaxSeconds: 900,
  windowSeconds: 900,
  exempt: Object.freeze([]) as readonly Cidr[],
});

export type ThrottleKeyKind = "address" | "pair" | "user";

/** A key that has just become blocked: what the worker logs (never a password). */
export interface BlockEvent {
  readonly kind: ThrottleKeyKind;
  /** The client address whose failure blocked the key. */
  readonly ip: string;
  readonly user: string;
  /** When the block ends (epoch ms). */
  readonly until: number;
  readonly seconds: number;
}

export interface NativeThrottleOptions {
  /** Most entries kept per key kind; past it the least recently failed entry is dropped. */
  readonly maxEntries?: number;
  /** Milliseconds since the epoch; tests inject their own clock. */
  readonly now?: () => number;
  /** Called when a key becomes blocked. */
  readonly onBlock?: (event: BlockEvent) => void;
}

export const DEFAULT_MAX_ENTRIES = 100_000;

interface Entry {
  failures: number;
  lastFailure: number;
  /** Epoch ms when the running (or last) block ends; 0 when never blocked. */
  blockedUntil: number;
  /** Length of the last block in seconds; 0 when never blocked. */
  lastBlockSeconds: number;
}

/**
 * One key kind's entries, in order of last failure (a Map keeps insertion order; a failure moves its
 * entry to the end), so the front is always the entry to forget or evict first.
 */
class EntryMap {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #windowMs: number;

  constructor(max: number, windowMs: number) {
    this.#max = max;
    this.#windowMs = windowMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Characters of all keys (tests: the keys stay short whatever names come). */
  get keyChars(): number {
    let total = 0;
    for (const key of this.#entries.keys()) total += key.length;
    return total;
  }

  #expired(entry: Entry, now: number): boolean {
    return now - entry.lastFailure >= this.#windowMs && now >= entry.blockedUntil;
  }

  /** The live entry of `key`, forgetting it when it has expired. */
  get(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && this.#expired(entry, now)) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The entry of `key` moved to the end (most recently failed), made when there is none. */
  touch(key: string, now: number): Entry {
    const entry = this.get(key, now) ?? { failures: 0, lastFailure: now, blockedUntil: 0, lastBlockSeconds: 0 };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#sweep(now);
    return entry;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets expired entries at the front, then evicts the oldest while over the bound. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size > this.#max || this.#expired(entry, now)) this.#entries.delete(key);
      else break;
    }
  }
}

/** User names longer than this are kept as their SHA-256. */
const MAX_USER_KEY_CHARS = 128;

/**
 * The user's part of a key: the name itself (marked `=`), or for a long one its SHA-256 (marked `#`), so
 * the maps' memory stays bounded by their entry count whatever names a flood sends (a Basic user name
 * can be several kilobytes).
 */
function userKey(user: string): string {
  return user.length <= MAX_USER_KEY_CHARS ? `=${user}` : `#${createHash("sha256").update(user, "utf8").digest("hex")}`;
}

/** Whole seconds until `until`, at least 1 (Retry-After). */
function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

export class NativeThrottle implements LockoutPolicy {
  readonly name = "native";
  readonly settings: ThrottleSettings;
  readonly #now: () => number;
  readonly #onBlock: (event: BlockEvent) => void;
  readonly #addresses: EntryMap;
  readonly #pairs: EntryMap;
  readonly #users: EntryMap;
  /** Counters for the admin status: checks refused, failures recorded, blocks begun. */
  readonly counters = { refused: 0, failures: 0, blocks: 0 };

  constructor(settings: ThrottleSettings = DEFAULT_THROTTLE_SETTINGS, options: NativeThrottleOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const windowMs = settings.windowSeconds * 1000;
    this.settings = settings;
    this.#now = options.now ?? Date.now;
    this.#onBlock = options.onBlock ?? (() => {});
    this.#addresses = new EntryMap(max, windowMs);
    this.#pairs = new EntryMap(max, windowMs);
    this.#users = new EntryMap(max, windowMs);
  }

  /** Entries held per key kind (tests, diagnostics). */
  get sizes(): { readonly address: number; readonly pair: number; readonly user: number } {
    return { address: this.#addresses.size, pair: this.#pairs.size, user: this.#users.size };
  }

  /** Characters of all keys held, every map together (tests, diagnostics). */
  get keyChars(): number {
    return this.#addresses.keyChars + this.#pairs.keyChars + this.#users.keyChars;
  }

  /** The keys of one check: each kind with its map, its key and its limit (user only when on). */
  #keys(ip: string, user: string): Array<{ kind: ThrottleKeyKind; map: EntryMap; key: string; limit: number }> {
    const address = addressKey(ip);
    const name = userKey(user);
    const keys: Array<{ kind: ThrottleKeyKind; map: EntryMap; key: string; limit: number }> = [
      { kind: "address", map: this.#addresses, key: address, limit: this.settings.addressLimit },
      // NUL cannot occur in an address key, so no (user, address) pair can pose as another.
      { kind: "pair", map: this.#pairs, key: `${address}\u0000${name}`, limit: this.settings.pairLimit },
    ];
    if (this.settings.userLimit > 0) keys.push({ kind: "user", map: this.#users, key: name, limit: this.settings.userLimit });
    return keys;
  }

  check(client: ClientInfo, user: string): LockoutDecision {
    if (inAnyCidr(client.ip, this.settings.exempt)) return NOT_LOCKED;
    const now = this.#now();
    const reasons: string[] = [];
    let until = 0;
    for (const { kind, map, key } of this.#keys(client.ip, user)) {
      const entry = map.get(key, now);
      if (entry !== undefined && entry.blockedUntil > now) {
        reasons.push(kind);
        until = Math.max(until, entry.blockedUntil);
      }
    }
    if (reasons.length === 0) return NOT_LOCKED;
    this.counters.refused++;
    // The address rule refuses every user from the address; the pair and user rules only this name.
    const scope = reasons.includes("address") ? "address" : "user";
    return { locked: true, retryAfterSeconds: secondsUntil(until, now), reason: reasons.join(","), scope };
  }

  record(client: ClientInfo, user: string, outcome: CheckOutcome): void {
    if (inAnyCidr(client.ip, this.settings.exempt)) return;
    const now = this.#now();
    const keys = this.#keys(client.ip, user);
    if (outcome === "granted") {
      // The pair only: a right password says nothing about the other accounts tried from the address.
      const pair = keys.find((k) => k.kind === "pair");
      pair?.map.delete(pair.key);
      return;
    }
    this.counters.failures++;
    for (const { kind, map, key, limit } of keys) {
      const entry = map.touch(key, now);
      entry.failures++;
      entry.lastFailure = now;
      // A failure counted while a block runs (a check that passed just before it began) does not extend it.
      if (entry.blockedUntil > now) continue;
      let seconds = 0;
      if (entry.lastBlockSeconds > 0) seconds = Math.min(entry.lastBlockSeconds * 2, this.settings.backoffMaxSeconds);
      else if (entry.failures >= limit) seconds = this.settings.backoffFirstSeconds;
      if (seconds === 0) continue;
      entry.lastBlockSeconds = seconds;
      entry.blockedUntil = now + seconds * 1000;
      this.counters.blocks++;
      this.#onBlock({ kind, ip: client.ip, user, until: entry.blockedUntil, seconds });
    }
  }
}
