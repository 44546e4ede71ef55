// MySQL and MariaDB through a bounded mysql2 pool, with server-side prepared statements (execute()).
// mysql2 removes a connection that failed from the pool, so after a server restart the next request
// opens a fresh one. Comparisons use the column's collation, as Django's own queries do: on the usual
// utf8mb4_general_ci, "Alice" finds "alice", exactly as Django's lookup does there.
import mysql from "mysql2/promise";
import { DatabaseError, DatabaseTimeoutError } from "../../errors.js";
import { describeLocation, type MysqlLocation, type TlsSettings } from "../database-url.js";
import { driverTls } from "./tls.js";
import { MYSQL_DIALECT, type Database, type DatabaseOptions, type PoolStats, type Row, type SqlValue, scalarValues } from "./types.js";

export class MysqlDatabase implements Database {
  readonly dialect = MYSQL_DIALECT;
  readonly description: string;
  readonly #pool: mysql.Pool;
  readonly #timeoutMs: number;

  constructor(location: MysqlLocation, options: DatabaseOptions, onIdleError?: (error: Error) => void) {
    this.description = describeLocation(location);
    this.#timeoutMs = options.queryTimeoutMs;
    this.#pool = mysql.createPool({
      ...(location.socketPath !== undefined ? { socketPath: location.socketPath } : { host: location.host, port: location.port }),
      user: location.user,
      password: location.password,
      database: location.database,
      // Django's MySQL backend connects with utf8mb4 too (settings OPTIONS charset).
      charset: "UTF8MB4_GENERAL_CI",
      connectionLimit: options.poolSize,
      maxIdle: options.poolSize,
      idleTimeout: 30_000,
      connectTimeout: options.queryTimeoutMs,
      waitForConnections: true,
      // Requests beyond this many waiting for a connection fail at once instead of piling up.
      queueLimit: 1000,
      enableKeepAlive: true,
      ...(location.tls === undefined ? {} : { ssl: mysqlTls(location.tls) }),
    });
    // Errors of idle connections surface on the underlying pool's connections; listen so none goes unhandled.
    this.#pool.pool.on("connection", (connection) => {
      connection.on("error", (error: Error) => onIdleError?.(error));
    });
  }

  async query(sql: string, values: readonly SqlValue[]): Promise<Row[]> {
    try {
      const [rows] = await this.#pool.execute({ sql, timeout: this.#timeoutMs }, scalarValues(values));
      return rows as Row[];
    } catch (error) {
      throw this.#wrap(error);
    }
  }

  async execute(sql: string, values: readonly SqlValue[]): Promise<number> {
    try {
      const [result] = await this.#pool.execute({ sql, timeout: this.#timeoutMs }, scalarValues(values));
      return (result as mysql.ResultSetHeader).affectedRows;
    } catch (error) {
      throw this.#wrap(error);
    }
  }

  /** mysql2 exposes its pool's lists only as underscored fields; a missing one reads as 0, not as an error. */
  poolStats(): PoolStats {
    const inner = this.#pool.pool as unknown as Record<string, { length?: number } | undefined>;
    const count = (name: string): number => inner[name]?.length ?? 0;
    return { total: count("_allConnections"), idle: count("_freeConnections"), waiting: count("_connectionQueue") };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  #wrap(error: unknown): DatabaseError {
    const driverCode = (error as { code?: unknown }).code;
    const code = typeof driverCode === "string" ? driverCode : undefined;
    const message = error instanceof Error ? error.message : String(error);
    if (code === "PROTOCOL_SEQUENCE_TIMEOUT" || code === "ETIMEDOUT" || /timeout/i.test(message)) {
      return new DatabaseTimeoutError(`${this.description}: timed out after ${this.#timeoutMs} ms (${message})`, { cause: error, driverCode: code });
    }
    return new DatabaseError(`${this.description}: ${message}`, { cause: error, driverCode: code });
  }
}


/** mysql2's ssl option: it checks the host name itself when verifyIdentity is set. */
export function mysqlTls(tls: TlsSettings): mysql.SslOptions {
  const { ca, rejectUnauthorized } = driverTls(tls, "ssl-ca");
  return { ...(ca === undefined ? {} : { ca }), rejectUnauthorized, verifyIdentity: tls.verify === "full" };
}
