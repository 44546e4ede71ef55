// hash-audit over 1,000,000 users on SQLite and PostgreSQL: the schema from Django's migrations, the rows
// generated inside the database (a few real hashes repeated), the CLI run under /usr/bin/time. The counts
// must be exact and the peak RSS bounded: the table is read in pages, never held whole (a version that
// fetched every row at once peaks far above the bound). Time and peak RSS are logged, not asserted.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { djangoDefaults, makePassword } from "../../src/django/hashers/index.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango } from "../harness/django.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { describeRequiring } from "../support/optional.js";

const USERS = 1_000_000;
/** Peak RSS allowed for the audit, in KiB: Node with a driver starts near 80 MiB, and paging churns some garbage above it; the rows fetched at once take more than 250. */
const MAX_RSS_KIB = 200 * 1024;
const TIME = "/usr/bin/time";

/** Four kinds of stored value, one per user in turn: current, old (Django would upgrade), disabled (md5), unusable. */
async function hashes(): Promise<[string, string, string, string]> {
  const v32 = djangoDefaults("3.2");
  return [
    await makePassword("current", v32),
    await makePassword("old", { ...v32, params: { pbkdf2_sha256: { iterations: 1000 } } }),
    await makePassword("md5", { hasher: "md5" }),
    `!${"x".repeat(40)}`,
  ];
}

interface Audit {
  readonly users: number;
  readonly unusable: number;
  readonly would_upgrade: number;
  readonly not_accepted: number;
}

function measured(cli: CliHarness, databaseUrl: string): { audit: Audit; rssKiB: number; seconds: number } {
  const out = join(cli.scratch, "time.txt");
  const stdout = execFileSync(TIME, ["-o", out, "-f", "%M %e", process.execPath, cli.cliJs, "hash-audit", "--database", databaseUrl, "--option", "django_version=3.2", "--json"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  const [rss, seconds] = execFileSync("tail", ["-n", "1", out], { encoding: "utf8" }).trim().split(" ").map(Number) as [number, number];
  return { audit: JSON.parse(stdout) as Audit, rssKiB: rss, seconds };
}

function expectCounts(result: Audit): void {
  expect(result.users).toBe(USERS);
  expect(result.unusable).toBe(USERS / 4);
  expect(result.would_upgrade).toBe(USERS / 4);
  expect(result.not_accepted).toBe(USERS / 4);
}

const INSERT_COLUMNS = "password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined";

describeRequiring(existsSync(TIME), "needs /usr/bin/time (Debian package time) to read the peak RSS")("hash-audit over 1,000,000 users", () => {
  let cli: CliHarness;
  let values: [string, string, string, string];
  beforeAll(async () => {
    cli = CliHarness.create();
    values = await hashes();
  }, 120_000);
  afterAll(() => cli?.cleanup());

  describe("SQLite", () => {
    const dir = mkdtempSync("/tmp/anp-cli-million-");
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("counts every row exactly in bounded memory", async () => {
      const path = join(dir, "million.sqlite3");
      const oracle = await startDjango({ databaseUrl: `sqlite://${path}` });
      await oracle.close();
      const db = new BetterSqlite3(path);
      db.prepare(
        `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${USERS}) ` +
          `INSERT INTO auth_user (${INSERT_COLUMNS}) ` +
          "SELECT CASE i % 4 WHEN 0 THEN ? WHEN 1 THEN ? WHEN 2 THEN ? ELSE ? END, NULL, 0, 'u' || i, '', '', '', 0, 1, '2024-01-01 00:00:00' FROM s",
      ).run(...values);
      db.close();
      const { audit: result, rssKiB, seconds } = measured(cli, `sqlite://${path}`);
      console.log(`hash-audit, SQLite, ${USERS} users: ${seconds} s, peak RSS ${Math.round(rssKiB / 1024)} MiB`);
      expectCounts(result);
      expect(rssKiB).toBeLessThan(MAX_RSS_KIB);
    }, 120_000);
  });

  describe("PostgreSQL", () => {
    let server: PostgresServer;
    beforeAll(async () => {
      server = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      await server?.cleanup();
    });

    it("counts every row exactly in bounded memory", async () => {
      const oracle = await startDjango({ databaseUrl: server.url });
      await oracle.close();
      await server.query(
        `INSERT INTO auth_user (${INSERT_COLUMNS}) ` +
          "SELECT (ARRAY[$1, $2, $3, $4])[i % 4 + 1], NULL, false, 'u' || i, '', '', '', false, true, now() " +
          `FROM generate_series(1, ${USERS}) AS i`,
        values,
      );
      const { audit: result, rssKiB, seconds } = measured(cli, server.url);
      console.log(`hash-audit, PostgreSQL, ${USERS} users: ${seconds} s, peak RSS ${Math.round(rssKiB / 1024)} MiB`);
      expectCounts(result);
      expect(rssKiB).toBeLessThan(MAX_RSS_KIB);
    }, 120_000);
  });
});
