// The generation table a verdict cache would be stamped against (not used for answers yet: see
// docs/change-feed.md). Each user and each session has a generation that moves when the feed reports a
// change to it, and a global epoch moves when anything may have changed unseen: an "all" event, a group's
// or a permission's change (which reaches users this table cannot name), the feed lost, or the table full.
// A stamp (epoch, generation) taken when an answer was given still holds only while both are unchanged.
// Generations come from one counter, so a user's generation never returns to an old value, even after the
// table forgot the user; the first epoch is random, so a restarted worker never repeats its predecessor's.
import { randomInt } from "node:crypto";
import type { ChangeEvent } from "./events.js";

export interface Stamp {
  readonly epoch: number;
  readonly generation: number;
}

/** Users and sessions tracked before the table starts over (a new epoch, nothing tracked). */
export const DEFAULT_MAX_ENTRIES = 100_000;

export class GenerationTable {
  #epoch: number;
  #counter = 0;
  #healthy = false;
  readonly #users = new Map<string, number>();
  readonly #sessions = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(options: { firstEpoch?: number; maxEntries?: number } = {}) {
    this.#epoch = options.firstEpoch ?? randomInt(1, 2 ** 47);
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Whether stamps may be trusted at all: the feed is connected and has delivered its first "all". */
  get healthy(): boolean {
    return this.#healthy;
  }

  userStamp(userId: string): Stamp {
    return { epoch: this.#epoch, generation: this.#users.get(userId) ?? 0 };
  }

  sessionStamp(sessionKeyHash: string): Stamp {
    return { epoch: this.#epoch, generation: this.#sessions.get(sessionKeyHash) ?? 0 };
  }

  /** Whether a stamp taken earlier for this user (or session) still holds. */
  userCurrent(userId: string, stamp: Stamp): boolean {
    return this.#healthy && stamp.epoch === this.#epoch && stamp.generation === (this.#users.get(userId) ?? 0);
  }

  sessionCurrent(sessionKeyHash: string, stamp: Stamp): boolean {
    return this.#healthy && stamp.epoch === this.#epoch && stamp.generation === (this.#sessions.get(sessionKeyHash) ?? 0);
  }

  apply(event: ChangeEvent): void {
    switch (event.kind) {
      case "user":
        this.#bump(this.#users, event.key);
        return;
      case "session":
        this.#bump(this.#sessions, event.key);
        return;
      case "all":
        // The feed's first event after a (re)connect: from here on it misses nothing.
        this.#newEpoch();
        this.#healthy = true;
        return;
      default:
        this.#newEpoch();
    }
  }

  /** The feed is lost: nothing holds until it is back (its "all" makes the table healthy again). */
  lost(): void {
    this.#healthy = false;
    this.#newEpoch();
  }

  #bump(table: Map<string, number>, key: string): void {
    if (!table.has(key) && this.#users.size + this.#sessions.size >= this.#maxEntries) {
      this.#newEpoch();
      return;
    }
    table.set(key, ++this.#counter);
  }

  /** Every stamp given so far stops holding; what was tracked is forgotten with it. */
  #newEpoch(): void {
    this.#epoch++;
    this.#users.clear();
    this.#sessions.clear();
  }
}
