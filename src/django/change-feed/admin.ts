// What install-triggers and remove-triggers do with the SQL: run it on a connection of its own, as one
// transaction where the database allows (PostgreSQL, SQLite: all or nothing), or print it as a script for
// psql, mysql or sqlite3. Running it needs a DBA's rights (docs/change-feed.md), not the worker's.
import { DatabaseError } from "../../errors.js";
import { describeLocation, type DatabaseLocation } from "../database-url.js";
import type { UserModelMapping } from "../user-model.js";
import { mysqlConnection, postgresClient, sqliteHandle } from "./connections.js";
import { mysqlFeedSql } from "./sql-mysql.js";
import { postgresFeedSql } from "./sql-postgres.js";
import { sqliteFeedSql } from "./sql-sqlite.js";
import type { FeedSql } from "./watched.js";

/** How long install-triggers waits for a connection, a statement or a lock. */
const ADMIN_TIMEOUT_MS = 30_000;

export function feedSql(driver: DatabaseLocation["driver"], mapping: Partial<UserModelMapping>): FeedSql {
  switch (driver) {
    case "postgres":
      return postgresFeedSql(mapping);
    case "mysql":
      return mysqlFeedSql(mapping);
    case "sqlite":
      return sqliteFeedSql(mapping);
  }
}

/** The statements as a script for the database's own client, in a transaction where it has them. */
export function feedScript(statements: readonly string[], transactional: boolean): string {
  const body = statements.map((statement) => `${statement};\n`).join("");
  return transactional ? `BEGIN;\n${body}COMMIT;\n` : body;
}

/** Runs the statements on `location`; rejects with a DatabaseError naming where, having changed nothing where it could. */
export async function runFeedSql(location: DatabaseLocation, statements: readonly string[]): Promise<void> {
  try {
    if (location.driver === "postgres") await runPostgres(location, statements);
    else if (location.driver === "mysql") await runMysql(location, statements);
    else runSqlite(location, statements);
  } catch (error) {
    if (error instanceof DatabaseError) throw error;
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    throw new DatabaseError(`${describeLocation(location)}: ${message}`, { cause: error, driverCode: typeof code === "string" ? code : undefined });
  }
}

async function runPostgres(location: Extract<DatabaseLocation, { driver: "postgres" }>, statements: readonly string[]): Promise<void> {
  const client = postgresClient(location, ADMIN_TIMEOUT_MS);
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("BEGIN");
    for (const statement of statements) await client.query(statement);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

async function runMysql(location: Extract<DatabaseLocation, { driver: "mysql" }>, statements: readonly string[]): Promise<void> {
  const connection = await mysqlConnection(location, ADMIN_TIMEOUT_MS);
  connection.on("error", () => {});
  try {
    // Each DDL statement commits by itself in MySQL; every statement is idempotent, so a rerun finishes the job.
    for (const statement of statements) await connection.query(statement);
  } finally {
    await connection.end().catch(() => {});
  }
}

function runSqlite(location: Extract<DatabaseLocation, { driver: "sqlite" }>, statements: readonly string[]): void {
  const db = sqliteHandle(location, false, ADMIN_TIMEOUT_MS);
  try {
    db.transaction(() => {
      for (const statement of statements) db.exec(statement);
    }).immediate();
  } finally {
    db.close();
  }
}
