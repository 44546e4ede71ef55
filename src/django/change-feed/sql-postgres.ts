// PostgreSQL: one trigger function per watched table that calls pg_notify on one channel with "kind:key";
// listeners get each payload once their transaction commits, in commit order, while their session lasts.
// No change table: a listening session misses nothing while it is connected, and a lost session is the one
// gap there is, which the subscriber turns into an "all" event (docs/change-feed.md says why not logical
// decoding). Functions run as whoever changed the row (SECURITY INVOKER): pg_notify needs no privilege, so
// Django's role needs nothing new. Catalog functions are schema-qualified, so a search_path cannot swap them.
import { POSTGRES_DIALECT } from "../database/types.js";
import type { UserModelMapping } from "../user-model.js";
import { CHANNEL, PREFIX, watchedTables, type FeedSql, type WatchedTable } from "./watched.js";

const q = (identifier: string): string => POSTGRES_DIALECT.quote(identifier);

/** The payload for the row `record` (OLD or NEW) as a SQL expression. */
function payload(watched: WatchedTable, record: "OLD" | "NEW"): string {
  if (watched.keyColumn === null) return `'all:'`;
  const column = `${record}.${q(watched.keyColumn)}`;
  const key = watched.hashKey
    ? `pg_catalog."left"(pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(${column}, 'UTF8')), 'hex'), 32)`
    : `${column}::text`;
  return `'${watched.kind}:' || ${key}`;
}

function notify(watched: WatchedTable, record: "OLD" | "NEW"): string {
  return `PERFORM pg_catalog.pg_notify('${CHANNEL}', ${payload(watched, record)});`;
}

/** The function body: NEW is read only when the operation has one (never short-circuit on TG_OP in one expression). */
function functionSql(watched: WatchedTable): string {
  const columns = watched.keyColumn === null ? watched.columns : [watched.keyColumn, ...watched.columns];
  const changed = columns.map((column) => `OLD.${q(column)} IS DISTINCT FROM NEW.${q(column)}`).join(" OR ");
  const lines = [
    `CREATE OR REPLACE FUNCTION ${PREFIX}${watched.name}() RETURNS trigger LANGUAGE plpgsql AS $anp$`,
    "BEGIN",
    "  IF TG_OP = 'INSERT' THEN",
    `    ${notify(watched, "NEW")}`,
    "  ELSIF TG_OP = 'DELETE' THEN",
    `    ${notify(watched, "OLD")}`,
    `  ELSIF ${changed} THEN`,
    `    ${notify(watched, "OLD")}`,
    ...(watched.keyColumn === null
      ? []
      : [`    IF OLD.${q(watched.keyColumn)} IS DISTINCT FROM NEW.${q(watched.keyColumn)} THEN`, `      ${notify(watched, "NEW")}`, "    END IF;"]),
    "  END IF;",
    "  RETURN NULL;",
    "END",
    "$anp$",
  ];
  return lines.join("\n");
}

/** Every function name of ours, whatever mapping installed them: dropping them drops their triggers (CASCADE). */
function functionNames(): string[] {
  return watchedTables({}).map((watched) => `${PREFIX}${watched.name}`);
}

export function postgresFeedSql(mapping: Partial<UserModelMapping>): FeedSql {
  const install: string[] = [];
  for (const watched of watchedTables(mapping)) {
    const name = `${PREFIX}${watched.name}`;
    install.push(functionSql(watched));
    install.push(`DROP TRIGGER IF EXISTS ${name} ON ${q(watched.table)}`);
    install.push(`CREATE TRIGGER ${name} AFTER ${watched.events.join(" OR ")} ON ${q(watched.table)} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  }
  const remove = functionNames().map((name) => `DROP FUNCTION IF EXISTS ${name}() CASCADE`);
  return { install, remove, transactional: true };
}
