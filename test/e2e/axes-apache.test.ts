// django-axes through real Apache (three instances, "hosts", each with its own worker) against one
// PostgreSQL database migrated by a real Django 3.2 + django-axes 5.39 site (test/harness/django-axes.ts),
// and one more Apache on a SQLite file of the same kind. Clients come from loopback addresses (curl
// --interface 127.0.x.y), so r->useragent_ip is the address axes' rows name. Each address fails fewer times
// than the worker's own throttle allows (10 per user and address), so every 429 here is axes'; the
// module's lockout line says so. The lockout state is in the database only, so what one host or the
// Django site writes, the other hosts honour: the cluster-wide story.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { NODE_MODULE_PATH, REPO_ROOT, nodeModuleBuilt, printErrorLogOnFailure, startApache, type ApacheServer } from "../harness/apache.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { startAxesSite, type AxesSite } from "../harness/django-axes.js";
import { basicLocation } from "../support/httpd-conf.js";
import { requestFromSync, type AddressAnswer } from "../support/client-address.js";
import { eventually } from "../support/eventually.js";
import { describeRequiring } from "../support/optional.js";

/** One request with Basic credentials from `ip` (a loopback address), by curl: the status and Retry-After. */
function basicFrom(server: ApacheServer, ip: string, user: string, password: string, path = "/a/"): AddressAnswer {
  return requestFromSync(server.url(path), ip, { user, password });
}

