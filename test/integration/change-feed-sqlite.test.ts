// The change feed on a SQLite file made by real Django (change-feed-suite.ts): triggers fill the change
// table, the subscriber reads it when PRAGMA data_version moves. SQLite has no server to restart: the feed
// is lost by replacing the file (a restore), which the subscriber must notice, reopen, and report as a gap.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import { afterAll } from "vitest";
import { defineChangeFeedSuite } from "./change-feed-suite.js";

const run = promisify(execFile);
const dir = mkdtempSync("/tmp/anp-feed-sqlite-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, "auth.sqlite3");

const CATALOG = `
SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS line FROM sqlite_master WHERE name LIKE 'anp\\_feed%' ESCAPE '\\'
UNION ALL SELECT 'sequence ' || name FROM sqlite_sequence WHERE name LIKE 'anp\\_feed%' ESCAPE '\\'
ORDER BY 1`;

defineChangeFeedSuite({
  label: "SQLite",
  databaseUrl: () => `sqlite://${path}`,
  catalog: async () => {
    const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(CATALOG).all() as Array<{ line: string }>).map((row) => row.line);
    } finally {
      db.close();
    }
  },
  applyScript: async (sql) => {
    const child = run("sqlite3", ["-bail", path]);
    child.child.stdin?.end(sql);
    await child;
  },
  openWriter: async () => {
    const db = new BetterSqlite3(path, { fileMustExist: true, timeout: 2000 });
    return {
      exec: async (sql, params) => {
        db.prepare(sql).run(...(params as unknown[]));
      },
      close: async () => {
        db.close();
      },
    };
  },
  // The change table, its pruning trigger, and 20 triggers (INSERT/UPDATE/DELETE where each table needs them).
  installedObjects: 22,
  loseFeed: async () => {
    copyFileSync(path, `${path}.restore`);
    renameSync(`${path}.restore`, path);
  },
});
