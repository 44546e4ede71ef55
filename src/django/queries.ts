// The handler's SQL, written once per dialect and user-model mapping. Identifiers come from a validated
// mapping and are quoted for the dialect; every value is a placeholder. Columns are aliased so all
// drivers return the same keys.
import type { Dialect } from "./database/types.js";
import type { UserModelMapping } from "./user-model.js";

export interface Statements {
  /** $1 = the USERNAME_FIELD value -> user_id, password[, is_active][, is_superuser]; LIMIT 2 to see duplicates. */
  readonly userByName: string;
  /** $1 = user id -> name */
  readonly groupNames: string;
  /**
   * $1 = the USERNAME_FIELD value -> user_id[, is_active], name: the user and its groups in one round trip,
   * one row per group, a single row with a NULL name for a user in no group, none for an unknown user.
   */
  readonly groupsByName: string;
  /**
   * $1 = the USERNAME_FIELD value -> userByName's columns plus the group name: the password check and the
   * groups folded into its answer in one round trip, one row per group (a NULL name for no group).
   */
  readonly userWithGroupsByName: string;
  /**
   * PostgreSQL only (null elsewhere): $1 = an array of USERNAME_FIELD values -> userByName's columns plus
   * lookup_key (the stored name), for every user whose name is in the array: many checks, one statement.
   */
  readonly userByNames: string | null;
  /** PostgreSQL only (null elsewhere): userWithGroupsByName for an array of names, plus lookup_key. */
  readonly userWithGroupsByNames: string | null;
  /**
   * PostgreSQL only (null elsewhere): $1 = the user table, $2 = the USERNAME_FIELD column -> type_name,
   * deterministic: whether batched lookups can match rows to names by exact string equality.
   */
  readonly usernameColumnType: string | null;
  /** $1, $2 = user id -> app_label, codename: the user's own permissions and their groups' (ModelBackend). */
  readonly permissions: string;
  /** $1 = new encoded, $2 = user id, $3 = the encoded value that was verified (compare-and-swap). */
  readonly upgradePassword: string;
  /**
   * $1 = now, $2 = session key, $3 = now again (both in sessionTimeValue's form) -> session_data of
   * django_session's row whose expire_date is after now, as Django's SessionStore.load reads it, and
   * `remaining_ms`: expire_date minus now in milliseconds, by the database's own arithmetic on the same values it
   * compares (how long a stamped grant may be kept); no row for a missing or expired one. The placeholders are
   * numbered in the text's order (MySQL's are positional).
   */
  readonly sessionByKey: string;
  /**
   * $1 = the primary key as the session stores it (text) -> user_id, username (the USERNAME_FIELD value),
   * password[, is_active][, is_superuser][, is_staff]: ModelBackend.get_user's one read by primary key.
   */
  readonly userById: string;
  /** $1 = the USERNAME_FIELD value -> user_id[, is_superuser][, is_staff] (Require node-staff / node-superuser); LIMIT 2. */
  readonly flagsByName: string;
}

