// The doctor's grant probe, run inside doctor-probe.js as the worker's user: every statement the worker would
// run for a section beyond the user-table read (the groups and permissions reads, the session row, the axes
// table, the password upgrade), each with values that match no row, so the database itself decides whether
// the privilege is there. A write is probed with a statement that can change no row by its own WHERE (1=0) and
// still needs the privilege: PostgreSQL and MariaDB check privileges before they execute, whatever the WHERE
// selects, and SQLite refuses any write statement on a file it opened read-only (a file its user cannot write).
// SQLite writes also need the directory (the rollback journal is created next to the file), which no
// statement that changes nothing touches, so that is asked of the file system as this user.
import { accessSync, constants } from "node:fs";
import { dirname } from "node:path";
import { AXES_INSERT_COLUMNS, buildAxesStatements, utcText, AXES_TABLE } from "../django/axes-queries.js";
import type { DjangoSettings } from "../django/config.js";
import type { Database, Dialect, SqlValue } from "../django/database/index.js";
import { buildStatements } from "../django/queries.js";
import { resolveMapping } from "../django/user-model.js";

/** WRITE: SQLite's directory, which must be writable as well as the file. */
export type Privilege = "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WRITE";

/** One statement of the worker's, the tables it touches and the privilege it needs on them. */
interface GrantNeed {
  readonly what: string;
  readonly tables: readonly string[];
  readonly privilege: Privilege;
  readonly sql: string;
  readonly values: readonly SqlValue[];
}

/** A statement the database refused: the tables (the one the driver named, else all the statement's). */
export interface GrantProblem {
  readonly what: string;
  readonly tables: readonly string[];
  readonly privilege: Privilege;
  /** Whether the database said "permission denied" (else: a missing table or column, a read-only file...). */
  readonly denied: boolean;
  readonly error: string;
}

export interface GrantReport {
  /** What was probed, e.g. "groups", "permissions", "upgrade_hashes". */
  readonly checked: readonly string[];
  readonly problems: readonly GrantProblem[];
  /** The account the server logged the probe in as (PostgreSQL's role, MariaDB's `user@host`), for the GRANT; null for SQLite or unknown. */
  readonly account: string | null;
}

