// SQLite: triggers append (kind, key) rows to a change table with an AUTOINCREMENT id (never reused, and
// in commit order, as SQLite has one writer at a time), read by the subscriber when `PRAGMA data_version`
// says another connection committed. The table prunes itself: every 1000th row deletes those more than
// CHANGE_ROWS_KEPT behind it, so it needs no cleaner with write access. Session keys are stored as they are
// (whoever can read this file can read django_session) and hashed by the subscriber.
import { SQLITE_DIALECT } from "../database/types.js";
import type { UserModelMapping } from "../user-model.js";
import { allTriggerNames, CHANGE_TABLE, PREFIX, triggerName, watchedTables, type FeedSql, type RowEvent, type WatchedTable } from "./watched.js";

const q = (identifier: string): string => SQLITE_DIALECT.quote(identifier);

/** Rows the change table keeps: a subscriber further behind than this sees a gap. */
export const CHANGE_ROWS_KEPT = 10_000;
const PRUNE = `${PREFIX}prune`;

function key(watched: WatchedTable, record: "OLD" | "NEW"): string {
  return watched.keyColumn === null ? "''" : `${record}.${q(watched.keyColumn)}`;
}

function triggerSql(watched: WatchedTable, event: RowEvent, name: string): string {
  const insert = (record: "OLD" | "NEW"): string => `INSERT INTO ${q(CHANGE_TABLE)} (${q("kind")}, ${q("k")}) VALUES ('${watched.kind}', ${key(watched, record)});`;
  const head = `CREATE TRIGGER ${q(name)} AFTER ${event} ON ${q(watched.table)} FOR EACH ROW`;
  if (event === "INSERT") return `${head} BEGIN ${insert("NEW")} END`;
  if (event === "DELETE") return `${head} BEGIN ${insert("OLD")} END`;
  const columns = watched.keyColumn === null ? watched.columns : [watched.keyColumn, ...watched.columns];
  const same = columns.map((column) => `OLD.${q(column)} IS NEW.${q(column)}`).join(" AND ");
  const moved =
    watched.keyColumn === null
      ? ""
      : ` INSERT INTO ${q(CHANGE_TABLE)} (${q("kind")}, ${q("k")}) SELECT '${watched.kind}', NEW.${q(watched.keyColumn)} WHERE OLD.${q(watched.keyColumn)} IS NOT NEW.${q(watched.keyColumn)};`;
  return `${head} WHEN NOT (${same}) BEGIN ${insert("OLD")}${moved} END`;
}

export function sqliteFeedSql(mapping: Partial<UserModelMapping>): FeedSql {
  const install: string[] = [
    `CREATE TABLE IF NOT EXISTS ${q(CHANGE_TABLE)} (${q("id")} INTEGER PRIMARY KEY AUTOINCREMENT, ${q("kind")} TEXT NOT NULL, ` +
      `${q("k")} TEXT NOT NULL, ${q("at")} TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')))`,
    `DROP TRIGGER IF EXISTS ${q(PRUNE)}`,
    `CREATE TRIGGER ${q(PRUNE)} AFTER INSERT ON ${q(CHANGE_TABLE)} FOR EACH ROW WHEN NEW.${q("id")} % 1000 = 0 ` +
      `BEGIN DELETE FROM ${q(CHANGE_TABLE)} WHERE ${q("id")} <= NEW.${q("id")} - ${CHANGE_ROWS_KEPT}; END`,
  ];
  for (const watched of watchedTables(mapping)) {
    for (const event of watched.events) {
      const name = triggerName(watched, event);
      install.push(`DROP TRIGGER IF EXISTS ${q(name)}`);
      install.push(triggerSql(watched, event, name));
    }
  }
  const remove = [...[...allTriggerNames(), PRUNE].map((name) => `DROP TRIGGER IF EXISTS ${q(name)}`), `DROP TABLE IF EXISTS ${q(CHANGE_TABLE)}`];
  return { install, remove, transactional: true };
}

/** The subscriber's statements. */
export const SQLITE_FEED_QUERIES = {
  last: `SELECT COALESCE(MAX(${q("id")}), 0) AS ${q("id")} FROM ${q(CHANGE_TABLE)}`,
  /** ? = the last id read; the caller appends its LIMIT. */
  since: `SELECT ${q("id")} AS ${q("id")}, ${q("kind")} AS ${q("kind")}, ${q("k")} AS ${q("k")} FROM ${q(CHANGE_TABLE)} WHERE ${q("id")} > ? ORDER BY ${q("id")}`,
} as const;
