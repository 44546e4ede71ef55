// The Django handler on a real MariaDB 10.11 server started for this file (utf8mb4_general_ci, Debian's
// default): answers compared with Django's own, including the case- and accent-insensitive lookups
// Django gets there, the custom user model, hash upgrade, and a server killed mid-run that answers
// errors (never "no such user") and is used again after it restarts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DjangoHandler } from "../../src/django/handler.js";
import { DatabaseError, DatabaseTimeoutError } from "../../src/django/errors.js";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { context, defineComparisonSuite, defineUpgradeSuite, testHasherOptions, TEST_ITERATIONS } from "./django-compare.js";

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
      await server.query("CREATE USER 'authreader'@'%'");
      for (const table of ["auth_user", "auth_group", "auth_user_groups", "auth_permission", "django_content_type", "auth_group_permissions", "auth_user_user_permissions"]) {
        await server.query(`GRANT SELECT ON django.${table} TO 'authreader'@'%'`);
      }
      const readerUrl = server.url.replace("mysql://django@", "mysql://authreader@");
      const created = await oracle.createUser({ username: "outdated", password: "pw", iterations: 100, groups: ["staff"] });
      const reader = new DjangoHandler({ database: readerUrl, hasherOptions: testHasherOptions(), poolSize: 3 });
      const upgrader = new DjangoHandler({ database: readerUrl, hasherOptions: testHasherOptions(), upgradeHashes: true });
      try {
        const checks = Array.from({ length: 300 }, (_, i) =>
          i % 3 === 0
            ? reader.checkPassword(context("OUTDATED"), "pw", Buffer.from("pw")).then((v) => expect(v).toEqual({ kind: "granted" }))
            : i % 3 === 1
              ? reader.groupsForUser(context("outdated")).then((groups) => expect(groups).toEqual(["staff"]))
              : reader.hasPermission(context("survivor"), ["auth.view_user"]).then((yes) => expect(yes).toBe(true)),
        );
        const during = await server.query<{ n: number }>("SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'authreader'");
        await Promise.all(checks);
        expect(Number(during[0]?.n)).toBeLessThanOrEqual(3);
        const after = await server.query<{ n: number }>("SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'authreader'");
        expect(Number(after[0]?.n)).toBeGreaterThan(0);
        expect(Number(after[0]?.n)).toBeLessThanOrEqual(3);

        // With upgrades on, the refused UPDATE is an error (as Django's save() would be), and nothing changes.
        await expect(upgrader.checkPassword(context("outdated"), "pw", Buffer.from("pw"))).rejects.toBeInstanceOf(DatabaseError);
        expect(await oracle.getPassword("outdated")).toBe(created.encoded);
      } finally {
        await reader.close();
        await upgrader.close();
      }
    });

    it("answers timeout errors while the server hangs (SIGSTOP), and recovers when it answers again", async () => {
      const handler = new DjangoHandler({ database: server.url, hasherOptions: testHasherOptions(), poolSize: 2, queryTimeoutMs: 1000 });
      try {
        // One idle pooled connection exists when the server stops: requests meet both a silent open
        // connection (query timeout) and connection attempts that get no handshake (connect timeout).
        expect(await handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
        server.suspend();
        let outcomes: PromiseSettledResult<unknown>[];
        try {
          outcomes = await Promise.allSettled([
            handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here")),
            handler.checkPassword(context("nobody"), "x", Buffer.from("x")),
            handler.groupsForUser(context("survivor")),
          ]);
        } finally {
          server.resume();
        }
        for (const outcome of outcomes) {
          expect(outcome.status).toBe("rejected");
          if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(DatabaseTimeoutError);
        }
        expect(await handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
        expect(await handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).toEqual({ kind: "not_found" });
        expect(await handler.groupsForUser(context("survivor"))).toEqual(["staff"]);
      } finally {
        await handler.close();
      }
    });

    it("answers errors, never 'no such user', while the server is killed, and recovers after restart", async () => {
      const handler = new DjangoHandler({ database: server.url, hasherOptions: testHasherOptions(), poolSize: 4, queryTimeoutMs: 3000 });
      try {
        expect(await handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
        expect(await handler.groupsForUser(context("survivor"))).toEqual(["staff"]);

        const inFlight = Array.from({ length: 40 }, () => handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here")));
        const settled = Promise.allSettled(inFlight); // handled before any of them can reject
        await server.kill();
        for (const outcome of await settled) {
          if (outcome.status === "fulfilled") expect(outcome.value).toEqual({ kind: "granted" });
          else expect(outcome.reason).toBeInstanceOf(DatabaseError);
        }

        for (let attempt = 0; attempt < 3; attempt++) {
          await expect(handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).rejects.toBeInstanceOf(DatabaseError);
          await expect(handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).rejects.toBeInstanceOf(DatabaseError);
          await expect(handler.groupsForUser(context("survivor"))).rejects.toBeInstanceOf(DatabaseError);
          await expect(handler.hasPermission(context("survivor"), ["auth.view_user"])).rejects.toBeInstanceOf(DatabaseError);
        }

        await server.restart();
        // What was committed before the kill is still there (the handler is then held to the same answer).
        expect(await oracle.checkPassword("survivor", "still-here")).toBe(true);
        expect(await handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
        expect(await handler.checkPassword(context("SURVIVOR"), "wrong", Buffer.from("wrong"))).toEqual({ kind: "denied" });
        expect(await handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).toEqual({ kind: "not_found" });
        expect(await handler.groupsForUser(context("survivor"))).toEqual(await oracle.groupsForUser("survivor"));
        expect(await handler.hasPermission(context("survivor"), ["auth.view_user"])).toBe(await oracle.hasPerm("survivor", "auth.view_user"));
      } finally {
        await handler.close();
      }
    });
  });
});
