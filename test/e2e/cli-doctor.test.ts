// `mod-authnz-node doctor` against real httpd configurations: each known trap, written into a configuration
// file, is found by the real `apache2 -f FILE -t` (the module's own configtest warnings) with the right
// status and exit code, and a clean configuration passes with exit 0.
import { afterAll, beforeAll, expect, test } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRequiring } from "../support/optional.js";
import { nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT } from "../harness/apache.js";
import { CliHarness, type CliResult } from "../harness/cli.js";
import { seedDjango } from "../fixtures/use-cases/django.js";
import { spawnSync } from "node:child_process";
import { loadModule as load, standaloneHead } from "../support/httpd-conf.js";
import { djangoDefaults, makePassword } from "../../src/django/hashers/index.js";

const NODE_MODULE = `LoadModule authnz_node_module ${NODE_MODULE_PATH}`;
const AUTH = ["AuthType Basic", 'AuthName "doctor"', "AuthBasicProvider node"];

interface Finding {
  readonly check: string;
  readonly status: string;
  readonly detail: string;
  readonly fix?: string;
}

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("mod-authnz-node doctor", () => {
  let dir = "";
  let cli: CliHarness;
  let count = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "anp-doctor-"));
    chmodSync(dir, 0o755);
    cli = CliHarness.create();
  });
  afterAll(() => {
    cli.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A configuration file of its own ServerRoot: `modules` are LoadModule lines in order, then `body`. */
  function writeConf(modules: readonly string[], body: readonly string[], server: readonly string[] = [`NodeAuthNodeBinary "${process.execPath}"`, `NodeAuthWorker "${join(REPO_ROOT, "dist/worker.js")}"`]): string {
    const root = join(dir, `root${String(++count)}`);
    mkdirSync(root, { mode: 0o755 });
    const conf = join(root, "httpd.conf");
    const lines = [
      ...standaloneHead(root, 65009),
      ...modules,
      ...(modules.includes(NODE_MODULE) ? server : []),
      ...body,
    ];
    writeFileSync(conf, `${lines.join("\n")}\n`);
    return conf;
  }

  async function doctor(conf: string): Promise<{ result: CliResult; findings: Finding[] }> {
    const result = await cli.run(["doctor", "--config", conf, "--json"]);
    const parsed = JSON.parse(result.stdout || "{}") as { findings?: Finding[] };
    return { result, findings: parsed.findings ?? [] };
  }

  const statusOf = (findings: readonly Finding[], check: string): string[] => findings.filter((f) => f.check === check).map((f) => f.status);

  test("a clean configuration passes: every check ok, exit 0", async () => {
    const data = join(dir, "clean");
    mkdirSync(data, { mode: 0o755 });
    const file = join(data, "db.sqlite3");
    await seedDjango(`sqlite://${file}`, { groups: [{ name: "agents" }], users: [{ username: "alice", password: "pw-Alice-1", groups: ["agents"] }], checks: [] });
    chmodSync(file, 0o644);
    const conf = writeConf([NODE_MODULE], [
      '<Location "/secret">',
      ...AUTH,
      `NodeAuthDjangoDatabase "sqlite://${file}"`,
      "<RequireAll>",
      "Require valid-user",
      "Require node-group agents",
      "</RequireAll>",
      "</Location>",
    ]);
    const { result, findings } = await doctor(conf);
    expect(result.stderr).toBe("");
    expect(findings.map((f) => [f.check, f.status])).toEqual([
      ["configtest", "ok"],
      ["module-loaded", "ok"],
      ["require-group-owner", "ok"],
      ["require-any-trap", "ok"],
      ["worker-access", "ok"],
      ["node-version", "ok"],
      ["database", "ok"],
      ["database-grants", "ok"],
      ["django-version", "ok"],
      ["secret-files", "ok"],
      ["plain-http-basic", "ok"],
    ]);
    expect(result.status).toBe(0);
    const text = await cli.run(["doctor", "--config", conf]);
    expect(text.stdout).toMatch(/^ok\s+node-version\s+\S+ is v\d+\./m);
    expect(text.stdout).not.toMatch(/fixes:/);
  }, 60_000);

  test("the module not loaded: module-loaded fails with the fix, exit 2", async () => {
    const { result, findings } = await doctor(writeConf([], []));
    expect(findings.find((f) => f.check === "module-loaded")).toMatchObject({ status: "fail", fix: expect.stringMatching(/a2enmod authnz_node/) as unknown });
    expect(result.status).toBe(2);
  });

  test("mod_authz_groupfile loaded after the module: Require group is not Django's, warn (ANP0102), exit 1", async () => {
    const { result, findings } = await doctor(writeConf([NODE_MODULE, load("authz_groupfile")], []));
    expect(statusOf(findings, "require-group-owner")).toEqual(["warn"]);
    expect(findings.find((f) => f.check === "require-group-owner")?.detail).toMatch(/answered by mod_authz_groupfile/);
    expect(result.status).toBe(1);
  });

  test("the module loaded after mod_authz_groupfile: Require group means Django groups, warn (ANP0101), exit 1", async () => {
    const { result, findings } = await doctor(writeConf([load("authz_groupfile"), NODE_MODULE], []));
    expect(findings.find((f) => f.check === "require-group-owner")).toMatchObject({ status: "warn", fix: expect.stringMatching(/file-group/) as unknown });
    expect(result.status).toBe(1);
  });

  test("the RequireAny trap: one fail per trap, naming file and line, exit 2", async () => {
    const conf = writeConf(
      [NODE_MODULE],
      ['<Location "/a">', ...AUTH, "Require valid-user", "Require node-group agents", "</Location>", '<Location "/b">', ...AUTH, "Require group staff", "Require valid-user", "</Location>"],
    );
    const { result, findings } = await doctor(conf);
    const traps = findings.filter((f) => f.check === "require-any-trap");
    expect(traps.map((f) => f.status)).toEqual(["fail", "fail"]);
    expect(traps[0]?.detail).toMatch(new RegExp(`^${conf.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: 'Require node-group agents' stands next to 'Require valid-user'`));
    expect(traps[1]?.detail).toMatch(/'Require group staff'/);
    expect(traps[0]?.fix).toMatch(/<RequireAll>/);
    expect(result.status).toBe(2);
  });

  test("the worker unreadable by the worker's user: worker-access fails (ANP0342), exit 2", async () => {
    const hidden = join(dir, "hidden");
    mkdirSync(hidden, { mode: 0o700 });
    writeFileSync(join(hidden, "worker.js"), "");
    const conf = writeConf([NODE_MODULE], [], [`NodeAuthNodeBinary "${process.execPath}"`, `NodeAuthWorker "${join(hidden, "worker.js")}"`]);
    const { result, findings } = await doctor(conf);
    expect(statusOf(findings, "configtest")).toEqual(["fail"]);
    expect(findings.find((f) => f.check === "worker-access")).toMatchObject({ status: "fail", detail: expect.stringContaining(hidden) as unknown });
    expect(result.status).toBe(2);
  }, 30_000);

  test("NodeAuthNodeBinary older than Node.js 20: node-version fails, exit 2", async () => {
    const old = join(dir, "old-node");
    mkdirSync(old, { mode: 0o755 });
    writeFileSync(join(old, "node"), "#!/bin/sh\necho v18.19.0\n", { mode: 0o755 });
    const conf = writeConf([NODE_MODULE], [], [`NodeAuthNodeBinary "${join(old, "node")}"`, `NodeAuthWorker "${join(REPO_ROOT, "dist/worker.js")}"`]);
    const { result, findings } = await doctor(conf);
    expect(findings.find((f) => f.check === "node-version")).toMatchObject({ status: "fail", detail: expect.stringMatching(/v18\.19\.0; the worker needs 20/) as unknown });
    expect(result.status).toBe(2);
  });

  test("a configuration httpd refuses: configtest fails with httpd's words, exit 2; no httpd to run: exit 3", async () => {
    const { result, findings } = await doctor(writeConf([NODE_MODULE], ["NoSuchDirective here"]));
    expect(findings.find((f) => f.check === "configtest")).toMatchObject({ status: "fail", detail: expect.stringMatching(/NoSuchDirective/) as unknown });
    expect(result.status).toBe(2);
    const missing = await cli.run(["doctor", "--config", writeConf([NODE_MODULE], []), "--apache2", join(dir, "no-such-httpd")]);
    expect(missing.stderr).toMatch(/cannot run .*no-such-httpd: ENOENT/);
    expect(missing.status).toBe(3);
    const usage = await cli.run(["doctor", "extra-argument"]);
    expect(usage.status).toBe(64);
  });

  test("the database as the worker's user: ok when it may read the user table, fail when the file or a column is not there for it", async () => {
    const data = join(dir, "data");
    mkdirSync(data, { mode: 0o755 });
    const file = join(data, "db.sqlite3");
    await seedDjango(`sqlite://${file}`, { groups: [], users: [{ username: "alice", password: "pw-Alice-1" }], checks: [] });
    chmodSync(file, 0o644);
    const location = (path: string, options: readonly string[]): string[] => [`<Location "${path}">`, ...AUTH, `NodeAuthDjangoDatabase "sqlite://${file}"`, ...options, "Require valid-user", "</Location>"];
    const conf = writeConf([NODE_MODULE], [...location("/good", ["NodeAuthDjangoOption django_version 4.2"]), ...location("/column", ["NodeAuthDjangoOption username_column no_such_column"])]);
    const first = await doctor(conf);
    const databases = first.findings.filter((f) => f.check === "database");
    expect(databases.map((f) => [f.status, f.detail.split(":")[0]])).toEqual([
      ["ok", '<Location "/good">'],
      ["fail", '<Location "/column">'],
    ]);
    expect(databases[1]?.detail).toMatch(/no_such_column/);
    expect(first.result.status).toBe(2);
    if (process.getuid?.() !== 0) return;
    // Root may read a 0600 file; the worker's user may not, and that is the user the check runs as.
    chmodSync(file, 0o600);
    const second = await doctor(conf);
    expect(second.findings.find((f) => f.check === "database")).toMatchObject({ status: "fail", detail: expect.stringMatching(/as www-data: .*unable to open/) as unknown });
  }, 60_000);

  test("secret files others may read fail: the module's refusal (secret_key_file, a file: URL), and a password inline in a world-readable file", async () => {
    const secrets = join(dir, "secrets");
    mkdirSync(secrets, { mode: 0o755 });
    const key = join(secrets, "secret_key");
    const url = join(secrets, "database_url");
    writeFileSync(key, "not-a-real-key\n");
    writeFileSync(url, `sqlite://${join(secrets, "db.sqlite3")}\n`);
    const section = (database: string, options: readonly string[] = []): string[] => ['<Location "/s">', ...AUTH, `NodeAuthDjangoDatabase "${database}"`, ...options, "Require valid-user", "</Location>"];
    const secretFindings = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.check === "secret-files");

    chmodSync(url, 0o600);
    chmodSync(key, 0o644);
    const keyOpen = await doctor(writeConf([NODE_MODULE], section(`file:${url}`, [`NodeAuthDjangoOption secret_key_file ${key}`])));
    expect(secretFindings(keyOpen.findings)).toMatchObject([{ status: "fail", detail: expect.stringContaining(`${key} can be read or written by others`) as unknown }]);
    expect(keyOpen.result.status).toBe(2);

    chmodSync(key, 0o600);
    chmodSync(url, 0o644);
    const urlOpen = await doctor(writeConf([NODE_MODULE], section(`file:${url}`)));
    expect(secretFindings(urlOpen.findings)).toMatchObject([{ status: "fail", detail: expect.stringContaining(`${url} can be read or written by others`) as unknown }]);

    chmodSync(url, 0o600);
    const closed = await doctor(writeConf([NODE_MODULE], section(`file:${url}`, [`NodeAuthDjangoOption secret_key_file ${key}`])));
    expect(secretFindings(closed.findings).map((f) => f.status)).toEqual(["ok"]);

    const inline = writeConf([NODE_MODULE], section("postgres://django:not-the-password@127.0.0.1:1/site"));
    chmodSync(inline, 0o644);
    const readable = await doctor(inline);
    expect(secretFindings(readable.findings)).toMatchObject([{ status: "fail", detail: expect.stringMatching(/carries a password, and every user may read the file \(mode 0644\)/) as unknown }]);
    expect(readable.result.stdout).not.toContain("not-the-password");
    chmodSync(inline, 0o600);
    expect(secretFindings((await doctor(inline)).findings).map((f) => f.status)).toEqual(["ok"]);
  }, 90_000);

  test("Basic over plain HTTP on a virtual host other hosts reach warns (exit 1); on loopback it is ok", async () => {
    const vhost = (address: string): string[] => [`<VirtualHost ${address}>`, '<Location "/v">', ...AUTH, "Require valid-user", "</Location>", "</VirtualHost>"];
    const open = await doctor(writeConf([NODE_MODULE], vhost("*:65010")));
    expect(open.findings.filter((f) => f.check === "plain-http-basic")).toMatchObject([
      { status: "warn", detail: expect.stringMatching(/^<Location "\/v">: AuthType Basic on <VirtualHost \*:65010>/) as unknown, fix: expect.stringMatching(/SSLEngine on/) as unknown },
    ]);
    expect(open.result.status).toBe(1);
    const loopback = await doctor(writeConf([NODE_MODULE], vhost("127.0.0.1:65010")));
    expect(statusOf(loopback.findings, "plain-http-basic")).toEqual(["ok"]);
    expect(loopback.result.status).toBe(0);
  }, 60_000);

  test("django_version older than the stored iterations: warn, and fail with upgrade_hashes on (it would rehash them weaker)", async () => {
    const data = join(dir, "versions");
    mkdirSync(data, { mode: 0o755 });
    const file = join(data, "db.sqlite3");
    await seedDjango(`sqlite://${file}`, { groups: [], users: [{ username: "alice", password: "pw-Alice-1" }, { username: "bob", password: "pw-Bob-2" }], checks: [] });
    // alice's hash as a newer Django stored it: more PBKDF2 iterations than Django 3.2's 260000.
    const newer = await makePassword("pw-Alice-1", { ...djangoDefaults("3.2"), hasher: "pbkdf2_sha256", params: { pbkdf2_sha256: { iterations: 300_000 } } });
    const update = spawnSync("/usr/bin/python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('update auth_user set password=? where username=?', (sys.argv[2], 'alice')); c.commit()", file, newer]);
    expect(update.status).toBe(0);
    chmodSync(file, 0o644);
    const location = (path: string, options: readonly string[]): string[] => [`<Location "${path}">`, ...AUTH, `NodeAuthDjangoDatabase "sqlite://${file}"`, ...options, "Require valid-user", "</Location>"];
    const versionOf = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.check === "django-version");

    const older = await doctor(writeConf([NODE_MODULE], location("/v", ["NodeAuthDjangoOption django_version 3.2"])));
    expect(versionOf(older.findings)).toMatchObject([{ status: "warn", detail: expect.stringMatching(/1 of 2 pbkdf2_sha256 hashes have more iterations \(up to 300000\) than django_version 3\.2 gives \(260000\)$/) as unknown }]);
    expect(older.result.status).toBe(1);
    const upgrading = await doctor(writeConf([NODE_MODULE], location("/v", ["NodeAuthDjangoOption django_version 3.2", "NodeAuthDjangoOption upgrade_hashes on"])));
    expect(versionOf(upgrading.findings)).toMatchObject([{ status: "fail", detail: expect.stringMatching(/rewrites them at the next login with fewer iterations/) as unknown }]);
    expect(upgrading.result.status).toBe(2);
    const current = await doctor(writeConf([NODE_MODULE], location("/v", ["NodeAuthDjangoOption django_version 4.2"])));
    expect(versionOf(current.findings).map((f) => f.status)).toEqual(["ok"]);
  }, 90_000);
});