export function buildStatements(dialect: Dialect, mapping: UserModelMapping): Statements {
  const q = (identifier: string): string => dialect.quote(identifier);
  const p = (index: number): string => dialect.placeholder(index);
  const m = mapping;

  const userColumns = [
    `u.${q(m.userIdColumn)} AS ${q("user_id")}`,
    `u.${q(m.passwordColumn)} AS ${q("password")}`,
    ...(m.isActiveColumn === null ? [] : [`u.${q(m.isActiveColumn)} AS ${q("is_active")}`]),
    ...(m.isSuperuserColumn === null ? [] : [`u.${q(m.isSuperuserColumn)} AS ${q("is_superuser")}`]),
  ];
  const userByName =
    `SELECT ${userColumns.join(", ")} FROM ${q(m.userTable)} u ` +
    `WHERE u.${q(m.usernameColumn)} = ${p(1)} LIMIT 2`;

  const groupNames =
    `SELECT g.${q("name")} AS ${q("name")} FROM ${q(m.groupTable)} g ` +
    `INNER JOIN ${q(m.userGroupsTable)} ug ON ug.${q(m.userGroupsGroupColumn)} = g.${q("id")} ` +
    `WHERE ug.${q(m.userGroupsUserColumn)} = ${p(1)}`;

  const groupsByName =
    `SELECT u.${q(m.userIdColumn)} AS ${q("user_id")}` +
    (m.isActiveColumn === null ? "" : `, u.${q(m.isActiveColumn)} AS ${q("is_active")}`) +
    `, g.${q("name")} AS ${q("name")} FROM ${q(m.userTable)} u ` +
    `LEFT JOIN ${q(m.userGroupsTable)} ug ON ug.${q(m.userGroupsUserColumn)} = u.${q(m.userIdColumn)} ` +
    `LEFT JOIN ${q(m.groupTable)} g ON g.${q("id")} = ug.${q(m.userGroupsGroupColumn)} ` +
    `WHERE u.${q(m.usernameColumn)} = ${p(1)}`;

  const userWithGroupsByName =
    `SELECT ${userColumns.join(", ")}, g.${q("name")} AS ${q("name")} FROM ${q(m.userTable)} u ` +
    `LEFT JOIN ${q(m.userGroupsTable)} ug ON ug.${q(m.userGroupsUserColumn)} = u.${q(m.userIdColumn)} ` +
    `LEFT JOIN ${q(m.groupTable)} g ON g.${q("id")} = ug.${q(m.userGroupsGroupColumn)} ` +
    `WHERE u.${q(m.usernameColumn)} = ${p(1)}`;

  // `= ANY($1)` lets PostgreSQL type the array as the column's own type and use its index; the stored
  // name comes back so each row can be handed to the check that asked for it (src/django/lookup-batcher.ts).
  const lookupKey = `u.${q(m.usernameColumn)} AS ${q("lookup_key")}`;
  const batched = dialect.name === "postgres";
  const userByNames = batched
    ? `SELECT ${lookupKey}, ${userColumns.join(", ")} FROM ${q(m.userTable)} u WHERE u.${q(m.usernameColumn)} = ANY(${p(1)})`
    : null;
  const userWithGroupsByNames = batched
    ? `SELECT ${lookupKey}, ${userColumns.join(", ")}, g.${q("name")} AS ${q("name")} FROM ${q(m.userTable)} u ` +
      `LEFT JOIN ${q(m.userGroupsTable)} ug ON ug.${q(m.userGroupsUserColumn)} = u.${q(m.userIdColumn)} ` +
      `LEFT JOIN ${q(m.groupTable)} g ON g.${q("id")} = ug.${q(m.userGroupsGroupColumn)} ` +
      `WHERE u.${q(m.usernameColumn)} = ANY(${p(1)})`
    : null;

  const usernameColumnType = batched
    ? "SELECT t.typname AS type_name, COALESCE(c.collisdeterministic, true) AS deterministic FROM pg_attribute a " +
      "INNER JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_collation c ON c.oid = a.attcollation " +
      "WHERE a.attrelid = $1::regclass AND a.attname = $2 AND NOT a.attisdropped"
    : null;

  const permissions =
    `SELECT ct.${q("app_label")} AS ${q("app_label")}, perm.${q("codename")} AS ${q("codename")} ` +
    `FROM ${q(m.permissionTable)} perm ` +
    `INNER JOIN ${q(m.contentTypeTable)} ct ON ct.${q("id")} = perm.${q("content_type_id")} ` +
    `WHERE perm.${q("id")} IN (SELECT up.${q("permission_id")} FROM ${q(m.userPermissionsTable)} up ` +
    `WHERE up.${q(m.userPermissionsUserColumn)} = ${p(1)}) ` +
    `OR perm.${q("id")} IN (SELECT gp.${q("permission_id")} FROM ${q(m.groupPermissionsTable)} gp ` +
    `INNER JOIN ${q(m.userGroupsTable)} ug ON ug.${q(m.userGroupsGroupColumn)} = gp.${q("group_id")} ` +
    `WHERE ug.${q(m.userGroupsUserColumn)} = ${p(2)})`;

  // MySQL compares with the column's collation, usually case-insensitive; the swap must match exactly.
  const expected = dialect.name === "mysql" ? `BINARY ${p(3)}` : p(3);
  const upgradePassword =
    `UPDATE ${q(m.userTable)} SET ${q(m.passwordColumn)} = ${p(1)} ` +
    `WHERE ${q(m.userIdColumn)} = ${p(2)} AND ${q(m.passwordColumn)} = ${expected}`;

  return {
    ...sessionStatements(dialect, m, userColumns),
    userByName,
    groupNames, groupsByName, userWithGroupsByName, userByNames, userWithGroupsByNames, usernameColumnType, permissions, upgradePassword };
}

