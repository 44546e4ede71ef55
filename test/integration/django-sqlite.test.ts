// The Django handler on SQLite files made by real Django: answers compared with Django's own, the
// custom user model, hash upgrade, and a database file that is missing and then appears.
import { mkdtempSync, renameSync, rmSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DjangoHandler, createDjangoHandler } from "../../src/django/handler.js";
import { HandlerRegistry } from "../../src/handlers/registry.js";
import { createLogger } from "../../src/log.js";
import { handlerFactories } from "../../src/worker/factories.js";
import { ConcurrencyLimiter } from "../../src/cache/concurrency-limiter.js";
import { DatabaseError, DatabaseTimeoutError, UserRowError } from "../../src/errors.js";
import BetterSqlite3 from "better-sqlite3";
import { startDjango } from "../harness/django.js";
import { asDjango, context, defineComparisonSuite, defineUpgradeSuite, testHasherOptions, TEST_ITERATIONS } from "./django-compare.js";

const dir = mkdtempSync("/tmp/anp-django-sqlite-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const authUrl = `sqlite://${join(dir, "auth.sqlite3")}`;
const customUrl = `sqlite://${join(dir, "custom.sqlite3")}`;

describe("Django handler on SQLite", () => {
  defineComparisonSuite({ label: "auth.User", databaseUrl: () => authUrl });
  defineComparisonSuite({ label: "custom user model (email, no is_active)", databaseUrl: () => customUrl, customUser: true });
  defineUpgradeSuite({ label: "auth.User", databaseUrl: () => authUrl });
  defineUpgradeSuite({ label: "custom user model", databaseUrl: () => customUrl, customUser: true });

  it("answers errors while the database file is missing, recovers when it appears, follows a replaced file", async () => {
    const path = join(dir, "late.sqlite3");
    const handler = new DjangoHandler({ database: `sqlite://${path}`, hasherOptions: testHasherOptions() });
    try {
      await expect(handler.checkPassword(context("late"), "pw", Buffer.from("pw"))).rejects.toBeInstanceOf(DatabaseError);
      await expect(handler.checkPassword(context("nobody"), "pw", Buffer.from("pw"))).rejects.toBeInstanceOf(DatabaseError);
      await expect(handler.groupsForUser(context("late"))).rejects.toBeInstanceOf(DatabaseError);
      await expect(handler.hasPermission(context("late"), ["auth.add_user"])).rejects.toBeInstanceOf(DatabaseError);

      // Django builds the database elsewhere and it is moved into place, as a restore would.
      const staging = join(dir, "staging.sqlite3");
      const oracle = await startDjango({ databaseUrl: `sqlite://${staging}`, pbkdf2Iterations: TEST_ITERATIONS });
      await oracle.createUser({ username: "late", password: "pw", groups: ["g"] });
      await oracle.close();
      copyFileSync(staging, path);

      expect(await handler.checkPassword(context("late"), "pw", Buffer.from("pw"))).toEqual({ kind: "granted" });
      expect(await handler.groupsForUser(context("late"))).toEqual(["g"]);

      // Another database is renamed over it (a restore or a deploy): the open handle must not keep the old one.
      const replacement = join(dir, "replacement.sqlite3");
      const other = await startDjango({ databaseUrl: `sqlite://${replacement}`, pbkdf2Iterations: TEST_ITERATIONS });
      await other.createUser({ username: "late", password: "new-pw", groups: ["h"] });
      await other.close();
      renameSync(replacement, path);
      expect(await handler.checkPassword(context("late"), "pw", Buffer.from("pw"))).toEqual({ kind: "denied" });
      expect(await handler.checkPassword(context("late"), "new-pw", Buffer.from("new-pw"))).toEqual({ kind: "granted" });
      expect(await handler.groupsForUser(context("late"))).toEqual(["h"]);

      // And removed: errors again, never "no such user".
      rmSync(path);
      await expect(handler.checkPassword(context("late"), "new-pw", Buffer.from("new-pw"))).rejects.toBeInstanceOf(DatabaseError);
    } finally {
      await handler.close();
    }
  });

  it("answers an error, not 'no such user', when the user table is missing (wrong mapping)", async () => {
    const handler = new DjangoHandler({ database: authUrl, mapping: { userTable: "no_such_table" }, hasherOptions: testHasherOptions() });
    try {
      await expect(handler.checkPassword(context("alice"), "wonderland", Buffer.from("wonderland"))).rejects.toBeInstanceOf(DatabaseError);
    } finally {
      await handler.close();
    }
  });

  it("hashes with the preferred hasher before answering 'no such user' for unknown and inactive users", async () => {
    // The hash limiter has one slot, held here: a check that hashes has to wait for it. An unknown or
    // inactive user's check does wait, so it hashes as a known user's would (no fast path to time).
    const limiter = new ConcurrencyLimiter(1);
    const handler = new DjangoHandler({ database: authUrl, hasherOptions: testHasherOptions(), hashLimiter: limiter, credentialCache: null });
    try {
      let release = (): void => {};
      const blocker = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
      const unknown = handler.checkPassword(context("nobody"), "x", Buffer.from("x"));
      const inactive = handler.checkPassword(context("carol"), "inactive", Buffer.from("inactive"));
      await vi.waitFor(() => expect(limiter.queued).toBe(2), { timeout: 60_000, interval: 5 });
      release();
      await blocker;
      expect(await unknown).toEqual({ kind: "not_found" });
      expect(await inactive).toEqual({ kind: "not_found" });
      expect(limiter.running).toBe(0);
    } finally {
      await handler.close();
    }
  });

  it("upgrades to the preferred hasher of the `hashers` setting (argon2 first), as Django with the same PASSWORD_HASHERS", async () => {
    const url = `sqlite://${join(dir, "argon-first.sqlite3")}`;
    const hashers = ["argon2", "pbkdf2_sha256", "pbkdf2_sha1", "bcrypt_sha256"];
    const oracle = await startDjango({ databaseUrl: url, hashers, pbkdf2Iterations: TEST_ITERATIONS });
    const handler = createDjangoHandler({ type: "django", database: url, django_version: "3.2", hashers: hashers.join(","), upgrade_hashes: "on" });
    try {
      const created = await oracle.createUser({ username: "legacy", password: "pw", hasher: "pbkdf2_sha256" });
      expect(await oracle.mustUpdate(created.encoded)).toBe(true);
      expect(await handler.checkPassword(context("legacy"), "pw", Buffer.from("pw"))).toEqual({ kind: "granted" });
      const stored = await oracle.getPassword("legacy");
      expect(stored.startsWith("argon2$argon2id$v=19$m=102400,t=2,p=8$")).toBe(true);
      expect(await oracle.mustUpdate(stored)).toBe(false);
      expect(await oracle.checkPassword("legacy", "pw")).toBe(true);
      expect(await oracle.getPassword("legacy")).toBe(stored); // Django did not rehash it either
    } finally {
      await handler.close();
      await oracle.close();
    }
  });

  it("checks crypt users through crypt(3) where PASSWORD_HASHERS names crypt, refuses them where not, and upgrades them as Django does", async () => {
    const url = `sqlite://${join(dir, "crypt.sqlite3")}`;
    const hashers = ["pbkdf2_sha256", "crypt"];
    const oracle = await startDjango({ databaseUrl: url, hashers, pbkdf2Iterations: TEST_ITERATIONS });
    const named = createDjangoHandler({ type: "django", database: url, django_version: "3.2", hashers: hashers.join(",") });
    const preset = createDjangoHandler({ type: "django", database: url, django_version: "4.2" });
    const upgrading = createDjangoHandler({ type: "django", database: url, django_version: "3.2", hashers: hashers.join(","), upgrade_hashes: "on" });
    try {
      const stored = {
        des: (await oracle.createUser({ username: "des", password: "lètmein", hasher: "crypt" })).encoded,
        sha512: "crypt$$$6$saltsalt$F.Sl7yZBDrBmc.yHz45ohIXtT6jBaT.71P/v.Ggg.4pOrYQ5XL.RSnlcbeJAROmC7KlQWZFY4ZuTfEzVOiCAe.",
      };
      expect(stored.des).toMatch(/^crypt\$\$.{13}$/);
      await oracle.createUser({ username: "sha512", password: null, encoded: stored.sha512 });
      const cases = [["des", "lètmein"], ["des", "lètmeinz"], ["des", "lètmei"], ["des", ""], ["sha512", "lètmein"], ["sha512", "lètmeinz"]] as const;
      for (const [name, password] of cases) {
        const verdict = await named.checkPassword(context(name), password, Buffer.from(password));
        expect(asDjango(verdict), `${name} ${password}`).toBe(await oracle.checkPassword(name, password));
        // Django's check rehashed a right password with its preferred hasher: put the crypt hash back.
        await oracle.setRawPassword(name, stored[name]);
      }
      // Django 4.2's default PASSWORD_HASHERS has no crypt: refused, never granted.
      expect(await preset.checkPassword(context("des"), "lètmein", Buffer.from("lètmein"))).toEqual({ kind: "denied" });
      // A right password on a crypt hash is rehashed with the preferred hasher, and Django still accepts it.
      expect(await upgrading.checkPassword(context("sha512"), "lètmein", Buffer.from("lètmein"))).toEqual({ kind: "granted" });
      expect((await oracle.getPassword("sha512")).startsWith("pbkdf2_sha256$")).toBe(true);
      expect(await oracle.checkPassword("sha512", "lètmein")).toBe(true);
    } finally {
      await Promise.all([named.close(), preset.close(), upgrading.close()]);
      await oracle.close();
    }
  });

  it("answers an error, never a pick, when the USERNAME_FIELD column matches two rows (Django: MultipleObjectsReturned)", async () => {
    const writer = new BetterSqlite3(authUrl.slice("sqlite://".length));
    writer.prepare("UPDATE auth_user SET first_name = ? WHERE username IN ('alice', 'Bob')").run("Twin");
    writer.prepare("UPDATE auth_user SET first_name = ? WHERE username = 'jürgen'").run("Only");
    writer.close();
    const handler = new DjangoHandler({ database: authUrl, mapping: { usernameColumn: "first_name" }, hasherOptions: testHasherOptions() });
    try {
      await expect(handler.checkPassword(context("Twin"), "wonderland", Buffer.from("wonderland"))).rejects.toBeInstanceOf(UserRowError);
      await expect(handler.groupsForUser(context("Twin"))).rejects.toBeInstanceOf(UserRowError);
      await expect(handler.hasPermission(context("Twin"), ["auth.add_group"])).rejects.toBeInstanceOf(UserRowError);
      expect(await handler.checkPassword(context("Only"), "pässwörd", Buffer.from("pässwörd"))).toEqual({ kind: "granted" });
      expect([...(await handler.groupsForUser(context("Only")))].sort()).toEqual(["secret-agents", "Ünïcode group"]);
    } finally {
      await handler.close();
    }
  });

  it("is configured from handler spec text through the worker's registry (custom user model, Django 3.2 preset)", async () => {
    const oracle = await startDjango({ databaseUrl: customUrl, customUser: true, pbkdf2Iterations: TEST_ITERATIONS });
    // The worker's own factories: the Django handler imported on first use, as in production.
    const registry = new HandlerRegistry({ factories: handlerFactories({ logger: createLogger("warn"), hashLimiter: new ConcurrencyLimiter(), secretFiles: null }) });
    try {
      const spec = [
        "type=django",
        `database=${customUrl}`,
        "user_table=accounts_emailuser",
        "username_column=email",
        "is_active_column=",
        "user_groups_table=accounts_emailuser_groups",
        "user_groups_user_column=emailuser_id",
        "user_permissions_table=accounts_emailuser_user_permissions",
        "user_permissions_user_column=emailuser_id",
        "django_version=3.2",
        "hashers=pbkdf2_sha256,pbkdf2_sha1,argon2,bcrypt_sha256",
      ].join("\n");
      const handler = await registry.get(spec);
      expect(handler).toBeInstanceOf(DjangoHandler);
      expect(await registry.get(spec)).toBe(handler); // one instance per spec text
      for (const [name, password] of [["alice@example.org", "wonderland"], ["alice@example.org", "nope"], ["ALICE@example.org", "wonderland"], ["nobody@example.org", "x"]]) {
        const verdict = await handler.checkPassword?.(context(name as string), password as string, Buffer.from(password as string));
        expect(verdict && asDjango(verdict)).toBe(await oracle.checkPassword(name as string, password as string));
      }
      expect([...((await handler.groupsForUser?.(context("jürgen@example.org"))) ?? [])].sort()).toEqual((await oracle.groupsForUser("jürgen@example.org")).sort());
      expect(await handler.hasPermission?.(context("alice@example.org"), ["auth.add_group"])).toBe(await oracle.hasPerm("alice@example.org", "auth.add_group"));
      expect(handler.getRealmHash).toBeUndefined(); // Django stores no HA1: Digest needs a script handler
    } finally {
      await registry.closeAll();
      await oracle.close();
    }
  });

  it("answers a timeout error while another process holds an exclusive lock, and works once it is released", async () => {
    const handler = new DjangoHandler({ database: authUrl, hasherOptions: testHasherOptions() });
    const locker = new BetterSqlite3(authUrl.slice("sqlite://".length));
    try {
      expect(await handler.checkPassword(context("alice"), "wonderland", Buffer.from("wonderland"))).toEqual({ kind: "granted" });
      locker.exec("BEGIN EXCLUSIVE"); // what a writer holds while it commits (rollback journal, Django's default)
      await expect(handler.checkPassword(context("alice"), "wonderland", Buffer.from("wonderland"))).rejects.toBeInstanceOf(DatabaseTimeoutError);
      await expect(handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).rejects.toBeInstanceOf(DatabaseTimeoutError);
      await expect(handler.groupsForUser(context("alice"))).rejects.toBeInstanceOf(DatabaseTimeoutError);
      locker.exec("COMMIT");
      expect(await handler.checkPassword(context("alice"), "wonderland", Buffer.from("wonderland"))).toEqual({ kind: "granted" });
      expect(await handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).toEqual({ kind: "not_found" });
    } finally {
      if (locker.inTransaction) locker.exec("ROLLBACK");
      locker.close();
      await handler.close();
    }
  });

  it("never puts a password into an error or a log line, on any failure path", async () => {
    const secret = "Tr0ub4dor&3-do-not-log";
    const logged: string[] = [];
    const log = (level: string, id: string, message: string): void => void logged.push(`${level}: ${id}: ${message}`);
    const texts: string[] = [];
    const collect = (error: unknown): void => {
      for (let e: unknown = error; e instanceof Error; e = e.cause) texts.push(e.message, e.stack ?? "", JSON.stringify(e));
    };
    const missing = new DjangoHandler({ database: `sqlite://${join(dir, "never.sqlite3")}`, hasherOptions: testHasherOptions(), log });
    const badTable = new DjangoHandler({ database: authUrl, mapping: { userTable: "nope" }, hasherOptions: testHasherOptions(), log });
    const twins = new DjangoHandler({ database: authUrl, mapping: { usernameColumn: "first_name" }, hasherOptions: testHasherOptions(), log });
    const upgrading = new DjangoHandler({ database: authUrl, hasherOptions: testHasherOptions(), upgradeHashes: true, log });
    try {
      for (const [handler, user] of [[missing, "alice"], [badTable, "alice"], [twins, "Twin"], [missing, secret]] as const) {
        await handler.checkPassword(context(user), secret, Buffer.from(secret)).then(() => expect.fail("expected an error"), collect);
      }
      // A successful check with an upgrade writes a log line; it must not carry the password either.
      const oracle = await startDjango({ databaseUrl: authUrl, pbkdf2Iterations: TEST_ITERATIONS });
      await oracle.createUser({ username: "logged", password: secret, iterations: 100 });
      await oracle.close();
      expect(await upgrading.checkPassword(context("logged"), secret, Buffer.from(secret))).toEqual({ kind: "granted" });
      expect(logged.some((line) => line.includes("upgraded"))).toBe(true);
      expect(texts.length).toBeGreaterThan(0);
      for (const text of [...texts, ...logged]) expect(text).not.toContain(secret.slice(0, 9));
    } finally {
      for (const handler of [missing, badTable, twins, upgrading]) await handler.close();
    }
  });

  it("refuses a spec with an unknown key or an unsafe identifier, naming the key", () => {
    expect(() => createDjangoHandler({ type: "django", database: authUrl, user_tabel: "x" })).toThrow(/user_tabel/);
    expect(() => createDjangoHandler({ type: "django", database: authUrl, user_table: "auth_user; DROP TABLE auth_user" })).toThrow(/user_table/);
  });
});
