// Change-driven invalidation through Apache on a SQLite file made by Django (change-feed-suite.ts): the
// triggers fill the change table, the worker's feed reads it when PRAGMA data_version moves. The test's own
// writes go through better-sqlite3 on a handle of its own, each statement committed on return.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll } from "vitest";
import { nodeModuleBuilt } from "../harness/apache.js";
import { describeRequiring } from "../support/optional.js";
import { defineInvalidationSuite } from "./change-feed-suite.js";

const dir = mkdtempSync(join(tmpdir(), "anp-feed-e2e-sqlite-"));
const file = join(dir, "db.sqlite3");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sqlValue = (value: unknown): unknown => (typeof value === "boolean" ? (value ? 1 : 0) : value instanceof Date ? value.toISOString() : value);

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("SQLite", () => {
  defineInvalidationSuite({
    label: "SQLite",
    databaseUrl: () => `sqlite://${file}`,
    // The worker runs as httpd's User: it reads the file, and the directory for the rollback journal.
    prepare: () => {
      chmodSync(dir, 0o755);
      chmodSync(file, 0o644);
    },
    openWriter: async () => {
      const db = new BetterSqlite3(file, { timeout: 5000 });
      return {
        exec: async (sql, params) => {
          db.prepare(sql).run(...params.map(sqlValue));
        },
        query: async (sql, params) => db.prepare(sql).all(...params.map(sqlValue)) as Array<Record<string, unknown>>,
        transaction: async (statements) => {
          db.transaction(() => {
            for (const [sql, params] of statements) db.prepare(sql).run(...params.map(sqlValue));
          })();
        },
        close: async () => {
          db.close();
        },
      };
    },
  });
});