/** Who the server says the connection is: the name a GRANT must use (MariaDB's host part included). */
async function currentAccount(database: Database): Promise<string | null> {
  const sql = { postgres: "SELECT current_user AS a", mysql: "SELECT CURRENT_USER() AS a", sqlite: null }[database.dialect.name];
  if (sql === null) return null;
  try {
    const value = (await database.query(sql, []))[0]?.a;
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

const NO_USER = "anp doctor probe";

/** The reads the worker runs on every request of the section, with values no row has. */
function readNeeds(dialect: Dialect, settings: DjangoSettings): GrantNeed[] {
  const m = resolveMapping(settings.mapping);
  const s = buildStatements(dialect, m);
  const needs: GrantNeed[] = [
    { what: "groups", tables: [m.userTable, m.userGroupsTable, m.groupTable], privilege: "SELECT", sql: s.userWithGroupsByName, values: [NO_USER] },
    {
      what: "permissions",
      tables: [m.permissionTable, m.contentTypeTable, m.userPermissionsTable, m.groupPermissionsTable, m.userGroupsTable],
      privilege: "SELECT",
      sql: s.permissions,
      // NULL matches no user id whatever the key's type (an integer, a UUID).
      values: [null, null],
    },
  ];
  const { engine, secretKeyFile } = settings.session;
  if (secretKeyFile !== null && (engine === "db" || engine === "cached_db")) {
    const now = new Date();
    const at = dialect.name === "postgres" ? now.toISOString() : utcText(now);
    needs.push({ what: "sessions", tables: ["django_session"], privilege: "SELECT", sql: s.sessionByKey, values: [at, "", at] });
  }
  const axes = settings.axes;
  if (axes.mode !== "off") {
    const cooloff = axes.cooloffMs !== null;
    const values = axes.parameters.flatMap((fields) => [...fields.map(() => ""), ...(cooloff ? [utcText(new Date())] : [])]);
    needs.push({ what: "axes", tables: [AXES_TABLE], privilege: "SELECT", sql: buildAxesStatements(dialect, axes.parameters, cooloff).failures, values });
  }
  return needs;
}

/** The writes the section's options make the worker do, each as a statement that changes no row. */
function writeNeeds(dialect: Dialect, settings: DjangoSettings): GrantNeed[] {
  const q = (identifier: string): string => dialect.quote(identifier);
  const m = resolveMapping(settings.mapping);
  const needs: GrantNeed[] = [];
  if (settings.upgradeHashes) {
    const sql = `UPDATE ${q(m.userTable)} SET ${q(m.passwordColumn)} = ${q(m.passwordColumn)} WHERE 1=0`;
    needs.push({ what: "upgrade_hashes", tables: [m.userTable], privilege: "UPDATE", sql, values: [] });
  }
  if (settings.axes.mode === "record") {
    const t = q(AXES_TABLE);
    const column = q("failures_since_start");
    // The columns the worker's insert names (MariaDB's strict mode checks them even when no row is selected).
    const columns = AXES_INSERT_COLUMNS.map(q).join(", ");
    needs.push(
      { what: "axes record", tables: [AXES_TABLE], privilege: "INSERT", sql: `INSERT INTO ${t} (${columns}) SELECT ${columns} FROM ${t} WHERE 1=0`, values: [] },
      { what: "axes record", tables: [AXES_TABLE], privilege: "UPDATE", sql: `UPDATE ${t} SET ${column} = ${column} WHERE 1=0`, values: [] },
      { what: "axes reset", tables: [AXES_TABLE], privilege: "DELETE", sql: `DELETE FROM ${t} WHERE 1=0`, values: [] },
    );
  }
  return needs;
}

/** Whether the section makes the worker write (and so open SQLite read-write). */
export function sectionWrites(settings: DjangoSettings): boolean {
  return settings.upgradeHashes || settings.axes.mode === "record";
}

/** The table a permission error names (PostgreSQL: `permission denied for table t`; MariaDB: `... for table `db`.`t``). */
function deniedTable(message: string): string | null {
  const pg = /permission denied for (?:table|relation) "?([\w$]+)"?/i.exec(message);
  if (pg) return pg[1] as string;
  const my = /command denied to user .* for table [`']?(?:[^`'.]+[`']?\.[`']?)?([\w$]+)[`']?/i.exec(message);
  return my ? (my[1] as string) : null;
}

const isDenied = (message: string): boolean => /permission denied|command denied|readonly database|read-only/i.test(message);

/** Runs every need for the section on `database` (opened read-write when the section writes); `sqlitePath` for SQLite. */
export async function probeGrants(database: Database, settings: DjangoSettings, sqlitePath: string | null): Promise<GrantReport> {
  const needs = [...readNeeds(database.dialect, settings), ...writeNeeds(database.dialect, settings)];
  const problems: GrantProblem[] = [];
  for (const need of needs) {
    try {
      if (need.privilege === "SELECT") await database.query(need.sql, need.values);
      else await database.execute(need.sql, need.values);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const named = deniedTable(message);
      problems.push({ what: need.what, tables: named === null ? need.tables : [named], privilege: need.privilege, denied: isDenied(message), error: message });
    }
  }
  if (sqlitePath !== null && sectionWrites(settings)) {
    const directory = dirname(sqlitePath);
    try {
      accessSync(directory, constants.W_OK | constants.X_OK);
    } catch {
      problems.push({ what: "sqlite journal", tables: [directory], privilege: "WRITE", denied: true, error: `the directory ${directory} is not writable (SQLite writes its journal there)` });
    }
  }
  const account = problems.length > 0 ? await currentAccount(database) : null;
  return { checked: [...new Set(needs.map((need) => `${need.what} (${need.privilege})`))], problems, account };
}
