// The change feed on a real MariaDB 10.11 server started for this file (change-feed-suite.ts): triggers
// fill the change table, the subscriber polls it; the test kills the feed's connection and restarts the server.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDatabaseUrl, type MysqlLocation } from "../../src/django/database-url.js";
import { feedSql, runFeedSql } from "../../src/django/change-feed/admin.js";
import type { ChangeEvent } from "../../src/django/change-feed/events.js";
import { PollFeed } from "../../src/django/change-feed/poll-feed.js";
import { MysqlPollSource } from "../../src/django/change-feed/poll-sources.js";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
import { eventually } from "../support/eventually.js";
import { defineChangeFeedSuite } from "./change-feed-suite.js";

const run = promisify(execFile);
let server: MariaDBServer;
beforeAll(async () => {
  server = await startMariaDB();
}, 120_000);
afterAll(async () => {
  await server?.cleanup();
});

const CATALOG = `
SELECT CONCAT('trigger ', TRIGGER_NAME, ' ', ACTION_TIMING, ' ', EVENT_MANIPULATION, ' ', EVENT_OBJECT_TABLE, ' ', ACTION_STATEMENT) AS line
  FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'anp\\_feed%'
UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'anp\\_feed%'
UNION ALL SELECT CONCAT('routine ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME LIKE 'anp\\_feed%'
ORDER BY 1`;

defineChangeFeedSuite({
  label: "MariaDB 10.11",
  databaseUrl: () => server.url,
  catalog: async () => (await server.query<{ line: string }>(CATALOG)).map((row) => row.line),
  applyScript: async (sql) => {
    const child = run("mysql", ["--no-defaults", "-h", "127.0.0.1", "-P", String(server.port), "-u", server.user, server.database]);
    child.child.stdin?.end(sql);
    await child;
  },
  openWriter: async () => {
    const connection = await mysql.createConnection({ host: "127.0.0.1", port: server.port, user: server.user, database: server.database });
    connection.on("error", () => {});
    return {
      exec: async (sql, params) => {
        await connection.execute(sql, params as Array<string | number>);
      },
      close: () => connection.end(),
    };
  },
  // The change table and 20 triggers (INSERT/UPDATE/DELETE where each table needs them).
  installedObjects: 21,
  loseFeed: async () => {
    const rows = await server.query<{ ID: number }>("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%anp_feed_change%' OR (COMMAND = 'Sleep' AND USER = 'django')");
    // The feed's connection is the django account's idle one between polls; the test's own are closed.
    if (rows.length === 0) throw new Error("no feed connection found");
    for (const row of rows) await server.query(`KILL ${Number(row.ID)}`).catch(() => {});
  },
  restartDatabase: async () => {
    await server.stop();
    await server.restart();
  },
});

// After the suite (which removed the triggers, and whose Django tables stay): the change table's retention.
describe("change feed on MariaDB 10.11: old change rows", () => {
  const location = (user: string): MysqlLocation => ({ ...(parseDatabaseUrl(server.url) as MysqlLocation), user });
  const count = async (where: string): Promise<number> =>
    Number((await server.query<{ n: number }>(`SELECT COUNT(*) AS n FROM anp_feed_change WHERE ${where}`))[0]?.n);
  let feed: PollFeed | undefined;

  beforeAll(async () => {
    await runFeedSql(location(server.user), feedSql("mysql", {}).install);
    await server.query("INSERT INTO anp_feed_change (kind, k, at) VALUES ('user', '1', NOW(6) - INTERVAL 1 HOUR), ('user', '2', NOW(6) - INTERVAL 1 HOUR)");
    await server.query("CREATE USER 'feed_reader'@'%'");
    await server.query("GRANT SELECT ON django.* TO 'feed_reader'@'%'");
  });
  afterAll(async () => {
    await feed?.close();
    await runFeedSql(location(server.user), feedSql("mysql", {}).remove);
  });

  const start = (user: string, events: ChangeEvent[]): PollFeed =>
    new PollFeed(new MysqlPollSource(location(user), 2000, 600), { onEvent: (event) => events.push(event) }, {
      intervalMs: 10, holeWaitMs: 30_000, timeoutMs: 2000, cleanupEveryMs: 60_000,
    }).start();

  it("an account that may not DELETE keeps the rows, and the feed still works", async () => {
    const events: ChangeEvent[] = [];
    feed = start("feed_reader", events);
    expect(await eventually(() => feed!.cleanupProblem !== null, 400, 5)).toBe(true);
    expect(feed.cleanupProblem).toBe("ER_TABLEACCESS_DENIED_ERROR");
    await server.query("UPDATE auth_user SET password = 'retention' WHERE id = (SELECT MIN(id) FROM (SELECT id FROM auth_user) u)");
    expect(await eventually(() => events.some((event) => event.kind === "user"), 400, 5)).toBe(true);
    expect(feed.health().state).toBe("connected");
    expect(await count("at < NOW(6) - INTERVAL 600 SECOND")).toBe(2);
    await feed.close();
  });

  it("an account that may deletes the rows past the retention, and only those", async () => {
    feed = start(server.user, []);
    expect(await eventually(async () => (await count("at < NOW(6) - INTERVAL 600 SECOND")) === 0, 400, 5)).toBe(true);
    expect(feed.cleanupProblem).toBeNull();
    expect(await count("TRUE")).toBeGreaterThan(0);
  });
});
