// Bounds how many password hashes run at once (each one a full PBKDF2/argon2/bcrypt run, on libuv's thread
// pool) and shares the slots fairly between client addresses. Waiting hashes queue per address and are
// served round-robin, one per address in turn. One address alone runs one hash per CPU; while others have
// work it runs at most its even share of them, and one more slot is open only to an address with nothing
// running. So an address flooding wrong passwords waits behind its own flood, while another address's
// first login starts at once, next to the flood, and shares the CPUs with fewer of the flood's hashes
// (which, at the hashing threads' low priority on a busy machine, is what decides how long it takes). An address
// that already has `perAddress` hashes waiting is refused at once (HashQueueFullError, answered HTTP 429)
// instead of holding an httpd thread until its deadline. Checks answered from the verified-credential
// cache never get here, so logged-in users are not slowed by a flood.
import { availableParallelism } from "node:os";
import { HashQueueFullError } from "../errors.js";
import { addressKey } from "./cidr.js";
import { NOT_LOCKED, type ClientInfo, type LockoutDecision, type LockoutPolicy } from "./types.js";

/**
 * What the Django handler hashes through. `client` is the request's client address (CLIENT_IP), or
 * null/absent when the request carried none.
 */
export interface HashLimiter {
  run<T>(task: () => Promise<T>, signal?: AbortSignal, client?: string | null): Promise<T>;
}

export interface FairHashQueueOptions {
  /** Hashes run at once; default one per CPU. */
  readonly parallelism?: number;
  /** Hashes one address may have waiting; one more is refused. */
  readonly perAddress?: number;
}

export const DEFAULT_HASH_QUEUE = 8;

/**
 * Requests without a client address (a module older than protocol 4, tests, the bench's direct clients)
 * share this key. It has no bound: such a request cannot be told apart from its neighbours, and refusing
 * it would answer an older module something it cannot read.
 */
const NO_CLIENT = "";

type Grant = () => void;

/**
 * Also a lockout policy the worker asks before the handler: an address whose queue is full is refused
 * before the handler reads the user from the database, so a flood's refusals cost no query (a flood
 * that ignores Retry-After asks again as fast as it is refused, and those lookups would hold up everyone's). The price: a
 * client sharing the flooder's address is refused too while the queue is full, even one the
 * verified-credential cache would have answered. A check that passes here can still meet a full queue
 * when its hash is queued (HashQueueFullError).
 */
export class FairHashQueue implements HashLimiter, LockoutPolicy {
  readonly name = "queue";
  /** Hashes one address runs at once (one per CPU by default). */
  readonly parallelism: number;
  readonly perAddress: number;
  #running = 0;
  /** Running hashes per address key. */
  readonly #runningBy = new Map<string, number>();
  /** Running and waiting hashes per address key: its size is the number of addresses with work. */
  readonly #load = new Map<string, number>();
  #queued = 0;
  /** Waiting grants per address key, in round-robin order: the first key is served next. */
  readonly #waiting = new Map<string, Grant[]>();

  constructor(options: FairHashQueueOptions = {}) {
    const parallelism = options.parallelism ?? availableParallelism();
    const perAddress = options.perAddress ?? DEFAULT_HASH_QUEUE;
    if (!Number.isSafeInteger(parallelism) || parallelism < 1) throw new RangeError(`FairHashQueue: parallelism must be a positive integer, got ${parallelism}`);
    if (!Number.isSafeInteger(perAddress) || perAddress < 1) throw new RangeError(`FairHashQueue: perAddress must be a positive integer, got ${perAddress}`);
    this.parallelism = parallelism;
    this.perAddress = perAddress;
  }

  /** Hashes running now. */
  get running(): number {
    return this.#running;
  }

  /** Hashes waiting, all addresses together. */
  get queued(): number {
    return this.#queued;
  }

  /** Hashes waiting for the address `client` (its /64 for IPv6). */
  queuedFor(client: string | null): number {
    return this.#waiting.get(client === null ? NO_CLIENT : addressKey(client))?.length ?? 0;
  }

