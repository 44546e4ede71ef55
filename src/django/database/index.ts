// Opens the adapter for a parsed database URL.
import type { DatabaseLocation } from "../database-url.js";
import { MysqlDatabase } from "./mysql.js";
import { PostgresDatabase } from "./postgres.js";
import { SqliteDatabase } from "./sqlite.js";
import type { Database, DatabaseOptions } from "./types.js";

export type { Database, DatabaseOptions, Dialect, Row, SqlValue } from "./types.js";
export { truthy } from "./types.js";

/** A Database for `location`. Connections open lazily, so this never fails on an unreachable server. */
export function openDatabase(location: DatabaseLocation, options: DatabaseOptions, onIdleError?: (error: Error) => void): Database {
  switch (location.driver) {
    case "postgres":
      return new PostgresDatabase(location, options, onIdleError);
    case "mysql":
      return new MysqlDatabase(location, options, onIdleError);
    case "sqlite":
      return new SqliteDatabase(location, options);
  }
}
