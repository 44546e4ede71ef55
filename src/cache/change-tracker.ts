// The worker's one change tracker: it owns the generations table httpd's children read
// (generations-table.ts), moves it as the change feeds report changes, renews its lease while every feed
// delivers, and decides whether a grant may be stamped (docs/change-feed.md, docs/protocol.md "Stamps").
//
// The race rule. A stamp says "nothing that decides this answer changed since it was read". The database is
// read after the handler takes a mark (a count of the changes applied so far and the epoch then), and the
// stamp is given only if the user's slot was not moved after that mark and the epoch is still the mark's.
// A change committed before the read began was either applied before the mark (and the read sees it) or
// after it (and the stamp is refused); one committed after the read began moves the slot after the mark too,
// or, if its event comes after the stamp was given, moves the generation the stamp holds, so the children
// stop answering from it. A stamp therefore never outlives a change the feed reports.
import type { Logger } from "../log.js";
import type { GenerationStamp, GenerationsTable } from "./generations-table.js";

/** A change as the feeds report it (src/django/change-feed/events.ts): what moved, and whose key. */
export interface TrackedChange {
  readonly kind: "user" | "group" | "permission" | "session" | "all";
  readonly key: string;
}

/** What the tracker reads of a feed's health on each lease tick. */
export interface FeedView {
  readonly state: string;
  /** Date.now() of the feed's last answer from its database, null before the first. */
  readonly lastContactAt: number | null;
}

/** Taken before a check reads the database; see the race rule above. */
export interface ChangeMark {
  readonly at: number;
  readonly epoch: bigint;
}

/** One feed's line to the tracker: its events, and its state changes. */
export interface FeedRegistration {
  event(change: TrackedChange): void;
  /** The feed's state moved (connecting, connected, lost, closed). */
  state(state: string): void;
  /** The feed is gone for good (its handler closed): it no longer holds the lease back. */
  close(): void;
}

export interface ChangeTrackerOptions {
  /**
   * How often the lease is renewed. Every 50 ms, for a lease of 250 ms: a worker that stops renewing (stuck,
   * killed, its feeds unhealthy) is no longer trusted by the children a quarter of a second later, and five
   * renewals fit in one lease, so a busy event loop (a garbage collection, a burst of answers) does not end
   * it by a late tick.
   */
  readonly renewEveryMs?: number;
  readonly leaseMs?: number;
  /** The clock of FeedView.lastContactAt. */
  readonly now?: () => number;
  readonly logger?: Pick<Logger, "info" | "warn"> | null;
}

export const DEFAULT_RENEW_EVERY_MS = 50;
export const DEFAULT_LEASE_MS = 250;

interface Feed {
  readonly name: string;
  /** The state last reported, so a feed failing to reconnect again and again is logged once. */
  lastState: string;
  readonly view: () => FeedView;
  /** How old the last contact may be while the feed counts as delivering. */
  readonly contactBoundMs: number;
}

export class ChangeTracker {
  readonly #table: GenerationsTable;
  /** Changes applied so far: the marks' clock. */
  #clock = 0;
  /** Per slot, the #clock value of the change that last moved it. */
  readonly #movedAt: Float64Array;
  /** The table's epoch (the tracker is its only writer, so this copy is exact). */
  #epoch: bigint;
  /** Whether the lease runs: every feed connected and in recent contact as of the last tick. */
  #leased = false;
  readonly #feeds = new Set<Feed>();
  readonly #timer: NodeJS.Timeout;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #logger: Pick<Logger, "info" | "warn"> | null;
  #closed = false;

  constructor(table: GenerationsTable, options: ChangeTrackerOptions = {}) {
    this.#table = table;
    this.#movedAt = new Float64Array(table.slots);
    this.#epoch = table.epoch;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? null;
    table.renewLease(0);
    this.#timer = setInterval(() => this.#tick(), options.renewEveryMs ?? DEFAULT_RENEW_EVERY_MS);
    // The lease must never keep the worker alive on its own.
    this.#timer.unref();
  }

  get table(): GenerationsTable {
    return this.#table;
  }

  /** Whether the lease runs now (every feed delivering); stamps are given only then. */
  get leased(): boolean {
    return this.#leased;
  }