  check(client: ClientInfo): LockoutDecision {
    if (this.queuedFor(client.ip) < this.perAddress) return NOT_LOCKED;
    // The address's queue is full whatever the user: every check from it is refused for now.
    return { locked: true, retryAfterSeconds: 1, reason: "queue", scope: "address" };
  }

  /** Nothing to count: the queue holds only what waits now. */
  record(): void {}

  /**
   * Runs `task` when a slot is free and it is its address's turn. Rejects at once with HashQueueFullError
   * when the address already has `perAddress` hashes waiting. If `signal` aborts while the task waits, it
   * never runs and the promise rejects with the signal's reason; a running task is not interrupted.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal, client?: string | null): Promise<T> {
    signal?.throwIfAborted();
    const key = client === undefined || client === null ? NO_CLIENT : addressKey(client);
    // At once only when none of the address's own hashes wait (they keep their order) and a slot is free for it.
    if (!this.#waiting.has(key) && this.#canStart(key)) {
      this.#start(key);
      this.#addLoad(key, 1);
    } else await this.#wait(key, signal);
    try {
      return await task();
    } finally {
      this.#finish(key);
    }
  }

  #addLoad(key: string, delta: number): void {
    const left = (this.#load.get(key) ?? 0) + delta;
    if (left > 0) this.#load.set(key, left);
    else this.#load.delete(key);
  }

  /**
   * Whether a hash of `key` may start now: its address under its share of the CPUs (all of them when it is
   * the only address with work, an even part of them when others have work too, at least one), and a slot
   * free, counting the extra slot only for an address with nothing running. A slot an address may not
   * take over its share stays free: its hash would only slow down the others'.
   */
  #canStart(key: string): boolean {
    const mine = this.#runningBy.get(key) ?? 0;
    const addresses = this.#load.size + (this.#load.has(key) ? 0 : 1);
    if (mine >= Math.max(1, Math.floor(this.parallelism / addresses))) return false;
    return this.#running < this.parallelism || (this.#running === this.parallelism && mine === 0);
  }

  #start(key: string): void {
    this.#running++;
    this.#runningBy.set(key, (this.#runningBy.get(key) ?? 0) + 1);
  }

  #finish(key: string): void {
    this.#running--;
    this.#addLoad(key, -1);
    const left = (this.#runningBy.get(key) ?? 1) - 1;
    if (left > 0) this.#runningBy.set(key, left);
    else this.#runningBy.delete(key);
    this.#pump();
  }

  #wait(key: string, signal: AbortSignal | undefined): Promise<void> {
    const queue = this.#waiting.get(key);
    if (key !== NO_CLIENT && queue !== undefined && queue.length >= this.perAddress) {
      return Promise.reject(new HashQueueFullError(this.perAddress));
    }
    return new Promise<void>((resolve, reject) => {
      const grant: Grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#remove(key, grant);
        reject(signal?.reason);
      };
      if (queue === undefined) this.#waiting.set(key, [grant]);
      else queue.push(grant);
      this.#queued++;
      this.#addLoad(key, 1);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #remove(key: string, grant: Grant): void {
    const queue = this.#waiting.get(key);
    const index = queue?.indexOf(grant) ?? -1;
    if (queue === undefined || index < 0) return;
    queue.splice(index, 1);
    this.#queued--;
    this.#addLoad(key, -1);
    if (queue.length === 0) this.#waiting.delete(key);
  }

  /**
   * Fills free slots from the waiting addresses in round-robin order: the first address (in turn) that may
   * start (see #canStart) gets one hash started, then goes to the back of the round.
   */
  #pump(): void {
    for (;;) {
      let next: [string, Grant[]] | undefined;
      for (const entry of this.#waiting) {
        if (this.#canStart(entry[0])) {
          next = entry;
          break;
        }
      }
      if (next === undefined) return;
      const [key, queue] = next;
      const grant = queue.shift() as Grant;
      this.#queued--;
      this.#waiting.delete(key);
      if (queue.length > 0) this.#waiting.set(key, queue);
      this.#start(key);
      grant();
    }
  }
}
