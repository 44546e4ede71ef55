// The django-axes policy on a SQLite file migrated by a real Django 3.2 + django-axes 5.39 site (axes-suite.ts),
// and on one whose site never installed axes (fail closed).
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDjangoHandler } from "../../src/django/handler.js";
import { DatabaseError } from "../../src/errors.js";
import { startDjango } from "../harness/django.js";
import { defineAxesSuite } from "./axes-suite.js";
import { TEST_ITERATIONS } from "./django-compare.js";

const dir = mkdtempSync("/tmp/anp-axes-sqlite-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

defineAxesSuite({ label: "SQLite", databaseUrl: () => `sqlite://${join(dir, "site.sqlite3")}` });

describe("django-axes policy without axes' table (the site never migrated axes)", () => {
  it("the check rejects with a DatabaseError, so the worker answers ERROR (500), never an unchecked try", async () => {
    const url = `sqlite://${join(dir, "plain.sqlite3")}`;
    const oracle = await startDjango({ databaseUrl: url, pbkdf2Iterations: TEST_ITERATIONS });
    await oracle.close();
    const handler = createDjangoHandler({ type: "django", database: url, axes: "record" }, { log: () => {} });
    try {
      const policy = handler.lockoutPolicies?.find((p) => p.name === "axes");
      const client = { ip: "127.0.40.1", userAgent: null, accept: null, path: "/" };
      const signal = new AbortController().signal;
      await expect(policy?.check(client, "alice", signal)).rejects.toBeInstanceOf(DatabaseError);
      await expect(policy?.record(client, "alice", "denied", signal)).rejects.toBeInstanceOf(DatabaseError);
    } finally {
      await handler.close();
    }
  });
});
