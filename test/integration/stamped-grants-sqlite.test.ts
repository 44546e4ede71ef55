// Stamped grants (stamped-grants-suite.ts) on a SQLite file made by real Django; the feed is lost by
// replacing the file under its path (a restore).
import { copyFileSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import { defineStampedGrantSuite } from "./stamped-grants-suite.js";

const dir = mkdtempSync("/tmp/anp-stamped-sqlite-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, "auth.sqlite3");

defineStampedGrantSuite({
  label: "SQLite",
  databaseUrl: () => `sqlite://${path}`,
  loseFeed: async () => {
    copyFileSync(path, `${path}.restore`);
    renameSync(`${path}.restore`, path);
  },
});
