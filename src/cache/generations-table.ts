// The generations table the worker publishes for httpd's children (native/anp_generations.h): a file that
// the worker maps read-write and the children read-only, through which a child can tell, without a trip to
// the worker, whether an answer it kept is still current. The worker moves a slot's generation when a
// change feed reports a change to a user (or session) hashed onto it, moves the epoch when it cannot
// account for what changed, and renews a lease while its feed is known to be delivering.
//
// Slots are chosen by a keyed hash (SipHash under a key drawn per table), so which users share a slot is
// not something a client can arrange; sharing only costs extra trips. Layout, atomics and the children's
// rule are the C code's (native/anp_generations.c), reached through the addon, so they are written once.
import { randomBytes } from "node:crypto";
import type { Addon, GenerationsHandle } from "../native/addon.js";

/** What a kept answer is stamped with: the epoch, the slot and its generation when the worker answered. */
export interface GenerationStamp {
  readonly epoch: bigint;
  readonly slot: number;
  readonly generation: bigint;
}

export class GenerationsTable {
  readonly slots: number;
  readonly #addon: Addon;
  readonly #table: GenerationsHandle;
  readonly #slotKey: Buffer;
  readonly #writable: boolean;

  private constructor(addon: Addon, table: GenerationsHandle, writable: boolean) {
    this.#addon = addon;
    this.#table = table;
    this.#writable = writable;
    this.slots = addon.generationsInfo(table).slots;
    this.#slotKey = randomBytes(16);
  }

  /**
   * The table open on `fd`. Writable (the worker): formatted when new, else a new epoch begins, since
   * nothing this process did not see may be taken as current; the lease starts run out.
   */
  static open(addon: Addon, fd: number, writable: boolean): GenerationsTable {
    const table = new GenerationsTable(addon, addon.generationsMap(fd, writable), writable);
    if (writable) {
      addon.generationsSetLease(table.#table, 0n);
      addon.generationsBumpEpoch(table.#table);
    }
    return table;
  }

  get epoch(): bigint {
    return this.#addon.generationsInfo(this.#table).epoch;
  }

  get lease(): bigint {
    return this.#addon.generationsInfo(this.#table).lease;
  }

  /** The slot that `key` (a user's primary key as text, or a session key) is hashed onto. */
  slotOf(key: string): number {
    const tag = this.#addon.siphash128(this.#slotKey, [Buffer.from(key, "utf8")]);
    return tag.readUInt32LE(0) & (this.slots - 1);
  }

  generation(slot: number): bigint {
    return this.#addon.generationsSlot(this.#table, slot);
  }

  /** The stamp for an answer about to be given: read before the database is, so a change racing the read makes it stale at once. */
  stamp(key: string): GenerationStamp {
    const slot = this.slotOf(key);
    const epoch = this.epoch;
    return { epoch, slot, generation: this.generation(slot) };
  }

  /** A change to `key` was reported: answers stamped with its slot's generation are no longer current. */
  changed(key: string): bigint {
    return this.#addon.generationsBumpSlot(this.#table, this.slotOf(key));
  }

  /** A change the feed cannot attribute (a gap, a reconnect, a change to many): nothing kept is current. */
  changedAll(): bigint {
    return this.#addon.generationsBumpEpoch(this.#table);
  }

  /** The feed is known to deliver for `forMs` from now; 0 ends the lease at once. */
  renewLease(forMs: number): void {
    if (!this.#writable) throw new TypeError("a read-only generations table cannot be written");
    const until = forMs <= 0 ? 0n : this.#addon.generationsNow() + BigInt(Math.ceil(forMs * 1e6));
    this.#addon.generationsSetLease(this.#table, until);
  }

  /** The children's rule, through their C: whether an answer stamped `stamp` is current now. */
  isCurrent(stamp: GenerationStamp): boolean {
    return this.#addon.generationsCurrent(this.#table, stamp.epoch, stamp.slot, stamp.generation, this.#addon.generationsNow());
  }

  close(): void {
    this.#addon.generationsClose(this.#table);
  }
}
