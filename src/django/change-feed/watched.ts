// What the triggers watch, from the user-model mapping: every table whose rows decide an answer, the
// columns whose change matters, and the event each row change becomes. The three dialects' SQL
// (sql-postgres.ts, sql-mysql.ts, sql-sqlite.ts) is written from this one list, so they watch the same things.
// Trigger and function names are fixed (they do not follow the mapping), so removal needs no mapping and
// finds what an install with another mapping left.
import { resolveMapping, type UserModelMapping } from "../user-model.js";
import type { ChangeKind } from "./events.js";

export type RowEvent = "INSERT" | "UPDATE" | "DELETE";

export interface WatchedTable {
  /** Our name for it: the trigger's (and PostgreSQL function's) name after the prefix. */
  readonly name: string;
  readonly table: string;
  readonly events: readonly RowEvent[];
  readonly kind: ChangeKind;
  /** The column whose value is the event's key; null for kind "all". */
  readonly keyColumn: string | null;
  /** UPDATE: the row matters only when one of these changed (the key column always counts). */
  readonly columns: readonly string[];
  /** The key is a session key: events carry its hash, never the key. */
  readonly hashKey: boolean;
}

/** Every object of ours starts with this, so a catalog listing finds them all and nothing of anyone else. */
export const PREFIX = "anp_feed_";
/** PostgreSQL's NOTIFY channel. */
export const CHANNEL = "anp_feed";
/** MySQL's and SQLite's change table. */
export const CHANGE_TABLE = "anp_feed_change";

/** The watched tables for `overrides` (the location's user-model options). */
export function watchedTables(overrides: Partial<UserModelMapping>): WatchedTable[] {
  const m = resolveMapping(overrides);
  const flags = [m.isActiveColumn, m.isStaffColumn, m.isSuperuserColumn].filter((column): column is string => column !== null);
  const all: RowEvent[] = ["INSERT", "UPDATE", "DELETE"];
  const changes: RowEvent[] = ["UPDATE", "DELETE"];
  const table = (name: string, spec: Omit<WatchedTable, "name" | "hashKey"> & { hashKey?: boolean }): WatchedTable => ({ name, hashKey: false, ...spec });
  return [
    // The user name too: a renamed user's cached answers were given under the old name.
    table("user", { table: m.userTable, events: changes, kind: "user", keyColumn: m.userIdColumn, columns: [m.passwordColumn, m.usernameColumn, ...flags] }),
    table("user_groups", { table: m.userGroupsTable, events: all, kind: "user", keyColumn: m.userGroupsUserColumn, columns: [m.userGroupsGroupColumn] }),
    table("user_perms", { table: m.userPermissionsTable, events: all, kind: "user", keyColumn: m.userPermissionsUserColumn, columns: ["permission_id"] }),
    table("group_perms", { table: m.groupPermissionsTable, events: all, kind: "group", keyColumn: "group_id", columns: ["permission_id"] }),
    table("group", { table: m.groupTable, events: changes, kind: "group", keyColumn: "id", columns: ["name"] }),
    table("perm", { table: m.permissionTable, events: changes, kind: "permission", keyColumn: "id", columns: ["codename", "content_type_id"] }),
    // A renamed app label changes what app_label.codename every permission answers to: start over.
    table("content_type", { table: m.contentTypeTable, events: changes, kind: "all", keyColumn: null, columns: ["app_label"] }),
    table("session", { table: "django_session", events: all, kind: "session", keyColumn: "session_key", columns: ["session_data", "expire_date"], hashKey: true }),
  ];
}

/** The trigger names of a table in the dialects that name one trigger per row event (MySQL, SQLite). */
export function triggerName(watched: WatchedTable, event: RowEvent): string {
  return `${PREFIX}${watched.name}_${event.slice(0, 3).toLowerCase()}`;
}

/** Every trigger name MySQL and SQLite may hold, whatever mapping installed them. */
export function allTriggerNames(): string[] {
  return watchedTables({}).flatMap((watched) => (["INSERT", "UPDATE", "DELETE"] as const).map((event) => triggerName(watched, event)));
}

/** The SQL a command runs or prints: statements without their final `;`. */
export interface FeedSql {
  readonly install: readonly string[];
  readonly remove: readonly string[];
  /** Whether the statements can run as one transaction (PostgreSQL, SQLite; MySQL commits each DDL statement). */
  readonly transactional: boolean;
}
