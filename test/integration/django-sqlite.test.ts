// The Django handler on SQLite files made by real Django: answers compared with Django's own, the
// custom user model, hash upgrade, and a database file that is missing and then appears.
import { mkdtempSync, rmSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DjangoHandler } from "../../src/django/handler.js";
import { DatabaseError } from "../../src/django/errors.js";
import { startDjango } from "../harness/django.js";
import { context, defineComparisonSuite, defineUpgradeSuite, testHasherOptions, TEST_ITERATIONS } from "./django-compare.js";

const dir = mkdtempSync("/tmp/anp-django-sqlite-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const authUrl = `sqlite://${join(dir, "auth.sqlite3")}`;
const customUrl = `sqlite://${join(dir, "custom.sqlite3")}`;

describe("Django handler on SQLite", () => {
  defineComparisonSuite({ label: "auth.User", databaseUrl: () => authUrl });
  defineComparisonSuite({ label: "custom user model (email, no is_active)", databaseUrl: () => customUrl, customUser: true });
  defineUpgradeSuite({ label: "auth.User", databaseUrl: () => authUrl });
  defineUpgradeSuite({ label: "custom user model", databaseUrl: () => customUrl, customUser: true });

  it("answers errors while the database file is missing and recovers when it appears, without a new handler", async () => {
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
});
