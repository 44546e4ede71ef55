// MySQL/MariaDB's and SQLite's subscriber: reads the change table's new rows every intervalMs, on a
// connection of its own, in id order. A row's id is handed out when its transaction inserts it, not when
// it commits, so on MySQL a later id can be visible before an earlier one: an id skipped over is a hole,
// re-read until its row appears or holeWaitMs passes (a rolled-back insert leaves one for good); a hole
// given up on, or rows pruned before they were read, is a gap ("all"). SQLite has one writer at a time, so
// its ids appear in order, and a hole can only be rows pruned unread: a gap at once (holeWaitMs 0).
import { eventFrom, sessionKeyHash, type ChangeEvent } from "./events.js";
import { FeedBase, type FeedListener, type FeedLog } from "./feed.js";

/** One change row as the subscriber reads it. */
export interface ChangeRow {
  readonly id: number;
  readonly kind: unknown;
  readonly k: unknown;
}

/** A change table on one connection (poll-sources.ts). */
export interface PollSource {
  open(): Promise<void>;
  /** The highest id now in the table (0 when empty): reading starts after it. */
  lastId(): Promise<number>;
  /** Whether anything may have been committed since the last call (SQLite's data_version; MySQL: always). */
  changed(): Promise<boolean>;
  /** Rows with an id above `after`, in id order, at most ROWS_PER_READ. */
  rowsAfter(after: number): Promise<ChangeRow[]>;
  /** Stored session keys are hashed here (SQLite) or already hashed by the trigger (MySQL). */
  readonly hashesSessionKeys: boolean;
  /** Removes rows past the retention, when the source does that itself (MySQL); resolves with a problem or null. */
  cleanup?(): Promise<string | null>;
  close(): Promise<void>;
}

export const ROWS_PER_READ = 1000;
/** How many ids below the start are checked for holes (#holesBelowStart). */
const STARTUP_LOOKBACK = 100;
/** Most holes tracked at once; more is a gap. */
const MAX_HOLES = 1000;

export interface PollFeedOptions {
  readonly intervalMs: number;
  /** How long a skipped id is waited for before it counts as a gap. */
  readonly holeWaitMs: number;
  /** A read still unanswered after this long counts as a lost connection. */
  readonly timeoutMs: number;
  /** How often cleanup() runs (sources that have one). */
  readonly cleanupEveryMs: number;
  readonly log?: FeedLog;
}

export class PollFeed extends FeedBase {
  readonly #source: PollSource;
  readonly #options: PollFeedOptions;
  #last = 0;
  /** Skipped ids and when they were first skipped. */
  readonly #holes = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  /** When the read in flight started (Date.now()), null between reads. */
  #readingSince: number | null = null;
  #nextCleanup = 0;
  /** Counts connections, so a read that returns after its connection was given up is ignored. */
  #connections = 0;
  #cleanupProblem: string | null = null;

  constructor(source: PollSource, listener: FeedListener, options: PollFeedOptions) {
    super(listener, options.log);
    this.#source = source;
    this.#options = options;
  }

  protected async connect(): Promise<void> {
    this.#connections++;
    await this.#source.open();
    this.#last = await this.#source.lastId();
    this.#holes.clear();
    await this.#holesBelowStart();
    this.#readingSince = null;
    this.#watchdog = setInterval(() => {
      if (this.#readingSince !== null && Date.now() - this.#readingSince > this.#options.timeoutMs) {
        this.lost(new Error(`no answer to a read for ${this.#options.timeoutMs} ms`));
      }
    }, this.#options.timeoutMs);
    this.#schedule(this.#options.intervalMs);
  }

  protected async disconnect(): Promise<void> {
    clearTimeout(this.#timer);
    clearInterval(this.#watchdog);
    this.#timer = undefined;
    this.#watchdog = undefined;
    await this.#source.close().catch(() => {});
  }

  /**
   * The ids just below the start that are missing may belong to transactions still open (MySQL hands ids
   * out at insert time): they are waited for as any hole is. Ids further back would have to belong to a
   * transaction open across STARTUP_LOOKBACK later inserts; the "all" of the connect covers older ones.
   */
  async #holesBelowStart(): Promise<void> {
    if (this.#options.holeWaitMs <= 0 || this.#last === 0) return;
    const from = Math.max(0, this.#last - STARTUP_LOOKBACK);
    const present = new Set((await this.#source.rowsAfter(from)).map((row) => Number(row.id)));
    const now = Date.now();
    for (let id = from + 1; id < this.#last; id++) if (!present.has(id)) this.#holes.set(id, now);
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => void this.#poll(), delayMs);
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    let more = false;
    const generation = this.#connections;
    this.#readingSince = Date.now();
    try {
      if (await this.#source.changed()) more = this.#take(await this.#source.rowsAfter(this.#readFrom()));
      if (generation !== this.#connections || this.health().state !== "connected") return;
      this.#readingSince = null;
      this.contact();
      this.#expireHoles();
      await this.#maybeCleanup();
    } catch (error) {
      if (generation === this.#connections) this.lost(error);
      return;
    }
    if (!this.closed && this.health().state === "connected") this.#schedule(more ? 0 : this.#options.intervalMs);
  }

  /** Reads from just below the oldest open hole, so a hole's row is seen when its transaction commits. */
  #readFrom(): number {
    let from = this.#last;
    for (const id of this.#holes.keys()) from = Math.min(from, id - 1);
    return from;
  }

  /** Delivers the new rows; true when a full batch came back (read again at once). */
  #take(rows: readonly ChangeRow[]): boolean {
    for (const row of rows) {
      const id = Number(row.id);
      if (id <= this.#last) {
        if (this.#holes.delete(id)) this.deliver(this.#event(row));
        continue;
      }
      if (id > this.#last + 1 && !this.#skip(this.#last + 1, id)) {
        this.gap();
      }
      this.#last = id;
      this.deliver(this.#event(row));
    }
    return rows.length >= ROWS_PER_READ;
  }

  /** Records ids first..end-1 as holes; false when they cannot be waited for (a gap). */
  #skip(first: number, end: number): boolean {
    if (this.#options.holeWaitMs <= 0 || end - first + this.#holes.size > MAX_HOLES) return false;
    const now = Date.now();
    for (let id = first; id < end; id++) this.#holes.set(id, now);
    return true;
  }

  #expireHoles(): void {
    const oldest = Date.now() - this.#options.holeWaitMs;
    let expired = false;
    for (const [id, since] of this.#holes) {
      if (since > oldest) continue;
      this.#holes.delete(id);
      expired = true;
    }
    if (expired) this.gap();
  }

  #event(row: ChangeRow): ChangeEvent {
    const event = eventFrom(row.kind, row.k);
    if (event.kind !== "session" || this.#source.hashesSessionKeys) return event;
    return { kind: "session", key: sessionKeyHash(event.key) };
  }

  async #maybeCleanup(): Promise<void> {
    if (this.#source.cleanup === undefined || Date.now() < this.#nextCleanup) return;
    this.#nextCleanup = Date.now() + this.#options.cleanupEveryMs;
    const problem = await this.#source.cleanup();
    if (problem !== null && problem !== this.#cleanupProblem) this.log("warn", `change feed: cleanup of old change rows failed (${problem}); the feed still works`);
    this.#cleanupProblem = problem;
  }

  /** Why the last cleanup failed, null when it worked or never ran. */
  get cleanupProblem(): string | null {
    return this.#cleanupProblem;
  }
}
