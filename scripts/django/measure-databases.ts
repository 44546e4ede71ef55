// Throughput of the Django handler itself (no worker, no socket) on each database: how many checks per
// second one handler answers with `concurrency` checks in flight, for a right password answered from the
// verified-credential cache (so the database round trips are what is measured), groups_for_user and
// has_permission. Servers are throwaway ones from the test harness.
//   npx vite-node scripts/django/measure-databases.ts [sqlite|postgres|mariadb ...]
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DjangoHandler } from "../../src/django/handler.js";
import { djangoDefaults } from "../../src/django/hashers/index.js";
import { startDjango } from "../../test/harness/django.js";
import { startPostgres } from "../../test/harness/postgres.js";
import { startMariaDB } from "../../test/harness/mariadb.js";

const CONCURRENCY = 64;
const CALLS = 20_000;
const POOL_SIZE = 4;
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["sqlite", "postgres", "mariadb"];

async function measure(label: string, databaseUrl: string, seed = true): Promise<void> {
  if (seed) {
    const oracle = await startDjango({ databaseUrl, pbkdf2Iterations: 1000 });
    await oracle.createUser({ username: "measured", password: "pw", groups: ["g1", "g2"], permissions: ["auth.add_group"] });
    await oracle.close();
  }
  const handler = new DjangoHandler({
    database: databaseUrl,
    poolSize: POOL_SIZE,
    hasherOptions: { ...djangoDefaults("3.2"), params: { pbkdf2_sha256: { iterations: 1000 } } },
  });
  const context = { environ: {}, user: "measured", userBytes: Buffer.from("measured"), signal: new AbortController().signal };
  const operations: Array<[string, () => Promise<unknown>]> = [
    ["check_password (cache hit)", () => handler.checkPassword(context, "pw")],
    ["groups_for_user", () => handler.groupsForUser(context)],
    ["has_permission", () => handler.hasPermission(context, ["auth.add_group"])],
  ];
  try {
    for (const [name, operation] of operations) {
      for (let i = 0; i < 500; i++) await operation(); // warm the pool and the caches
      let next = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < CALLS) await operation();
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(`${label.padEnd(12)} ${name.padEnd(28)} ${Math.round(CALLS / seconds).toString().padStart(7)} per second`);
    }
  } finally {
    await handler.close();
  }
}

const dir = mkdtempSync("/tmp/anp-measure-");
try {
  if (wanted.includes("sqlite")) await measure("sqlite", `sqlite://${join(dir, "db.sqlite3")}`);
  if (wanted.includes("postgres")) {
    const server = await startPostgres();
    try {
      await measure("postgres", server.url);
      await measure("postgres/uds", server.socketUrl, false);
    } finally {
      await server.cleanup();
    }
  }
  if (wanted.includes("mariadb")) {
    const server = await startMariaDB();
    try {
      await measure("mariadb", server.url);
    } finally {
      await server.cleanup();
    }
  }
  console.log(`(${CALLS} calls each, ${CONCURRENCY} in flight, pool_size=${POOL_SIZE}, node ${process.version})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
