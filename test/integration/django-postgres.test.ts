// The Django handler on a real PostgreSQL 15 server started for this file: answers compared with
// Django's own, the custom user model, hash upgrade, a bounded pool under load, and a server killed
// mid-run that answers errors (never "no such user") and is used again after it restarts.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DjangoHandler } from "../../src/django/handler.js";
import { DatabaseError } from "../../src/errors.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { asDjango, context, defineComparisonSuite, defineUpgradeSuite, testHasherOptions, TEST_ITERATIONS } from "./django-compare.js";
import { defineServerFailureTests } from "./django-server-failures.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
  await server.query("CREATE DATABASE custom ENCODING 'UTF8'");
});
afterAll(async () => {
  await server?.cleanup();
});

const customUrl = (): string => server.url.replace(/\/django$/, "/custom");

describe("Django handler on PostgreSQL 15", () => {
  defineComparisonSuite({ label: "auth.User over TCP", databaseUrl: () => server.url, batched: true });
  defineComparisonSuite({ label: "custom user model (email, no is_active)", databaseUrl: customUrl, customUser: true, batched: true });
  defineUpgradeSuite({ label: "auth.User over the Unix socket", databaseUrl: () => server.socketUrl });
  defineUpgradeSuite({ label: "custom user model", databaseUrl: customUrl, customUser: true });

  describe("pool and failures", () => {
    let oracle: DjangoOracle;
    beforeAll(async () => {
      oracle = await startDjango({ databaseUrl: server.url, pbkdf2Iterations: TEST_ITERATIONS });
      await oracle.createUser({ username: "survivor", password: "still-here", groups: ["staff"], permissions: ["auth.view_user"] });
      await oracle.createUser({ username: "second", password: "two" });
    });
    afterAll(async () => {
      await oracle?.close();
    });

    it("serves 300 concurrent checks correctly through a pool of at most pool_size connections", async () => {
      // The role may hold only pool_size connections, so a pool that opens one more gets "too many
      // connections for role" and a check fails. Lookups of users are batched (two at a time), so
      // groupsForUser, which is not, is in the mix to give the pool more work than pool_size at once.
      await server.query("CREATE ROLE poolcheck LOGIN CONNECTION LIMIT 3");
      await server.query("GRANT SELECT ON auth_user, auth_group, auth_user_groups TO poolcheck");
      const poolUrl = server.url.replace("postgres://postgres@", "postgres://poolcheck@");
      const count = async (): Promise<number> =>
        Number((await server.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = 'poolcheck'"))[0]?.n);
      const handler = new DjangoHandler({ database: poolUrl, hasherOptions: testHasherOptions(), poolSize: 3 });
      try {
        const checks = Array.from({ length: 300 }, (_, i) => {
          if (i % 5 === 4) return handler.groupsForUser(context("survivor")).then((groups) => expect(groups).toEqual(["staff"]));
          const [user, password, expected] = [
            ["survivor", "still-here", "granted"],
            ["second", "two", "granted"],
            ["second", "nope", "denied"],
            ["nobody", "x", "not_found"],
          ][i % 5] as [string, string, string];
          return handler.checkPassword(context(user), password, Buffer.from(password)).then((verdict) => expect(verdict.kind).toBe(expected));
        });
        const all = Promise.all(checks);
        all.catch(() => undefined); // awaited below, after the sample
        // Sampled only once the pool has connections (idle ones stay for 30 s after the checks end).
        let during = await count();
        while (during === 0) during = await count();
        await all;
        expect(during).toBeLessThanOrEqual(3);
        const after = await count();
        expect(after).toBeGreaterThan(0);
        expect(after).toBeLessThanOrEqual(3);
      } finally {
        await handler.close();
      }
    });

    it("needs only SELECT with upgrade_hashes off; with it on, a refused UPDATE answers an error and writes nothing", async () => {
      await server.query("CREATE ROLE authreader LOGIN");
      await server.query(
        "GRANT SELECT ON auth_user, auth_group, auth_user_groups, auth_permission, django_content_type, " +
          "auth_group_permissions, auth_user_user_permissions TO authreader",
      );
      const readerUrl = server.url.replace("postgres://postgres@", "postgres://authreader@");
      const created = await oracle.createUser({ username: "outdated", password: "pw", iterations: 100, groups: ["staff"] });
      const reader = new DjangoHandler({ database: readerUrl, hasherOptions: testHasherOptions(), poolSize: 2 });
      const upgrader = new DjangoHandler({ database: readerUrl, hasherOptions: testHasherOptions(), upgradeHashes: true });
      try {
        expect(await reader.checkPassword(context("outdated"), "pw", Buffer.from("pw"))).toEqual({ kind: "granted" });
        expect(await reader.groupsForUser(context("outdated"))).toEqual(["staff"]);
        expect(await reader.hasPermission(context("survivor"), ["auth.view_user"])).toBe(true);
        const connections = await server.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = 'authreader'");
        expect(Number(connections[0]?.n)).toBeLessThanOrEqual(2);

        await expect(upgrader.checkPassword(context("outdated"), "pw", Buffer.from("pw"))).rejects.toBeInstanceOf(DatabaseError);
        expect(await oracle.getPassword("outdated")).toBe(created.encoded);
        // A current hash needs no write, so the same handler still grants other users.
        expect(await upgrader.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
      } finally {
        await reader.close();
        await upgrader.close();
      }
    });

    defineServerFailureTests({ server: () => server, oracle: () => oracle });
  });

  describe("a case-insensitive user name column (ICU, nondeterministic collation)", () => {
    const caselessUrl = (): string => server.url.replace(/\/django$/, "/caseless");
    let oracle: DjangoOracle;
    beforeAll(async () => {
      await server.query("CREATE DATABASE caseless ENCODING 'UTF8'");
      oracle = await startDjango({ databaseUrl: caselessUrl(), pbkdf2Iterations: TEST_ITERATIONS });
      const client = new pg.Client({ connectionString: caselessUrl() });
      await client.connect();
      try {
        await client.query("CREATE COLLATION caseless (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
        // migrate made a varchar_pattern_ops index for LIKE, which a nondeterministic collation cannot have.
        const like = await client.query<{ indexname: string }>(
          "SELECT indexname FROM pg_indexes WHERE tablename = 'auth_user' AND indexdef LIKE '%varchar_pattern_ops%'",
        );
        for (const { indexname } of like.rows) await client.query(`DROP INDEX "${indexname}"`);
        await client.query("ALTER TABLE auth_user ALTER COLUMN username TYPE varchar(150) COLLATE caseless");
      } finally {
        await client.end();
      }
      await oracle.createUser({ username: "alice", password: "wonderland", groups: ["staff"] });
      await oracle.createUser({ username: "bob", password: "builder" });
    });
    afterAll(async () => {
      await oracle?.close();
    });

    it("finds ALICE as Django does there, also when checked at the same time as other names", async () => {
      const handler = new DjangoHandler({ database: caselessUrl(), hasherOptions: testHasherOptions() });
      try {
        const cases: Array<[string, string]> = [
          ["ALICE", "wonderland"],
          ["bob", "builder"],
          ["Bob", "builder"],
          ["nobody", "x"],
          ["alice", "wrong"],
        ];
        const expected: Array<boolean | null> = [];
        for (const [name, password] of cases) expected.push(await oracle.checkPassword(name, password));
        // The fixture proves the point only if Django finds the other spellings here.
        expect(expected).toEqual([true, true, true, null, false]);
        const mine = await Promise.all(cases.map(([name, password]) => handler.checkPassword(context(name), password, Buffer.from(password)).then(asDjango)));
        expect(mine).toEqual(expected);
        const withGroups = await Promise.all(cases.map(([name, password]) => handler.checkPasswordAndAuthorize(context(name), password, Buffer.from(password), { groups: true, permissions: [] })));
        expect(withGroups.map(({ verdict }) => asDjango(verdict))).toEqual(expected);
        expect(withGroups[0]?.groups).toEqual(["staff"]);
        // The column does not compare as exact text, so no statement was shared (the comparison suites
        // show the default collation does share them).
        expect(handler.batchStats.statements).toBe(0);
      } finally {
        await handler.close();
      }
    });
  });
});
