// The one small interface every database adapter implements. Statements are written once per dialect
// by src/django/queries.ts with placeholders; values are always passed separately, never spliced.

/** A value bound to a placeholder; an array only in PostgreSQL statements (`= ANY($1)`). */
export type SqlValue = SqlScalar | readonly string[];
export type SqlScalar = string | number | bigint | boolean | null;

/** `values` for a driver that binds no arrays (MySQL, SQLite): their statements never carry one. */
export function scalarValues(values: readonly SqlValue[]): SqlScalar[] {
  return values.map((value) => {
    if (Array.isArray(value)) throw new TypeError("array values are bound only in PostgreSQL statements");
    return value as SqlScalar;
  });
}

/** A boolean column's value as Django's converters read it: drivers give true/false (pg), 1/0 (MySQL, SQLite) or "1". */
export function truthy(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === "1" || value === "t" || value === "true";
}

/** One result row, keyed by the column aliases the statement chose. */
export type Row = Readonly<Record<string, unknown>>;

export interface Dialect {
  readonly name: "postgres" | "mysql" | "sqlite";
  /** Quotes an identifier that has already passed the plain-identifier check. */
  quote(identifier: string): string;
  /** The placeholder for the `index`-th value (1-based). */
  placeholder(index: number): string;
}

export interface Database {
  readonly dialect: Dialect;
  /** Where it connects, password masked, for logs and error reasons. */
  readonly description: string;
  /** Runs a SELECT; rejects with a DatabaseError (DatabaseTimeoutError past the query timeout). */
  query(sql: string, values: readonly SqlValue[]): Promise<Row[]>;
  /** Runs an UPDATE; resolves with the number of rows it changed. */
  execute(sql: string, values: readonly SqlValue[]): Promise<number>;
  /** Ends every connection; later calls reject. */
  close(): Promise<void>;
  /** The pool's connections now (open, idle) and the queries waiting for one; absent where there is no pool. */
  poolStats?(): PoolStats | undefined;
}

export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

export interface DatabaseOptions {
  /** Most connections open at once (SQLite: ignored, one connection). */
  readonly poolSize: number;
  /** Longest a connection attempt or a query may take before it fails with DatabaseTimeoutError. */
  readonly queryTimeoutMs: number;
  /** Open the database for reading only where the driver can (SQLite); the upgrade UPDATE needs writes. */
  readonly readOnly: boolean;
}

export const POSTGRES_DIALECT: Dialect = Object.freeze({
  name: "postgres" as const,
  quote: (identifier: string) => `"${identifier}"`,
  placeholder: (index: number) => `$${index}`,
});

export const MYSQL_DIALECT: Dialect = Object.freeze({
  name: "mysql" as const,
  quote: (identifier: string) => `\`${identifier}\``,
  placeholder: () => "?",
});

export const SQLITE_DIALECT: Dialect = Object.freeze({
  name: "sqlite" as const,
  quote: (identifier: string) => `"${identifier}"`,
  placeholder: () => "?",
});
