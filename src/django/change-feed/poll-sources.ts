// The change tables' readers: MySQL/MariaDB over a mysql2 connection of the feed's own, SQLite over a
// read-only better-sqlite3 handle of its own. An idle SQLite poll is one PRAGMA data_version (it moves
// when another connection commits) and one stat() (the file replaced by a restore is reopened, and the
// reopen is a gap); an idle MySQL poll is one indexed range read that finds nothing.
import { statSync } from "node:fs";
import type BetterSqlite3 from "better-sqlite3";
import type mysql from "mysql2/promise";
import type { MysqlLocation, SqliteLocation } from "../database-url.js";
import { mysqlConnection, sqliteHandle } from "./connections.js";
import type { ChangeRow, PollSource } from "./poll-feed.js";
import { ROWS_PER_READ } from "./poll-feed.js";
import { MYSQL_FEED_QUERIES } from "./sql-mysql.js";
import { SQLITE_FEED_QUERIES } from "./sql-sqlite.js";

export class MysqlPollSource implements PollSource {
  readonly hashesSessionKeys = true;
  readonly #location: MysqlLocation;
  readonly #timeoutMs: number;
  readonly #retentionSeconds: number;
  #connection: mysql.Connection | undefined;

  constructor(location: MysqlLocation, timeoutMs: number, retentionSeconds: number) {
    this.#location = location;
    this.#timeoutMs = timeoutMs;
    this.#retentionSeconds = retentionSeconds;
  }

  async open(): Promise<void> {
    const connection = await mysqlConnection(this.#location, this.#timeoutMs);
    // Errors surface on the next query; an idle connection's must not go unhandled.
    connection.on("error", () => {});
    this.#connection = connection;
  }

  async lastId(): Promise<number> {
    const [rows] = await this.#live().execute({ sql: MYSQL_FEED_QUERIES.last, timeout: this.#timeoutMs });
    return Number((rows as Array<{ id: unknown }>)[0]?.id ?? 0);
  }

  async changed(): Promise<boolean> {
    return true;
  }

  async rowsAfter(after: number): Promise<ChangeRow[]> {
    // The text protocol, and no per-query timeout (its timer costs about as much CPU as the read itself):
    // the poll runs many times a second, and PollFeed's watchdog bounds a read that never returns.
    const [rows] = await this.#live().query(`${MYSQL_FEED_QUERIES.since} LIMIT ${ROWS_PER_READ}`, [after]);
    return rows as ChangeRow[];
  }

  async cleanup(): Promise<string | null> {
    try {
      await this.#live().execute({ sql: MYSQL_FEED_QUERIES.cleanup, timeout: this.#timeoutMs }, [this.#retentionSeconds]);
      return null;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // A refused DELETE is the DBA's choice (the cleanup may run elsewhere); anything else is a lost connection.
      if (code === "ER_TABLEACCESS_DENIED_ERROR" || code === "ER_DBACCESS_DENIED_ERROR") return String(code);
      throw error;
    }
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.end().catch(() => connection.destroy());
  }

  #live(): mysql.Connection {
    if (this.#connection === undefined) throw new Error("not connected");
    return this.#connection;
  }
}

export class SqlitePollSource implements PollSource {
  readonly hashesSessionKeys = false;
  readonly #location: SqliteLocation;
  readonly #busyTimeoutMs: number;
  #db: BetterSqlite3.Database | undefined;
  #identity: { readonly dev: number; readonly ino: number } | undefined;
  #version: unknown;

  constructor(location: SqliteLocation, busyTimeoutMs: number) {
    this.#location = location;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  async open(): Promise<void> {
    const identity = statSync(this.#location.path);
    this.#db = sqliteHandle(this.#location, true, this.#busyTimeoutMs);
    this.#identity = { dev: identity.dev, ino: identity.ino };
    this.#version = this.#db.pragma("data_version", { simple: true });
  }

  async lastId(): Promise<number> {
    return Number((this.#live().prepare(SQLITE_FEED_QUERIES.last).get() as { id: unknown }).id ?? 0);
  }

  async changed(): Promise<boolean> {
    const now = statSync(this.#location.path, { throwIfNoEntry: false });
    if (now === undefined || now.ino !== this.#identity?.ino || now.dev !== this.#identity.dev) throw new Error(`${this.#location.path} was replaced`);
    const version = this.#live().pragma("data_version", { simple: true });
    if (version === this.#version) return false;
    this.#version = version;
    return true;
  }

  async rowsAfter(after: number): Promise<ChangeRow[]> {
    return this.#live().prepare(`${SQLITE_FEED_QUERIES.since} LIMIT ${ROWS_PER_READ}`).all(after) as ChangeRow[];
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    try {
      db?.close();
    } catch {
      // A handle that failed may fail to close too; it is dropped either way.
    }
  }

  #live(): BetterSqlite3.Database {
    if (this.#db === undefined) throw new Error("not open");
    return this.#db;
  }
}
