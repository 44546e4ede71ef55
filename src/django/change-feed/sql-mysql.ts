// MySQL and MariaDB: triggers append (kind, key) rows to a change table with an AUTO_INCREMENT id, which
// the subscriber polls (poll-feed.ts). Each trigger body is one statement (INSERT ... SELECT ... WHERE), so
// the printed SQL runs in the mysql client without DELIMITER. Triggers run with their definer's privileges
// (the DBA who installed them), so Django's account needs no grant on the change table; the definer
// account must stay. Session keys are stored hashed (SHA2), as PostgreSQL's payloads carry them.
import { MYSQL_DIALECT } from "../database/types.js";
import type { UserModelMapping } from "../user-model.js";
import { allTriggerNames, CHANGE_TABLE, triggerName, watchedTables, type FeedSql, type RowEvent, type WatchedTable } from "./watched.js";

const q = (identifier: string): string => MYSQL_DIALECT.quote(identifier);

export const MYSQL_CHANGE_TABLE_SQL =
  `CREATE TABLE IF NOT EXISTS ${q(CHANGE_TABLE)} (` +
  `${q("id")} BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, ` +
  `${q("kind")} VARCHAR(16) NOT NULL, ` +
  `${q("k")} VARCHAR(191) NOT NULL, ` +
  `${q("at")} TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), ` +
  `KEY ${q(`${CHANGE_TABLE}_at`)} (${q("at")})` +
  `) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

function key(watched: WatchedTable, record: "OLD" | "NEW"): string {
  if (watched.keyColumn === null) return "''";
  const column = `${record}.${q(watched.keyColumn)}`;
  return watched.hashKey ? `LEFT(SHA2(${column}, 256), 32)` : column;
}

function body(watched: WatchedTable, event: RowEvent): string {
  const insert = `INSERT INTO ${q(CHANGE_TABLE)} (${q("kind")}, ${q("k")}) `;
  if (event === "INSERT") return `${insert}VALUES ('${watched.kind}', ${key(watched, "NEW")})`;
  if (event === "DELETE") return `${insert}VALUES ('${watched.kind}', ${key(watched, "OLD")})`;
  const columns = watched.keyColumn === null ? watched.columns : [watched.keyColumn, ...watched.columns];
  const same = columns.map((column) => `OLD.${q(column)} <=> NEW.${q(column)}`).join(" AND ");
  const old = `SELECT '${watched.kind}', ${key(watched, "OLD")} FROM DUAL WHERE NOT (${same})`;
  if (watched.keyColumn === null) return insert + old;
  const moved = `SELECT '${watched.kind}', ${key(watched, "NEW")} FROM DUAL WHERE NOT (OLD.${q(watched.keyColumn)} <=> NEW.${q(watched.keyColumn)})`;
  return `${insert}${old} UNION ALL ${moved}`;
}

export function mysqlFeedSql(mapping: Partial<UserModelMapping>): FeedSql {
  const install: string[] = [MYSQL_CHANGE_TABLE_SQL];
  for (const watched of watchedTables(mapping)) {
    for (const event of watched.events) {
      const name = triggerName(watched, event);
      install.push(`DROP TRIGGER IF EXISTS ${q(name)}`);
      install.push(`CREATE TRIGGER ${q(name)} AFTER ${event} ON ${q(watched.table)} FOR EACH ROW ${body(watched, event)}`);
    }
  }
  const remove = [...allTriggerNames().map((name) => `DROP TRIGGER IF EXISTS ${q(name)}`), `DROP TABLE IF EXISTS ${q(CHANGE_TABLE)}`];
  return { install, remove, transactional: false };
}

/** The subscriber's statements. */
export const MYSQL_FEED_QUERIES = {
  last: `SELECT COALESCE(MAX(${q("id")}), 0) AS ${q("id")} FROM ${q(CHANGE_TABLE)}`,
  /** ? = the last id read; the caller appends its LIMIT. */
  since: `SELECT ${q("id")} AS ${q("id")}, ${q("kind")} AS ${q("kind")}, ${q("k")} AS ${q("k")} FROM ${q(CHANGE_TABLE)} WHERE ${q("id")} > ? ORDER BY ${q("id")}`,
  /** ? = retention in seconds: rows older than that, a batch at a time. */
  cleanup: `DELETE FROM ${q(CHANGE_TABLE)} WHERE ${q("at")} < NOW(6) - INTERVAL ? SECOND ORDER BY ${q("id")} LIMIT 1000`,
} as const;
