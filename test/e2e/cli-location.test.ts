// `--location PATH`: the CLI reads a location's NodeAuth settings from the real httpd's DUMP_CONFIG
// (`apache2 -f FILE -C 'LoadModule info_module ...' -t -D DUMP_CONFIG`, the module loaded) and merges the
// overlapping <Location> sections as the module does. Nested sections (database at /, options at /a, an
// override at /a/b) give the same answers as the merged values typed by hand, and as Django itself with the
// same PASSWORD_HASHERS (test/harness/django.ts). The doctor probes a section with the values it inherits.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { parseDumpConfig } from "../../src/cli/config-tree.js";
import { runHttpd } from "../../src/cli/httpd-run.js";
import { djangoSpecAt } from "../../src/cli/location.js";
import { makePassword } from "../../src/django/hashers/index.js";
import { nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT } from "../harness/apache.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { describeRequiring } from "../support/optional.js";
import { loadModule, standaloneHead } from "../support/httpd-conf.js";


describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("--location: a location's settings from httpd's DUMP_CONFIG", () => {
  let dir = "";
  let url = "";
  let cli: CliHarness;
  let count = 0;

  /** A configuration of its own ServerRoot with the module loaded, then `body`. */
  function writeConf(body: readonly string[]): string {
    const root = join(dir, `root${String(++count)}`);
    mkdirSync(root, { mode: 0o755 });
    const conf = join(root, "httpd.conf");
    const lines = [
      ...standaloneHead(root, 65011),
      `LoadModule authnz_node_module ${NODE_MODULE_PATH}`,
      `NodeAuthNodeBinary "${process.execPath}"`,
      `NodeAuthWorker "${join(REPO_ROOT, "dist/worker.js")}"`,
      ...body,
    ];
    writeFileSync(conf, `${lines.join("\n")}\n`);
    return conf;
  }

  let nested = "";
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-location-"));
    chmodSync(dir, 0o755);
    url = `sqlite://${join(dir, "site.sqlite3")}`;
    cli = CliHarness.create();
    const django = await startDjango({ databaseUrl: url, hashers: ["pbkdf2_sha256", "md5"] });
    try {
      await django.createGroup("agents", ["auth.view_user"]);
      await django.createUser({ username: "alice", password: "wonderland", iterations: 1000, groups: ["agents"] });
      await django.createUser({ username: "bob", password: "builder", encoded: await makePassword("builder", { hasher: "md5" }) });
    } finally {
      await django.close();
    }
    // The probe runs as the worker's user (www-data when root), who must read the SQLite file.
    chmodSync(join(dir, "site.sqlite3"), 0o644);
    nested = writeConf([
      '<Location "/">',
      `  NodeAuthDjangoDatabase "${url}"`,
      "</Location>",
      "<Location /a>",
      "  AuthType Basic",
      '  AuthName "members"',
      "  AuthBasicProvider node",
      "  NodeAuthDjangoOption django_version 3.2",
      '  NodeAuthDjangoOption hashers "pbkdf2_sha256,md5"',
      "  Require valid-user",
      "</Location>",
      "<Location /a/b>",
      "  NodeAuthDjangoOption hashers pbkdf2_sha256",
      "</Location>",
    ]);
  }, 180_000);
  afterAll(() => {
    cli?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const at = (path: string): string[] => ["--location", path, "--config", nested];
  const MERGED_AB = ["--database", "", "--option", "django_version=3.2", "--option", "hashers=pbkdf2_sha256"];
  const byHand = (): string[] => MERGED_AB.map((word) => (word === "" ? url : word));

  test("the live DUMP_CONFIG parses into the sections written, and /a/b merges to the values by hand", () => {
    const run = runHttpd(["/usr/sbin/apache2", "-f", nested], ["-C", loadModule("info"), "-t", "-D", "DUMP_CONFIG"]);
    expect(run.status).toBe(0);
    const tree = parseDumpConfig(run.stdout);
    const lineOf = (text: string): number => readFileSync(nested, "utf8").split("\n").indexOf(text) + 1;
    expect(tree.sections.map((s) => [s.header, s.file, s.line])).toEqual([
      ['<Location "/">', nested, lineOf('<Location "/">')],
      ["<Location /a>", nested, lineOf("<Location /a>")],
      ["<Location /a/b>", nested, lineOf("<Location /a/b>")],
    ]);
    expect(tree.sections[1]?.directives.find((d) => d.name === "NodeAuthDjangoOption" && d.words[0] === "hashers")).toMatchObject({ words: ["hashers", "pbkdf2_sha256,md5"], line: lineOf('  NodeAuthDjangoOption hashers "pbkdf2_sha256,md5"') });
    expect(djangoSpecAt(tree, "/a/b")).toEqual({ database: url, django_version: "3.2", hashers: "pbkdf2_sha256" });
  });

  test("check-login --location /a/b answers as --database/--option with the merged values, and as Django", async () => {
    const tries: Array<[string, string]> = [["alice", "wonderland"], ["alice", "nope"], ["bob", "builder"], ["nobody", "x"]];
    const answers: unknown[] = [];
    for (const [user, password] of tries) {
      const located = await cli.run(["check-login", user, ...at("/a/b"), "--json"], `${password}\n`);
      const typed = await cli.run(["check-login", user, ...byHand(), "--json"], `${password}\n`);
      expect(located.stderr).toBe("");
      expect([user, located.status, JSON.parse(located.stdout)]).toEqual([user, typed.status, JSON.parse(typed.stdout)]);
      answers.push((JSON.parse(located.stdout) as { result: string }).result);
    }
    // /a/b lists only PBKDF2: bob's MD5 hash is refused there (and accepted at /a, below).
    expect(answers).toEqual(["GRANTED", "DENIED", "DENIED", "USER_NOT_FOUND"]);
    // Django with /a/b's PASSWORD_HASHERS (its check upgrades accepted hashes, so it goes after the CLI).
    const django = await startDjango({ databaseUrl: url, hashers: ["pbkdf2_sha256"] });
    try {
      const verdicts = await Promise.all(tries.map(([user, password]) => django.checkPassword(user, password)));
      expect(verdicts).toEqual([true, false, false, null]);
    } finally {
      await django.close();
    }
  }, 120_000);

  test("check-login --location /a: /a's hashers, so bob's MD5 hash is accepted, as Django with those hashers", async () => {
    const located = await cli.run(["check-login", "bob", ...at("/a"), "--json"], "builder\n");
    expect(JSON.parse(located.stdout)).toMatchObject({ result: "GRANTED", hasher: "md5", would_upgrade: true });
    const django: DjangoOracle = await startDjango({ databaseUrl: url, hashers: ["pbkdf2_sha256", "md5"] });
    try {
      expect(await django.checkPassword("bob", "builder")).toBe(true);
    } finally {
      await django.close();
    }
  }, 120_000);

  test("groups, can and hash-audit take --location too", async () => {
    const groups = await cli.run(["groups", "alice", ...at("/a/b"), "--json"]);
    expect(JSON.parse(groups.stdout)).toMatchObject({ groups: ["agents"] });
    const can = await cli.run(["can", "alice", "auth.view_user", ...at("/a/b")]);
    expect([can.status, can.stdout.trim()]).toEqual([0, "yes"]);
    const audit = await cli.run(["hash-audit", ...at("/a/b"), "--json"]);
    const typed = await cli.run(["hash-audit", ...byHand(), "--json"]);
    expect(audit.status).toBe(0);
    expect(JSON.parse(audit.stdout)).toEqual(JSON.parse(typed.stdout));
  }, 60_000);

  test("usage errors (64): --database with --location, a location without NodeAuthDjangoDatabase, --host without --location", async () => {
    const both = await cli.run(["groups", "alice", ...at("/a"), "--database", url]);
    expect([both.status, both.stderr]).toEqual([64, expect.stringMatching(/--location takes the database and options from httpd's configuration: drop --database and --option/) as unknown]);
    const bare = writeConf(["<Location /x>", "  NodeAuthDjangoOption django_version 4.2", "</Location>"]);
    const none = await cli.run(["groups", "alice", "--location", "/x/y", "--config", bare]);
    expect([none.status, none.stderr.split("\n")[0]]).toEqual([64, "mod-authnz-node groups: --location /x/y: no NodeAuthDjangoDatabase applies to this location [ERR_CLI_USAGE]"]);
    const host = await cli.run(["groups", "alice", "--database", url, "--host", "v.example"]);
    expect([host.status, host.stderr]).toEqual([64, expect.stringMatching(/--host goes with --location/) as unknown]);
    const script = join(dir, "user-script.js");
    writeFileSync(script, "export function check_password() { return null; }\n");
    const withScript = writeConf(['<Location "/">', `  NodeAuthDjangoDatabase "${url}"`, `  NodeAuthUserScript ${script}`, "</Location>"]);
    const scripted = await cli.run(["groups", "alice", "--location", "/", "--config", withScript]);
    expect([scripted.status, scripted.stderr]).toEqual([64, expect.stringMatching(/a handler script is configured .*only the built-in Django handler/) as unknown]);
  }, 60_000);

  test("doctor: a trap only the inherited values show (a user_table the database lacks, under an inherited database)", async () => {
    const trap = writeConf(['<Location "/">', `  NodeAuthDjangoDatabase "${url}"`, "</Location>", "<Location /a>", "  NodeAuthDjangoOption user_table missing_users", "</Location>"]);
    const result = await cli.run(["doctor", "--config", trap, "--json"]);
    const findings = (JSON.parse(result.stdout) as { findings: Array<{ check: string; status: string; detail: string }> }).findings.filter((f) => f.check === "database");
    expect(findings.map((f) => [f.status, f.detail.split(":")[0]])).toEqual([
      ["ok", '<Location "/">'],
      ["fail", "<Location /a>"],
    ]);
    expect(findings[1]?.detail).toMatch(/missing_users/);
    expect(result.status).toBe(2);
  }, 60_000);
});
