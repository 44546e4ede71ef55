// Stamped grants (stamped-grants-suite.ts) on a real PostgreSQL server started for this file; the feed's
// LISTEN connection is taken away with pg_terminate_backend.
import { afterAll, beforeAll, expect } from "vitest";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { defineStampedGrantSuite } from "./stamped-grants-suite.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.cleanup();
});

defineStampedGrantSuite({
  label: "PostgreSQL",
  databaseUrl: () => server.url,
  loseFeed: async () => {
    const rows = await server.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mod_authnz_node feed') t",
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  },
});
