// The pools' counters the admin status shows (Database.poolStats), against real PostgreSQL and MariaDB:
// none open before the first query, one open and idle after it, and queries beyond the pool's size waiting.
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/django/database/index.js";
import { parseDatabaseUrl } from "../../src/django/database-url.js";
import { startMariaDB } from "../harness/mariadb.js";
import { startPostgres } from "../harness/postgres.js";

const servers: Array<{ stop(): Promise<unknown> }> = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
});

async function poolCase(url: string, sleep: string): Promise<void> {
  const db: Database = openDatabase(parseDatabaseUrl(url), { poolSize: 1, queryTimeoutMs: 10_000, readOnly: false }, () => {});
  try {
    expect(db.poolStats?.()).toEqual({ total: 0, idle: 0, waiting: 0 });
    await db.query("SELECT 1 AS one", []);
    expect(db.poolStats?.()).toEqual({ total: 1, idle: 1, waiting: 0 });
    const running = db.query(sleep, []);
    const queued = db.query("SELECT 1 AS one", []);
    await new Promise((resolve) => setImmediate(resolve));
    expect(db.poolStats?.()).toMatchObject({ total: 1, idle: 0, waiting: 1 });
    await Promise.all([running, queued]);
  } finally {
    await db.close();
  }
}

describe("database pool counters", () => {
  it("PostgreSQL", async () => {
    const server = await startPostgres();
    servers.push(server);
    await poolCase(server.url, "SELECT pg_sleep(0.3)");
  });

  it("MariaDB", async () => {
    const server = await startMariaDB();
    servers.push(server);
    await poolCase(server.url, "SELECT SLEEP(0.3) AS s");
  });
});
