// The mod-authnz-node CLI on a real MariaDB 10.11 server started for this file (cli-suite.ts).
import { afterAll, beforeAll } from "vitest";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
import { defineCliSuite } from "./cli-suite.js";

let server: MariaDBServer;
beforeAll(async () => {
  server = await startMariaDB();
}, 120_000);
afterAll(async () => {
  await server?.cleanup();
});

defineCliSuite({ label: "MariaDB 10.11", databaseUrl: () => server.url });
