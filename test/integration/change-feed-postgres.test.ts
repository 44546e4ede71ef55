// The change feed on a real PostgreSQL 15 server started for this file (change-feed-suite.ts): NOTIFY from
// the triggers, LISTEN on the subscriber's own connection, which the test terminates with pg_terminate_backend.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { defineChangeFeedSuite } from "./change-feed-suite.js";

const run = promisify(execFile);
let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.cleanup();
});

const CATALOG = `
SELECT 'function ' || p.proname || ' ' || pg_get_functiondef(p.oid) AS line FROM pg_proc p WHERE p.proname LIKE 'anp\\_feed%'
UNION ALL SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgname LIKE 'anp\\_feed%'
UNION ALL SELECT 'relation ' || c.relname FROM pg_class c WHERE c.relname LIKE 'anp\\_feed%'
ORDER BY 1`;

defineChangeFeedSuite({
  label: "PostgreSQL 15",
  databaseUrl: () => server.url,
  catalog: async () => (await server.query<{ line: string }>(CATALOG)).map((row) => row.line),
  applyScript: async (sql) => {
    const child = run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server.url, "-f", "-"]);
    child.child.stdin?.end(sql);
    await child;
  },
  openWriter: async () => {
    const client = new pg.Client({ connectionString: server.url });
    client.on("error", () => {});
    await client.connect();
    return {
      exec: async (sql, params) => {
        let n = 0;
        await client.query(sql.replace(/\?/g, () => `$${++n}`), params as unknown[]);
      },
      close: () => client.end(),
    };
  },
  // Eight functions, each with its trigger.
  installedObjects: 16,
  loseFeed: async () => {
    const rows = await server.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mod_authnz_node feed') t",
    );
    if (rows[0]?.n !== 1) throw new Error(`expected one feed backend, terminated ${rows[0]?.n}`);
  },
  restartDatabase: async () => {
    await server.stop();
    await server.restart();
  },
});