/** The session check's statements (src/django/session-check.ts) and the user-flags read. */
function sessionStatements(dialect: Dialect, m: UserModelMapping, userColumns: readonly string[]): Pick<Statements, "sessionByKey" | "userById" | "flagsByName"> {
  const q = (identifier: string): string => dialect.quote(identifier);
  const p = (index: number): string => dialect.placeholder(index);
  const staff = m.isStaffColumn === null ? [] : [`u.${q(m.isStaffColumn)} AS ${q("is_staff")}`];
  const superuser = m.isSuperuserColumn === null ? [] : [`u.${q(m.isSuperuserColumn)} AS ${q("is_superuser")}`];
  const flagsByName =
    `SELECT ${[`u.${q(m.userIdColumn)} AS ${q("user_id")}`, ...superuser, ...staff].join(", ")} FROM ${q(m.userTable)} u ` +
    `WHERE u.${q(m.usernameColumn)} = ${p(1)} LIMIT 2`;
  const userById =
    `SELECT ${[...userColumns, `u.${q(m.usernameColumn)} AS ${q("username")}`, ...staff].join(", ")} ` +
    `FROM ${q(m.userTable)} u WHERE u.${q(m.userIdColumn)} = ${p(1)}`;
  const sessionByKey =
    `SELECT s.${q("session_data")} AS ${q("session_data")}, ${remainingMs(dialect, `s.${q("expire_date")}`, p(1))} AS ${q("remaining_ms")} ` +
    `FROM ${q("django_session")} s WHERE s.${q("session_key")} = ${p(2)} AND s.${q("expire_date")} > ${sessionTimeValue(dialect, p(3))}`;
  return { sessionByKey, userById, flagsByName };
}

/**
 * The bound "now" as expire_date's type: PostgreSQL's column is timestamptz, so an instant (ISO text with
 * its offset) compares rightly whatever USE_TZ was; MySQL's datetime(6) and SQLite's text hold a naive time
 * (UTC with USE_TZ, else TIME_ZONE's local time), bound as the same naive text (src/django/session-check.ts).
 */
function sessionTimeValue(dialect: Dialect, placeholder: string): string {
  return dialect.name === "postgres" ? `${placeholder}::timestamptz` : placeholder;
}

/** `column` minus the bound time (sessionTimeValue's form) in whole milliseconds, rounded down. */
function remainingMs(dialect: Dialect, column: string, placeholder: string): string {
  switch (dialect.name) {
    case "postgres":
      return `FLOOR(EXTRACT(EPOCH FROM (${column} - ${placeholder}::timestamptz)) * 1000)`;
    case "mysql":
      return `FLOOR(TIMESTAMPDIFF(MICROSECOND, ${placeholder}, ${column}) / 1000)`;
    case "sqlite":
      return `CAST((julianday(${column}) - julianday(${placeholder})) * 86400000 AS INTEGER)`;
  }
}

/**
 * The operators' reads of the user table (src/django/user-table.ts, for the CLI): one user's whole row, the
 * row count, and every stored password in pages ordered by primary key. Each page after the first starts
 * after the last key of the one before (keyset pagination), so memory holds one page and no page costs more
 * than the first, as OFFSET's would.
 */
export interface UserTableStatements {
  /** $1 = the USERNAME_FIELD value -> every column of the row, as stored; LIMIT 2 to see duplicates. */
  readonly wholeRowByName: string;
  /** -> n, the number of rows. */
  readonly rowCount: string;
  /** -> k (primary key), p (password) for the first page. */
  readonly firstPasswordPage: string;
  /** $1 = the last key of the page before -> k, p for the next page. */
  readonly nextPasswordPage: string;
}

export function buildUserTableStatements(dialect: Dialect, mapping: UserModelMapping, pageSize: number): UserTableStatements {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError("page size must be a positive integer");
  const q = (identifier: string): string => dialect.quote(identifier);
  const m = mapping;
  const id = `u.${q(m.userIdColumn)}`;
  // The page size is an integer of ours, written into the text: MySQL prepared statements refuse a bound LIMIT.
  const page = `SELECT ${id} AS ${q("k")}, u.${q(m.passwordColumn)} AS ${q("p")} FROM ${q(m.userTable)} u`;
  return {
    wholeRowByName: `SELECT u.* FROM ${q(m.userTable)} u WHERE u.${q(m.usernameColumn)} = ${dialect.placeholder(1)} LIMIT 2`,
    rowCount: `SELECT COUNT(*) AS ${q("n")} FROM ${q(m.userTable)}`,
    firstPasswordPage: `${page} ORDER BY ${id} LIMIT ${pageSize}`,
    nextPasswordPage: `${page} WHERE ${id} > ${dialect.placeholder(1)} ORDER BY ${id} LIMIT ${pageSize}`,
  };
}
