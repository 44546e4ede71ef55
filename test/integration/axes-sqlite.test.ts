// The django-axes policy on a SQLite file migrated by a real Django 3.2 + django-axes 5.39 site (axes-suite.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import { defineAxesSuite } from "./axes-suite.js";

const dir = mkdtempSync("/tmp/anp-axes-sqlite-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

defineAxesSuite({ label: "SQLite", databaseUrl: () => `sqlite://${join(dir, "site.sqlite3")}` });
