// Measures what better-sqlite3's synchronous statements cost the worker's event loop: the Django
// handler's three statements against a Django-migrated SQLite file with 100,000 users, then whole
// handler calls (check_password answered from the verified-credential cache, groups, permissions).
//   npx vite-node scripts/django/measure-sqlite.ts [users=100000]
// The numbers in docs/django.md ("SQLite") come from this script.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { DjangoHandler } from "../../src/django/handler.js";
import { SqliteDatabase } from "../../src/django/database/sqlite.js";
import { buildStatements } from "../../src/django/queries.js";
import { resolveMapping } from "../../src/django/user-model.js";
import { djangoDefaults } from "../../src/django/hashers/index.js";
import { startDjango } from "../../test/harness/django.js";

const userCount = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync("/tmp/anp-measure-sqlite-");
const path = join(dir, "db.sqlite3");

function perCall(label: string, calls: number, started: bigint): void {
  const micros = Number(process.hrtime.bigint() - started) / 1000 / calls;
  console.log(`${label.padEnd(44)} ${micros.toFixed(1).padStart(7)} µs per call (${calls} calls)`);
}

try {
  const oracle = await startDjango({ databaseUrl: `sqlite://${path}`, pbkdf2Iterations: 1000 });
  const known = await oracle.createUser({ username: "measured", password: "pw", groups: ["g1", "g2"], permissions: ["auth.add_group"] });
  await oracle.close();

  // Bulk users straight into Django's tables (Django's ORM would take minutes for 100k rows).
  const writer = new BetterSqlite3(path);
  const addUser = writer.prepare(
    "INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) " +
      "VALUES (?, NULL, 0, ?, '', '', '', 0, 1, '2024-01-01 00:00:00')",
  );
  const addMembership = writer.prepare("INSERT INTO auth_user_groups (user_id, group_id) SELECT ?, id FROM auth_group");
  writer.transaction(() => {
    for (let i = 0; i < userCount; i++) addMembership.run(addUser.run(known.encoded, `user${i}`).lastInsertRowid);
  })();
  writer.close();

  const database = new SqliteDatabase({ driver: "sqlite", path }, { poolSize: 1, queryTimeoutMs: 5000, readOnly: true });
  const statements = buildStatements(database.dialect, resolveMapping());
  const calls = 50_000;
  const pick = (i: number): number => (i * 7919) % userCount;
  for (const [label, sql, values] of [
    ["statement: user by name (unique index)", statements.userByName, (i: number) => [`user${pick(i)}`]],
    ["statement: group names of a user", statements.groupNames, (i: number) => [pick(i) + 2]],
    ["statement: permissions of a user", statements.permissions, (i: number) => [pick(i) + 2, pick(i) + 2]],
  ] as const) {
    for (let i = 0; i < 1000; i++) await database.query(sql, values(i));
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await database.query(sql, values(i));
    perCall(label, calls, started);
  }
  await database.close();

  const handler = new DjangoHandler({
    database: `sqlite://${path}`,
    hasherOptions: { ...djangoDefaults("3.2"), params: { pbkdf2_sha256: { iterations: 1000 } } },
  });
  const context = { environ: {}, user: "measured", userBytes: Buffer.from("measured"), signal: new AbortController().signal };
  await handler.checkPassword(context, "pw"); // the first check hashes; the rest hit the credential cache
  let started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await handler.checkPassword(context, "pw");
  perCall("handler: check_password (credential cache hit)", calls, started);
  started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await handler.groupsForUser(context);
  perCall("handler: groups_for_user", calls, started);
  started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await handler.hasPermission(context, ["auth.add_group"]);
  perCall("handler: has_permission", calls, started);
  await handler.close();
  console.log(`(${userCount} users, ${process.platform} ${process.arch}, node ${process.version})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