/** A host's configuration: /a/ with axes record (no cooloff), /c/ with a cooloff of 0.0003 hours (about 1 s). */
function hostConf(databaseUrl: string): string {
  const common = ["AuthBasicProvider node", `NodeAuthDjangoDatabase "${databaseUrl}"`, "NodeAuthDjangoOption django_version 3.2", "NodeAuthDjangoOption axes record"];
  return [
    moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
    "LogLevel info authnz_node:debug",
    basicLocation("/a/", "axes", [...common, "Require valid-user"]),
    basicLocation("/c/", "axes", [...common, "NodeAuthDjangoOption axes_cooloff_time 0.0003", "Require valid-user"]),
  ].join("\n");
}

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")(`django-axes through Apache (${NODE_MODULE_PATH})`, () => {
  const hosts: ApacheServer[] = [];
  let sqliteHost: ApacheServer | undefined;
  let postgres: PostgresServer;
  let site: AxesSite;
  let coolSite: AxesSite;
  let sqliteSite: AxesSite;
  let dir = "";

  printErrorLogOnFailure(() => hosts[0]);
  printErrorLogOnFailure(() => sqliteHost);

  beforeAll(async () => {
    postgres = await startPostgres();
    site = await startAxesSite({ databaseUrl: postgres.url, pbkdf2Iterations: 1000, axes: {} });
    coolSite = await startAxesSite({ databaseUrl: postgres.url, pbkdf2Iterations: 1000, axes: { AXES_COOLOFF_TIME: 0.0003 }, migrate: false });
    await site.oracle.createUser({ username: "alice", password: "alice-pw" });
    for (let i = 0; i < 3; i++) {
      hosts.push(await startApache({ files: { "a/index.html": "a\n", "c/index.html": "c\n" }, conf: hostConf(postgres.url) }));
    }
    // SQLite: the worker (httpd's User) writes the file and its journal in record mode.
    dir = mkdtempSync(join(tmpdir(), "anp-axes-e2e-"));
    const file = join(dir, "site.sqlite3");
    sqliteSite = await startAxesSite({ databaseUrl: `sqlite://${file}`, pbkdf2Iterations: 1000, axes: {} });
    await sqliteSite.oracle.createUser({ username: "alice", password: "alice-pw" });
    chmodSync(dir, 0o777);
    chmodSync(file, 0o666);
    sqliteHost = await startApache({ files: { "a/index.html": "a\n", "c/index.html": "c\n" }, conf: hostConf(`sqlite://${file}`) });
  }, 300_000);

  afterAll(async () => {
    try {
      for (const host of [...hosts, sqliteHost]) await host?.stop();
    } finally {
      for (const s of [site, coolSite, sqliteSite]) await s?.close();
      await postgres?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test("failed logins through Django's authenticate() lock X out of all three hosts: 429 with Retry-After for a right password and an unknown user alike; another address gets 200", async () => {
    for (let i = 0; i < 3; i++) await site.login("alice", `wrong-${i}`, { ip: "127.0.30.2" });
    for (const host of hosts) {
      const right = basicFrom(host, "127.0.30.2", "alice", "alice-pw");
      const unknown = basicFrom(host, "127.0.30.2", "nobody", "x");
      // No cooloff: locked until axes_reset, so Retry-After is the protocol's longest, the same for both.
      expect(right).toEqual({ status: 429, retryAfter: "86400" });
      expect(unknown).toEqual(right);
      expect(basicFrom(host, "127.0.30.3", "alice", "alice-pw").status).toBe(200);
    }
    expect(await eventually(() => /client 127\.0\.30\.2\b.*axes/.test(hosts[1]!.errorLog()))).toBe(true);
  });

  test("three hosts: failures through host 1 (record) lock X out of hosts 2 and 3 and out of the Django login", async () => {
    for (let i = 0; i < 3; i++) expect(basicFrom(hosts[0]!, "127.0.31.2", "alice", `wrong-${i}`).status).toBe(401);
    expect(await site.isLocked("alice", { ip: "127.0.31.2" })).toBe(true);
    expect(await site.login("alice", "alice-pw", { ip: "127.0.31.2" })).toEqual({ granted: false, locked_out: true });
    for (const host of hosts.slice(1)) expect(basicFrom(host, "127.0.31.2", "alice", "alice-pw").status).toBe(429);
    // axes' own row, written by host 1 as axes writes it: one row, its counter, curl's User-Agent.
    // (The Django login just now wrote a row of its own: no User-Agent, so "<unknown>".)
    const rows = (await site.attempts()).filter((row) => row.ip_address === "127.0.31.2" && row.user_agent !== "<unknown>");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ username: "alice", path_info: "/a/", http_accept: "*/*" });
    expect(rows[0]?.user_agent).toMatch(/^curl\//);
  });

  test("a short cooloff re-admits X: 429 first, then 200 once axes' rows are older than the cooloff", async () => {
    for (let i = 0; i < 3; i++) await coolSite.login("alice", `wrong-${i}`, { ip: "127.0.32.2" });
    const locked = basicFrom(hosts[2]!, "127.0.32.2", "alice", "alice-pw", "/c/");
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(locked.retryAfter)).toBeLessThanOrEqual(2);
    // Waiting quietly: in record mode a refused attempt is a failure too (axes'
    // AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so asking Apache again and again would keep X locked.
    expect(await eventually(async () => !(await coolSite.isLocked("alice", { ip: "127.0.32.2" })))).toBe(true);
    expect(basicFrom(hosts[2]!, "127.0.32.2", "alice", "alice-pw", "/c/").status).toBe(200);
  });

  test("in record mode an attempt while locked is a failure too, as on the site's own login form (it moves the cooloff on)", async () => {
    for (let i = 0; i < 3; i++) await site.login("alice", `wrong-${i}`, { ip: "127.0.32.3" });
    const before = (await site.attempts()).find((row) => row.ip_address === "127.0.32.3");
    expect(before?.failures_since_start).toBe(3);
    expect(basicFrom(hosts[0]!, "127.0.32.3", "alice", "alice-pw").status).toBe(429);
    // curl's row (its own User-Agent) counts the refused attempt, as axes counts a login it refused.
    const after = (await site.attempts()).filter((row) => row.ip_address === "127.0.32.3");
    expect(after.map((row) => row.failures_since_start).sort()).toEqual([1, 3]);
  });

  test("SQLite: Django's failures lock X out of Apache, and Apache's failures lock Y out of the Django login", async () => {
    for (let i = 0; i < 3; i++) await sqliteSite.login("alice", `wrong-${i}`, { ip: "127.0.33.2" });
    expect(basicFrom(sqliteHost!, "127.0.33.2", "alice", "alice-pw")).toEqual({ status: 429, retryAfter: "86400" });
    expect(basicFrom(sqliteHost!, "127.0.33.2", "nobody", "x")).toEqual({ status: 429, retryAfter: "86400" });
    for (let i = 0; i < 3; i++) expect(basicFrom(sqliteHost!, "127.0.33.3", "alice", `wrong-${i}`).status).toBe(401);
    expect(await sqliteSite.login("alice", "alice-pw", { ip: "127.0.33.3" })).toEqual({ granted: false, locked_out: true });
    expect(basicFrom(sqliteHost!, "127.0.33.4", "alice", "alice-pw").status).toBe(200);
  });
});
