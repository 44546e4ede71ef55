// The Django handler on a real MariaDB 10.11 server started for this file (utf8mb4_general_ci, Debian's
// default): answers compared with Django's own, including the case- and accent-insensitive lookups
// Django gets there, the custom user model, hash upgrade, and a server killed mid-run that answers
// errors (never "no such user") and is used again after it restarts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DjangoHandler } from "../../src/django/handler.js";
import { DatabaseError } from "../../src/errors.js";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { context, defineComparisonSuite, defineUpgradeSuite, testHasherOptions, TEST_ITERATIONS } from "./django-compare.js";
import { defineServerFailureTests } from "./django-server-failures.js";

let server: MariaDBServer;
beforeAll(async () => {
  server = await startMariaDB();
  await server.query("CREATE DATABASE custom CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
});
afterAll(async () => {
  await server?.cleanup();
});

const customUrl = (): string => server.url.replace(/\/django$/, "/custom");
const socketUrl = (): string => `mariadb://django@localhost/django?socket=${encodeURIComponent(server.socketPath)}`;

describe("Django handler on MariaDB 10.11", () => {
  defineComparisonSuite({ label: "auth.User over TCP", databaseUrl: () => server.url, caseInsensitive: true });
  defineComparisonSuite({ label: "custom user model (email, no is_active)", databaseUrl: customUrl, customUser: true, caseInsensitive: true });
  defineUpgradeSuite({ label: "auth.User over the Unix socket", databaseUrl: socketUrl });
  defineUpgradeSuite({ label: "custom user model", databaseUrl: customUrl, customUser: true });

  describe("failures", () => {
    let oracle: DjangoOracle;
    beforeAll(async () => {
      oracle = await startDjango({ databaseUrl: server.url, pbkdf2Iterations: TEST_ITERATIONS });
      await oracle.createUser({ username: "survivor", password: "still-here", groups: ["staff"], permissions: ["auth.view_user"] });
    });
    afterAll(async () => {
      await oracle?.close();
    });

    it("needs only SELECT with upgrade_hashes off, through a pool of at most pool_size connections", async () => {
      // The pool's user may hold only pool_size connections, so a pool that opens one more is refused
      // (max_user_connections) and a check fails; the upgrader below has a user of its own.
      await server.query("CREATE USER 'authreader'@'%'");
      await server.query("CREATE USER 'poolcheck'@'%' WITH MAX_USER_CONNECTIONS 3");
      for (const table of ["auth_user", "auth_group", "auth_user_groups", "auth_permission", "django_content_type", "auth_group_permissions", "auth_user_user_permissions"]) {
        await server.query(`GRANT SELECT ON django.${table} TO 'authreader'@'%'`);
        await server.query(`GRANT SELECT ON django.${table} TO 'poolcheck'@'%'`);
      }
      const readerUrl = server.url.replace("mysql://django@", "mysql://authreader@");
      const poolUrl = server.url.replace("mysql://django@", "mysql://poolcheck@");
      const count = async (): Promise<number> =>
        Number((await server.query<{ n: number }>("SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'poolcheck'"))[0]?.n);
      const created = await oracle.createUser({ username: "outdated", password: "pw", iterations: 100, groups: ["staff"] });
      const reader = new DjangoHandler({ database: poolUrl, hasherOptions: testHasherOptions(), poolSize: 3 });
      const upgrader = new DjangoHandler({ database: readerUrl, hasherOptions: testHasherOptions(), upgradeHashes: true });
      try {
        const checks = Array.from({ length: 300 }, (_, i) =>
          i % 3 === 0
            ? reader.checkPassword(context("OUTDATED"), "pw", Buffer.from("pw")).then((v) => expect(v).toEqual({ kind: "granted" }))
            : i % 3 === 1
              ? reader.groupsForUser(context("outdated")).then((groups) => expect(groups).toEqual(["staff"]))
              : reader.hasPermission(context("survivor"), ["auth.view_user"]).then((yes) => expect(yes).toBe(true)),
        );
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

        // With upgrades on, the refused UPDATE is an error (as Django's save() would be), and nothing changes.
        await expect(upgrader.checkPassword(context("outdated"), "pw", Buffer.from("pw"))).rejects.toBeInstanceOf(DatabaseError);
        expect(await oracle.getPassword("outdated")).toBe(created.encoded);
      } finally {
        await reader.close();
        await upgrader.close();
      }
    });

    defineServerFailureTests({ server: () => server, oracle: () => oracle, caseInsensitive: true });
  });
});
