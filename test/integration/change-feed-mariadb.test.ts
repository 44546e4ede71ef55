// The change feed on a real MariaDB 10.11 server started for this file (change-feed-suite.ts): triggers
// fill the change table, the subscriber polls it; the test kills the feed's connection and restarts the server.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { afterAll, beforeAll } from "vitest";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
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
