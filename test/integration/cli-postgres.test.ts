// The mod-authnz-node CLI on a real PostgreSQL 15 server started for this file (cli-suite.ts).
import { afterAll, beforeAll } from "vitest";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { defineCliSuite } from "./cli-suite.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.cleanup();
});

defineCliSuite({ label: "PostgreSQL 15", databaseUrl: () => server.url });
