// The mod-authnz-node CLI on a SQLite file made by real Django (cli-suite.ts), and what only needs one
// database: usage errors, a database that is not there, and where the password may appear.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliHarness } from "../harness/cli.js";
import { defineCliSuite } from "./cli-suite.js";

const dir = mkdtempSync("/tmp/anp-cli-sqlite-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const url = `sqlite://${join(dir, "auth.sqlite3")}`;

defineCliSuite({ label: "SQLite", databaseUrl: () => url });

describe("mod-authnz-node CLI: usage and failures", () => {
  let cli: CliHarness;
  beforeAll(() => {
    cli = CliHarness.create();
  }, 120_000);
  afterAll(() => cli?.cleanup());

  it("exits 64 for a bad command line, naming the problem, before reading any password", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /usage: mod-authnz-node <command>/],
      [["nope"], /unknown command "nope"/],
      [["check-login", "alice"], /--database is required/],
      [["check-login", "alice", "secret", "--database", url], /unexpected argument "secret"/],
      [["check-login", "alice", "--password", "secret", "--database", url], /unknown flag --password/],
      [["groups", "alice", "--database", url, "--option", "bogus=1"], /bogus: unknown key for type=django/],
      [["groups", "alice", "--database", url, "--option", "django_version=2.0"], /django_version: unsupported Django version/],
      [["can", "alice", "nodot", "--database", url], /not app_label.codename/],
      [["make-password", "--hasher", "md6"], /unknown algorithm "md6"/],
      [["make-password", "--hasher", "md5", "--iterations", "3"], /md5 has no iterations/],
      [["hash-audit", "--database", url, "--page-size", "0"], /--page-size/],
    ];
    for (const [args, message] of cases) {
      const result = await cli.run(args, "never-read\n");
      expect([args, result.status]).toEqual([args, 64]);
      expect(result.stdout + result.stderr).toMatch(message);
    }
  });

  it("each command has --help naming its exit statuses", async () => {
    for (const command of ["check-login", "groups", "can", "hash-audit", "make-password"]) {
      const result = await cli.run([command, "--help"]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^usage: mod-authnz-node /);
      expect(result.stdout).toMatch(/exit status: 0 /);
    }
  });

  it("exits 3 when the database cannot answer (never USER_NOT_FOUND), and when no password comes", async () => {
    const missing = `sqlite://${join(dir, "missing.sqlite3")}`;
    for (const args of [["check-login", "alice"], ["groups", "alice"], ["can", "alice", "auth.view_user"], ["hash-audit"]]) {
      const result = await cli.run([...args, "--database", missing], "pw\n");
      expect([args, result.status]).toEqual([args, 3]);
      expect(result.stdout).not.toContain("USER_NOT_FOUND");
    }
    const empty = await cli.run(["check-login", "alice", "--database", url], null);
    expect(empty.status).toBe(3);
    expect(empty.stderr).toMatch(/no password on stdin/);
  });
});
