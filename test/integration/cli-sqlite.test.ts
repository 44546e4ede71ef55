// The mod-authnz-node CLI on a SQLite file made by real Django (cli-suite.ts), and what only needs one
// database: usage errors, a database that is not there, where the password may appear (argv, the
// environment, the terminal's echo), and the progress bar.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPassword, djangoDefaults, makePassword } from "../../src/django/hashers/index.js";
import { CliHarness, collect, runOnTerminal } from "../harness/cli.js";
import { startDjango } from "../harness/django.js";
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
    for (const command of ["check-login", "groups", "can", "hash-audit", "make-password", "doctor", "status"]) {
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

describe("mod-authnz-node CLI: where the password goes (it runs as root or an admin)", () => {
  let cli: CliHarness;
  const path = join(dir, "secrets.sqlite3");
  const secretsUrl = `sqlite://${path}`;
  const PASSWORD = "Tr0ub4dor-and-3";
  beforeAll(async () => {
    cli = CliHarness.create();
    const oracle = await startDjango({ databaseUrl: secretsUrl });
    // Django 6.1's 1,500,000 iterations: a check that lasts long enough to be looked at from outside.
    await oracle.createUser({ username: "slow", password: "x", encoded: await makePassword(PASSWORD, djangoDefaults("6.1")) });
    await oracle.close();
  }, 120_000);
  afterAll(() => cli?.cleanup());

  it("never shows it in what ps and /proc show of the process (argv, environment) while it checks", async () => {
    const child = cli.spawn(["check-login", "slow", "--database", secretsUrl, "--option", "django_version=6.1"]);
    const pid = child.pid as number;
    const snapshots: string[] = [];
    let running = true;
    const done = collect(child, `${PASSWORD}\n`).finally(() => (running = false));
    while (running) {
      try {
        snapshots.push(execFileSync("ps", ["-ww", "-o", "args=", "-p", String(pid)], { encoding: "utf8" }));
        snapshots.push(readFileSync(`/proc/${pid}/cmdline`, "latin1"), readFileSync(`/proc/${pid}/environ`, "latin1"));
      } catch {
        // the process has just ended
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const result = await done;
    expect(result.stdout).toMatch(/^GRANTED\n/);
    expect(snapshots.length).toBeGreaterThan(3);
    expect(snapshots.join("\n")).toContain("check-login");
    for (const text of [...snapshots, result.stdout, result.stderr]) expect(text).not.toContain(PASSWORD);
  }, 60_000);

  it("reads it from a terminal without echo, and make-password asks twice", async () => {
    const login = await runOnTerminal(cli.cliJs, ["check-login", "slow", "--database", secretsUrl, "--option", "django_version=6.1"], `${PASSWORD}\r`);
    expect(login.status).toBe(0);
    expect(login.output).toMatch(/Password: /);
    expect(login.output).toMatch(/GRANTED/);
    expect(login.output).not.toContain(PASSWORD);
    const made = await runOnTerminal(cli.cliJs, ["make-password", "--hasher", "pbkdf2_sha256", "--iterations", "1000"], `${PASSWORD}\r`);
    expect(made.status).toBe(0);
    expect(made.output).toMatch(/Password again: /);
    expect(made.output).not.toContain(PASSWORD);
    const encoded = /pbkdf2_sha256\$1000\$\S+/.exec(made.output)?.[0] ?? "";
    expect(await checkPassword(PASSWORD, encoded)).toBe(true);
  }, 60_000);

  it("hash-audit draws a progress bar on a terminal and none into a pipe", async () => {
    const tty = await runOnTerminal(cli.cliJs, ["hash-audit", "--database", secretsUrl], "");
    expect(tty.status).toBe(0);
    expect(tty.output).toMatch(/\r\[#{30}\] 100% {2}1\/1 users/);
    const piped = await cli.run(["hash-audit", "--database", secretsUrl]);
    expect(piped.stderr).toBe("");
  }, 60_000);
});
