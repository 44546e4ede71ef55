// The django-axes policy on a MariaDB database migrated by a real Django 3.2 + django-axes 5.39 site
// (axes-suite.ts): attempt_time is a naive UTC datetime(6) there, and the upsert is ON DUPLICATE KEY UPDATE.
import { afterAll, beforeAll } from "vitest";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
import { defineAxesSuite } from "./axes-suite.js";

let server: MariaDBServer;
beforeAll(async () => {
  server = await startMariaDB();
});
afterAll(async () => {
  await server?.cleanup();
});

defineAxesSuite({ label: "MariaDB", databaseUrl: () => server.url });
