// The statements the axes policy runs on django-axes' table, axes_accessattempt (axes/models.py
// AccessAttempt: username, ip_address, user_agent, http_accept, path_info, attempt_time, get_data,
// post_data, failures_since_start; unique together (username, ip_address, user_agent) since its migration
// 0007). One statement per question, values always bound, never spliced; the field names come from a
// fixed list (AxesField), never from a request.
//
// Times: Django with USE_TZ stores attempt_time in UTC: timestamptz on PostgreSQL, a naive UTC
// datetime(6) on MySQL/MariaDB, and on SQLite the text "YYYY-MM-DD HH:MM:SS[.ffffff]" compared as text.
// So a time is bound as that same UTC text (PostgreSQL is told it is UTC), and read back as text too,
// because the drivers would otherwise read a naive time in the worker's local zone.
import type { AxesField } from "./axes-settings.js";
import type { Dialect } from "./database/index.js";

export const AXES_TABLE = "axes_accessattempt";
/** The columns recordFailure's INSERT names, in its values' order. */
export const AXES_INSERT_COLUMNS = ["username", "ip_address", "user_agent", "http_accept", "path_info", "attempt_time", "get_data", "post_data", "failures_since_start"] as const;

export interface AxesStatements {
  /**
   * One row per lockout parameter (column `entry`, 0-based): the sum of failures_since_start over the rows
   * matching all of its fields, and the newest attempt_time among them as UTC text. Values: per parameter,
   * its fields' values in order, then, with a cooloff, the threshold time (failuresValues).
   */
  readonly failures: string;
  /** Insert a row for (username, ip_address, user_agent) with one failure, or count one more on it. */
  readonly recordFailure: string;
  /** Delete the rows older than the cooloff (axes/attempts.py clean_expired_user_attempts). */
  readonly cleanExpired: string;
  /** Delete the rows matching any lockout parameter (axes/attempts.py reset_user_attempts); values: the fields' in order. */
  readonly reset: string;
}

export function buildAxesStatements(dialect: Dialect, parameters: readonly (readonly AxesField[])[], cooloff: boolean): AxesStatements {
  const q = (identifier: string) => dialect.quote(identifier);
  const table = q(AXES_TABLE);
  let index = 0;
  const next = () => dialect.placeholder(++index);
  const conditions = (fields: readonly AxesField[]) => fields.map((field) => `${q(field)} = ${next()}`).join(" AND ");

  const selects = parameters.map((fields, entry) => {
    const where = conditions(fields);
    const recent = cooloff ? ` AND ${q("attempt_time")} >= ${timeValue(dialect, next())}` : "";
    return `SELECT ${entry} AS entry, SUM(${q("failures_since_start")}) AS failures, ${latestText(dialect)} AS latest FROM ${table} WHERE ${where}${recent}`;
  });
  const failures = selects.join(" UNION ALL ");

  index = 0;
  const resetWhere = parameters.map((fields) => `(${conditions(fields)})`).join(" OR ");
  const reset = `DELETE FROM ${table} WHERE ${resetWhere}`;

  index = 0;
  const cleanExpired = `DELETE FROM ${table} WHERE ${q("attempt_time")} < ${timeValue(dialect, next())}`;

  return { failures, recordFailure: recordFailureSql(dialect), cleanExpired, reset };
}

/**
 * axes/handlers/database.py user_login_failed: get_or_create on (username, ip_address, user_agent), new
 * rows with failures_since_start 1, an existing one gets http_accept, path_info and attempt_time of this
 * attempt and one more failure (its key columns untouched). One statement, so concurrent failures from
 * several hosts each count (axes does it with SELECT ... FOR UPDATE in a transaction). get_data and
 * post_data are the request's GET and POST parameters: a Basic check has none, so new rows get '' and
 * existing ones keep theirs (axes would append an empty section after a separator on every failure).
 * Values: username, ip_address, user_agent, http_accept, path_info, attempt_time.
 */
function recordFailureSql(dialect: Dialect): string {
  const q = (identifier: string) => dialect.quote(identifier);
  const table = q(AXES_TABLE);
  const p = (i: number) => dialect.placeholder(i);
  const columns = AXES_INSERT_COLUMNS;
  const insert = `INSERT INTO ${table} (${columns.map(q).join(", ")}) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${timeValue(dialect, p(6))}, '', '', 1)`;
  const failures = `${table}.${q("failures_since_start")}`;
  if (dialect.name === "mysql") {
    const set = ["http_accept", "path_info", "attempt_time"].map((c) => `${q(c)} = VALUES(${q(c)})`);
    return `${insert} ON DUPLICATE KEY UPDATE ${set.join(", ")}, ${q("failures_since_start")} = ${failures} + 1`;
  }
  const set = ["http_accept", "path_info", "attempt_time"].map((c) => `${q(c)} = excluded.${q(c)}`);
  return `${insert} ON CONFLICT (${q("username")}, ${q("ip_address")}, ${q("user_agent")}) DO UPDATE SET ${set.join(", ")}, ${q("failures_since_start")} = ${failures} + 1`;
}

/** A bound UTC time text as the column's type. */
function timeValue(dialect: Dialect, placeholder: string): string {
  return dialect.name === "postgres" ? `(${placeholder}::timestamp AT TIME ZONE 'UTC')` : placeholder;
}

/** The newest attempt_time of the matching rows as "YYYY-MM-DD HH:MM:SS[.ffffff]" UTC text. */
function latestText(dialect: Dialect): string {
  const column = dialect.quote("attempt_time");
  switch (dialect.name) {
    case "postgres":
      return `to_char(MAX(${column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
    case "mysql":
      return `DATE_FORMAT(MAX(${column}), '%Y-%m-%d %H:%i:%s.%f')`;
    case "sqlite":
      return `MAX(${column})`;
  }
}

/** A time as Django writes it for SQLite (str() of a naive UTC datetime: no fraction when it is zero). */
export function utcText(time: Date): string {
  const iso = time.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${millis === "000" ? "" : `.${millis}000`}`;
}

/** Reads utcText's form (and MySQL's or PostgreSQL's with six fraction digits) back as a time. */
export function parseUtcText(text: string): Date | null {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (match === null) return null;
  const millis = (match[3] ?? "").padEnd(3, "0").slice(0, 3);
  const time = new Date(`${match[1]}T${match[2]}.${millis}Z`);
  return Number.isNaN(time.getTime()) ? null : time;
}
