// Reads the user model's table for operators (the mod-authnz-node CLI): one user's whole row, and every
// stored password value in pages ordered by primary key, so a table of any size is read in bounded memory.
// The SQL is queries.ts's, as the handler's is.
import { DatabaseError, UserRowError } from "../errors.js";
import type { DatabaseLocation } from "./database-url.js";
import { openDatabase, truthy, type Database, type Row, type SqlValue } from "./database/index.js";
import { DEFAULT_QUERY_TIMEOUT_MS } from "./config.js";
import { resolveMapping, type UserModelMapping } from "./user-model.js";
import { buildUserTableStatements, type UserTableStatements } from "./queries.js";

/** One user as the table holds it; is_staff is null where the model has no such column. */
export interface UserRecord {
  readonly id: SqlValue;
  readonly password: string;
  readonly isActive: boolean;
  readonly isSuperuser: boolean;
  readonly isStaff: boolean | null;
}

/** Rows per page of a scan: large enough that round trips do not dominate, small enough to bound memory. */
export const DEFAULT_PAGE_SIZE = 5000;
const MAX_PAGE_SIZE = 100_000;

export class UserTable {
  readonly mapping: UserModelMapping;
  readonly #database: Database;
  readonly #statements: UserTableStatements;

  constructor(location: DatabaseLocation, mapping?: Partial<UserModelMapping>, queryTimeoutMs = DEFAULT_QUERY_TIMEOUT_MS) {
    this.mapping = resolveMapping(mapping);
    this.#database = openDatabase(location, { poolSize: 1, queryTimeoutMs, readOnly: true });
    this.#statements = buildUserTableStatements(this.#database.dialect, this.mapping, DEFAULT_PAGE_SIZE);
  }

  get description(): string {
    return this.#database.description;
  }

  /** The user named `username` (USERNAME_FIELD, the database's own equality, as Django), or null. */
  async findUser(username: string): Promise<UserRecord | null> {
    const m = this.mapping;
    const rows = await this.#database.query(this.#statements.wholeRowByName, [username]);
    if (rows.length > 1) throw new UserRowError(`${m.userTable}.${m.usernameColumn} matches more than one row for this user`);
    const row = rows[0];
    return row === undefined ? null : this.#record(row);
  }

  #record(row: Row): UserRecord {
    const m = this.mapping;
    const password = row[m.passwordColumn];
    if (typeof password !== "string") throw new UserRowError(`${m.userTable}.${m.passwordColumn} is not text for this user`);
    return {
      id: row[m.userIdColumn] as SqlValue,
      password,
      isActive: m.isActiveColumn === null ? true : truthy(row[m.isActiveColumn]),
      isSuperuser: m.isSuperuserColumn === null ? false : truthy(row[m.isSuperuserColumn]),
      // A custom model may have no is_staff (is_staff_column ""), or a mapped one it does not have.
      isStaff: m.isStaffColumn !== null && m.isStaffColumn in row ? truthy(row[m.isStaffColumn]) : null,
    };
  }

  /** The number of rows in the user table (for a progress bar). */
  async count(): Promise<number> {
    const rows = await this.#database.query(this.#statements.rowCount, []);
    const n = Number(rows[0]?.n);
    if (!Number.isSafeInteger(n) || n < 0) throw new DatabaseError(`${this.description}: COUNT(*) gave ${String(rows[0]?.n)}`);
    return n;
  }

  /**
   * Every stored password value, page by page in primary-key order: each page starts after the last key
   * of the one before, so memory holds one page whatever the table's size. A NULL password is yielded as
   * null (Django would raise on it; the caller counts it).
   */
  async *passwordPages(pageSize = DEFAULT_PAGE_SIZE): AsyncGenerator<ReadonlyArray<string | null>> {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw new RangeError(`page size must be 1..${MAX_PAGE_SIZE}`);
    const paged = pageSize === DEFAULT_PAGE_SIZE ? this.#statements : buildUserTableStatements(this.#database.dialect, this.mapping, pageSize);
    const { firstPasswordPage: first, nextPasswordPage: next } = paged;
    let after: SqlValue | undefined;
    for (;;) {
      const rows = await this.#database.query(after === undefined ? first : next, after === undefined ? [] : [after]);
      if (rows.length === 0) return;
      yield rows.map((row) => (typeof row.p === "string" ? row.p : null));
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]?.k as SqlValue;
    }
  }

  async close(): Promise<void> {
    await this.#database.close();
  }
}
