// Coalesces concurrent user lookups into one statement, so that under load the database sees one query
// for many checks instead of one each: a query's fixed cost, in the driver, on the wire and in the
// server, is most of what a lookup costs.
//
// Freshness is unchanged: a lookup is only ever answered by a statement sent after the lookup was asked
// for, so a change committed before a request arrived is seen by that request, as with one query per
// check. Names asked for while `maxConcurrent` batches are running wait for the next batch; names asked
// for in the same turn of the event loop go out together (the flush runs in setImmediate, after every
// socket that was readable in this turn has been read).
//
// Rows come back keyed by the stored USERNAME_FIELD value and are matched to the names asked for by exact
// equality, which is the database's own equality only for some column types and collations: the batcher
// asks the database once whether the column is one of them (varchar or text under a deterministic
// collation, as Django creates it), and otherwise sends one statement per name. As a second guard, a
// batch that returns a row matching none of its names exactly is asked again name by name.
import type { Row } from "./database/types.js";

export interface LookupBatcherOptions {
  /** Rows of every name in `names` (each name once), each row carrying its key under `keyColumn`. */
  readonly fetchMany: (names: readonly string[]) => Promise<Row[]>;
  /** Rows of one name, by the database's own equality. */
  readonly fetchOne: (name: string) => Promise<Row[]>;
  /** The column holding the stored name the row was found by. */
  readonly keyColumn: string;
  /**
   * Whether the database's equality on the name column is exact string equality (asked once, again after
   * a failure). Rows are matched to names by exact equality, which is right only then: otherwise one row
   * can answer a name it does not spell ("alice" for ALICE), and every lookup uses fetchOne.
   */
  readonly exactMatching: () => Promise<boolean>;
  /** Most distinct names per statement. */
  readonly maxBatch: number;
  /** Most statements running at once (at most the pool's size). */
  readonly maxConcurrent: number;
}

interface Waiter {
  readonly resolve: (rows: Row[]) => void;
  readonly reject: (error: unknown) => void;
}

export class LookupBatcher {
  readonly #options: LookupBatcherOptions;
  /** Names waiting for a batch, in arrival order, each with everyone who asked for it. */
  #pending = new Map<string, Waiter[]>();
  #running = 0;
  #flushScheduled = false;
  /** The answer of exactMatching, once known. */
  #exact: boolean | undefined;
  /** Counters for tests and diagnostics: batch statements sent (two names or more), and the names they carried. */
  #statements = 0;
  #batchedNames = 0;

  constructor(options: LookupBatcherOptions) {
    if (!Number.isSafeInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    if (!Number.isSafeInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be a positive integer, got ${options.maxConcurrent}`);
    }
    this.#options = options;
  }

  /** Batch statements sent so far, and the distinct names they carried. */
  get stats(): { readonly statements: number; readonly names: number } {
    return { statements: this.#statements, names: this.#batchedNames };
  }

  /** The rows stored under `name` (none: no such user), read by a statement sent after this call. */
  load(name: string): Promise<Row[]> {
    return new Promise<Row[]>((resolve, reject) => {
      const waiters = this.#pending.get(name);
      if (waiters === undefined) this.#pending.set(name, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#running >= this.#options.maxConcurrent || this.#pending.size === 0) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#running < this.#options.maxConcurrent && this.#pending.size > 0) {
      const batch = new Map<string, Waiter[]>();
      for (const [name, waiters] of this.#pending) {
        if (batch.size >= this.#options.maxBatch) break;
        batch.set(name, waiters);
      }
      for (const name of batch.keys()) this.#pending.delete(name);
      this.#running++;
      void this.#run(batch).finally(() => {
        this.#running--;
        this.#scheduleFlush();
      });
    }
  }

  async #run(batch: Map<string, Waiter[]>): Promise<void> {
    if (batch.size === 1 || !(await this.#exactMatching())) {
      // Nothing to share the statement with, or sharing could not tell the names apart: the single-name
      // statement, as without batching.
      await this.#runOne(batch);
      return;
    }
    this.#statements++;
    this.#batchedNames += batch.size;
    let rows: Row[] | null = null;
    try {
      rows = await this.#options.fetchMany([...batch.keys()]);
    } catch {
      // One name may have failed the batch (say, a value its column's type refuses): each name is asked
      // on its own below, so an error reaches only the checks it belongs to, as with one query each.
    }
    if (rows !== null) {
      const byName = new Map<string, Row[]>();
      let unmatched = false;
      for (const row of rows) {
        const key = String(row[this.#options.keyColumn]);
        if (!batch.has(key)) {
          unmatched = true;
          break;
        }
        const matches = byName.get(key);
        if (matches === undefined) byName.set(key, [row]);
        else matches.push(row);
      }
      if (!unmatched) {
        for (const [name, waiters] of batch) for (const waiter of waiters) waiter.resolve(byName.get(name) ?? []);
        return;
      }
    }
    // The batch failed, or the database matched some name to a row that is not exactly that name (exact
    // matching cannot tell which): every name is asked on its own and the database's equality decides.
    await this.#runOne(batch);
  }

  async #exactMatching(): Promise<boolean> {
    if (this.#exact === undefined) {
      try {
        this.#exact = await this.#options.exactMatching();
      } catch {
        return false; // asked again next time; meanwhile one statement per name
      }
    }
    return this.#exact;
  }

  /** Each name of `batch` by the single-name statement. */
  async #runOne(batch: Map<string, Waiter[]>): Promise<void> {
    await Promise.all(
      [...batch].map(async ([name, waiters]) => {
        try {
          const found = await this.#options.fetchOne(name);
          for (const waiter of waiters) waiter.resolve(found);
        } catch (error) {
          for (const waiter of waiters) waiter.reject(error);
        }
      }),
    );
  }
}
