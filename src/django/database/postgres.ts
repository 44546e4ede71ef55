// PostgreSQL through a bounded pg Pool. pg drops a client whose connection broke, so after a server
// restart the next checkout opens a fresh connection: recovery needs no action here. An idle client's
// error is reported on the pool and must be listened to, or it would crash the worker.
import { createHash } from "node:crypto";
import pg from "pg";
import { DatabaseError, DatabaseTimeoutError } from "../../errors.js";
import { describeLocation, type PostgresLocation } from "../database-url.js";
import { driverTls } from "./tls.js";
import { POSTGRES_DIALECT, type Database, type DatabaseOptions, type PoolStats, type Row, type SqlValue } from "./types.js";

export class PostgresDatabase implements Database {
  readonly dialect = POSTGRES_DIALECT;
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #timeoutMs: number;
  readonly #names = new Map<string, string>();

  constructor(location: PostgresLocation, options: DatabaseOptions, onIdleError?: (error: Error) => void) {
    this.description = describeLocation(location);
    this.#timeoutMs = options.queryTimeoutMs;
    this.#pool = new pg.Pool({
      host: location.host,
      port: location.port,
      user: location.user,
      password: location.password,
      database: location.database,
      max: options.poolSize,
      connectionTimeoutMillis: options.queryTimeoutMs,
      // Client-side deadline (covers a server that stopped answering) plus the server-side one.
      query_timeout: options.queryTimeoutMs,
      statement_timeout: options.queryTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: "mod_authnz_node",
      ssl: location.tls === undefined ? false : driverTls(location.tls, "sslrootcert"),
    });
    this.#pool.on("error", (error) => onIdleError?.(error));
  }

  async query(sql: string, values: readonly SqlValue[]): Promise<Row[]> {
    try {
      const result = await this.#pool.query({ name: this.#statementName(sql), text: sql, values: values as SqlValue[] });
      return result.rows as Row[];
    } catch (error) {
      throw this.#wrap(error);
    }
  }

  async execute(sql: string, values: readonly SqlValue[]): Promise<number> {
    try {
      const result = await this.#pool.query({ name: this.#statementName(sql), text: sql, values: values as SqlValue[] });
      return result.rowCount ?? 0;
    } catch (error) {
      throw this.#wrap(error);
    }
  }

  /**
   * Named statements are parsed and planned once per connection instead of once per query. The handler
   * has a handful of fixed statements, so the names stay few.
   */
  #statementName(sql: string): string {
    let name = this.#names.get(sql);
    if (name === undefined) {
      name = `anp_${createHash("sha256").update(sql).digest("hex").slice(0, 24)}`;
      this.#names.set(sql, name);
    }
    return name;
  }

  poolStats(): PoolStats {
    return { total: this.#pool.totalCount, idle: this.#pool.idleCount, waiting: this.#pool.waitingCount };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  #wrap(error: unknown): DatabaseError {
    const driverCode = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    const code = typeof driverCode === "string" ? driverCode : undefined;
    // 57014 query_canceled is what statement_timeout raises.
    if (/timeout|timed out/i.test(message) || code === "57014") {
      return new DatabaseTimeoutError(`${this.description}: timed out after ${this.#timeoutMs} ms (${message})`, { cause: error, driverCode: code });
    }
    return new DatabaseError(`${this.description}: ${message}`, { cause: error, driverCode: code });
  }
}
