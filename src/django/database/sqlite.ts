// SQLite through better-sqlite3, which runs each statement synchronously on the calling thread. The
// handler's statements are single-row lookups by a unique index (tens of microseconds, see docs/django.md
// for the measurement), cheaper than handing them to a thread. The one way such a call could block the
// event loop for long is waiting for another process's write lock, so the busy timeout is kept short: a
// locked database answers ERROR after `busyTimeoutMs` rather than stalling every other request.
// The file is opened lazily, and reopened after an error or when the path names another file than the
// open one, so a database that is missing at startup or restored from a backup is picked up without
// restarting the worker.
import { statSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { DatabaseError, DatabaseTimeoutError } from "../../errors.js";
import { describeLocation, type SqliteLocation } from "../database-url.js";
import { SQLITE_DIALECT, type Database, type DatabaseOptions, type Row, type SqlValue, scalarValues } from "./types.js";

/** Longest a statement waits for another connection's lock before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 200;

export class SqliteDatabase implements Database {
  readonly dialect = SQLITE_DIALECT;
  readonly description: string;
  readonly #path: string;
  readonly #readOnly: boolean;
  readonly #busyTimeoutMs: number;
  #db: BetterSqlite3.Database | undefined;
  /** Device and inode of the file #db has open. */
  #identity: { readonly dev: number; readonly ino: number } | undefined;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  #closed = false;

  constructor(location: SqliteLocation, options: DatabaseOptions) {
    this.description = describeLocation(location);
    this.#path = location.path;
    this.#readOnly = options.readOnly;
    this.#busyTimeoutMs = Math.min(SQLITE_BUSY_TIMEOUT_MS, options.queryTimeoutMs);
  }

  async query(sql: string, values: readonly SqlValue[]): Promise<Row[]> {
    return this.#run(sql, (statement) => statement.all(...toSqlite(values)) as Row[]);
  }

  async execute(sql: string, values: readonly SqlValue[]): Promise<number> {
    return this.#run(sql, (statement) => statement.run(...toSqlite(values)).changes);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#reset();
  }

  #run<T>(sql: string, call: (statement: BetterSqlite3.Statement) => T): T {
    if (this.#closed) throw new DatabaseError(`${this.description}: closed`);
    try {
      this.#reopenIfReplaced();
      return call(this.#statement(sql));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const driverCode = typeof code === "string" ? code : undefined;
      const message = error instanceof Error ? error.message : String(error);
      // Anything but "busy" may mean the file changed under us: start over with a fresh handle next time.
      if (driverCode === undefined || !driverCode.startsWith("SQLITE_BUSY")) this.#reset();
      if (driverCode?.startsWith("SQLITE_BUSY")) {
        throw new DatabaseTimeoutError(`${this.description}: locked for more than ${this.#busyTimeoutMs} ms (${message})`, { cause: error, driverCode });
      }
      throw new DatabaseError(`${this.description}: ${message}`, { cause: error, driverCode });
    }
  }

  /**
   * Django (CONN_MAX_AGE=0) opens the file anew for every request, so a database moved into place (a
   * restore, a deploy) is seen at once. An open handle would keep reading the old file, so the path's
   * identity is checked before each statement (one stat(), about a microsecond).
   */
  #reopenIfReplaced(): void {
    if (this.#db === undefined) return;
    const now = statSync(this.#path, { throwIfNoEntry: false });
    if (now === undefined || now.ino !== this.#identity?.ino || now.dev !== this.#identity.dev) this.#reset();
  }

  #statement(sql: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#db === undefined) {
        const identity = statSync(this.#path, { throwIfNoEntry: false });
        this.#db = new BetterSqlite3(this.#path, { readonly: this.#readOnly, fileMustExist: true, timeout: this.#busyTimeoutMs });
        this.#identity = identity;
      }
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #reset(): void {
    this.#statements.clear();
    try {
      this.#db?.close();
    } catch {
      // Closing a handle that already failed can fail again; nothing to do about it.
    }
    this.#db = undefined;
    this.#identity = undefined;
  }
}

/** better-sqlite3 binds booleans as errors; SQLite stores them as 0/1 anyway. */
function toSqlite(values: readonly SqlValue[]): Array<string | number | bigint | null> {
  return scalarValues(values).map((value) => (typeof value === "boolean" ? (value ? 1 : 0) : value));
}
