// A Database that writes each failure's full text (the driver's message, the location with its password
// masked) to the worker's log before passing the error on. ERROR answers carry only a fixed wording and
// the error's code, because the module logs them and a message might hold a user's password; here that
// cannot happen: a user's password is never sent to the database, so no driver message can quote it.
import type { Database, PoolStats, Row, SqlValue } from "./types.js";

export class LoggedDatabase implements Database {
  readonly #inner: Database;
  readonly #log: (message: string) => void;

  constructor(inner: Database, log: (message: string) => void) {
    this.#inner = inner;
    this.#log = log;
  }

  get dialect(): Database["dialect"] {
    return this.#inner.dialect;
  }

  get description(): string {
    return this.#inner.description;
  }

  async query(sql: string, values: readonly SqlValue[]): Promise<Row[]> {
    try {
      return await this.#inner.query(sql, values);
    } catch (error) {
      throw this.#logged(error);
    }
  }

  async execute(sql: string, values: readonly SqlValue[]): Promise<number> {
    try {
      return await this.#inner.execute(sql, values);
    } catch (error) {
      throw this.#logged(error);
    }
  }

  poolStats(): PoolStats | undefined {
    return this.#inner.poolStats?.();
  }

  async close(): Promise<void> {
    await this.#inner.close();
  }

  #logged(error: unknown): unknown {
    const code = (error as { driverCode?: unknown }).driverCode;
    const message = error instanceof Error ? error.message : String(error);
    this.#log(`django handler: database failed${typeof code === "string" ? ` (${code})` : ""}: ${message}`);
    return error;
  }
}