  /** Before a check reads the database. */
  mark(): ChangeMark {
    return { at: this.#clock, epoch: this.#epoch };
  }

  /**
   * The stamp of `key` (a user's primary key as text, or a session's key hash) for a grant read after
   * `mark`, or null when it may not be stamped: the lease does not run, the epoch moved, or the key's slot
   * moved after the mark.
   */
  stamp(mark: ChangeMark, key: string): GenerationStamp | null {
    if (!this.#leased || this.#closed || mark.epoch !== this.#epoch) return null;
    const slot = this.#table.slotOf(key);
    if ((this.#movedAt[slot] ?? Infinity) > mark.at) return null;
    return { epoch: this.#epoch, slot, generation: this.#table.generation(slot) };
  }

  /** A lockout the worker decided (a THROTTLED answer, a policy blocking): no kept grant is answered again. */
  lockout(): void {
    this.#moveEpoch();
  }

  /**
   * A feed's line to the tracker. `contactBoundMs`: how old its last contact with the database may be while
   * it still counts as delivering (a PostgreSQL listener hears from its database once per heartbeat, a poller
   * at every poll; the bound is that interval plus the longest a statement may take before the feed itself
   * gives up on the connection).
   */
  register(name: string, view: () => FeedView, contactBoundMs: number): FeedRegistration {
    const feed: Feed = { name, view, contactBoundMs, lastState: "connecting" };
    this.#feeds.add(feed);
    // A new feed has delivered nothing yet: until it is connected, the lease stops.
    this.#tick();
    return {
      event: (change) => this.#apply(feed, change),
      state: (state) => this.#stateOf(feed, state),
      close: () => {
        this.#feeds.delete(feed);
        this.#tick();
      },
    };
  }

  /** Stops renewing and ends the lease (the worker stops). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#endLease();
  }

  #apply(feed: Feed, change: TrackedChange): void {
    switch (change.kind) {
      case "user":
      case "session":
        this.#moveSlot(change.key);
        return;
      case "all":
        // The first event after every (re)connect, a gap in a change table, or a change to many users.
        this.#logger?.info("ANP0650", `change feed of ${feed.name}: anything may have changed (a reconnect, a gap, or a change to many users); every kept grant is dropped`);
        this.#moveEpoch();
        return;
      default:
        // A group's or a permission's change reaches users this tracker cannot name.
        this.#moveEpoch();
    }
  }

  #stateOf(feed: Feed, state: string): void {
    // A feed already unregistered (its handler closing) holds nothing back any more.
    if (!this.#feeds.has(feed)) return;
    const wasConnected = feed.lastState === "connected";
    feed.lastState = state;
    if (state === "connected") {
      this.#logger?.info("ANP0648", `change feed of ${feed.name}: connected`);
      this.#tick();
      return;
    }
    if (state === "lost" && wasConnected) this.#logger?.warn("ANP0649", `change feed of ${feed.name}: lost; no grant is kept until it is back`);
    // Lost (or closed under a handler still in use): whatever it would have reported is unseen from now on.
    this.#endLease();
    this.#moveEpoch();
  }

  #moveSlot(key: string): void {
    const slot = this.#table.slotOf(key);
    this.#movedAt[slot] = ++this.#clock;
    this.#table.changed(key);
  }

  #moveEpoch(): void {
    ++this.#clock;
    this.#epoch = this.#table.changedAll();
  }

  #delivering(): boolean {
    if (this.#feeds.size === 0) return false;
    const now = this.#now();
    for (const feed of this.#feeds) {
      const view = feed.view();
      if (view.state !== "connected" || view.lastContactAt === null || now - view.lastContactAt > feed.contactBoundMs) return false;
    }
    return true;
  }

  #tick(): void {
    if (this.#closed) return;
    if (this.#delivering()) {
      this.#table.renewLease(this.#leaseMs);
      this.#leased = true;
    } else if (this.#leased) {
      // A feed fell silent without failing yet: what it may have missed is not known, so nothing kept stays.
      this.#endLease();
      this.#moveEpoch();
    }
  }

  #endLease(): void {
    this.#leased = false;
    this.#table.renewLease(0);
  }
}
