// The django-axes policy on a PostgreSQL 15 database migrated by a real Django 3.2 + django-axes 5.39 site
// (axes-suite.ts): ip_address is an inet column and attempt_time a timestamptz there.
import { afterAll, beforeAll } from "vitest";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { defineAxesSuite } from "./axes-suite.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.cleanup();
});

defineAxesSuite({ label: "PostgreSQL 15", databaseUrl: () => server.url });
