// The fail-closed promises of docs/module.md and docs/django.md, each driven through a real Apache
// (mpm_event), the real worker and databases made by real Django:
// - the database down (PostgreSQL killed, or shut down) is a 500 with its log line, and the
//   location answers 200 again once the server is back;
// - Require node-group / group / node-permission where no handler answers groups is a 500 (ANP0510);
// - a 500 inside <RequireAny> stops the evaluation: httpd does not fall through to Require valid-user
//   (mod_authz_core returns AUTHZ_GENERAL_ERROR from a section at once; a grant before it still wins);
// - the Django handler cannot answer Digest (Django stores no HA1): 500; Digest is never answered by
//   the grant cache and never folded (each request asks the worker for the hash, and for the groups
//   in a second trip);
// - a custom user model (accounts.EmailUser) mapped with NodeAuthDjangoOption answers as Django does
//   (its own server: `is_active_column ""` needs the module to take an empty value);
// - NodeAuthUserScript ... reload=on uses a changed script at the next request; without it, not.
// What reached the worker is counted from its own debug log (one `<operation> user=... -> STATUS`
// line per request it answered), after a barrier request whose line proves the log has caught up.
import { test, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { escapeRegExp as escape, WorkerTrips } from "../support/error-log.js";
import { eventually } from "../support/eventually.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { describeRequiring } from "../support/optional.js";
import { location } from "../support/httpd-conf.js";

const FIXTURES = join(REPO_ROOT, "test/fixtures/contract");
const AUTHZ_FAULTS = join(FIXTURES, "authz-faults.mjs");
const REALM = join(FIXTURES, "realm.mjs");
const VIEW = "files.view_file";
/** An expression line: not known before the request, so it is asked of the worker in authz. */
const VIEW_EXPR = "files.view_%{tolower:FILE}";

const CUSTOM_MAPPING = [
  "user_table accounts_emailuser",
  "username_column email",
  'is_active_column ""',
  "user_groups_table accounts_emailuser_groups",
  "user_groups_user_column emailuser_id",
  "user_permissions_table accounts_emailuser_user_permissions",
  "user_permissions_user_column emailuser_id",
].map((line) => `NodeAuthDjangoOption ${line}`);

const basic = (name: string): string[] => ["AuthType Basic", `AuthName "${name}"`, "AuthBasicProvider node"];
const django = (url: string, version: string): string[] => [`NodeAuthDjangoDatabase "${url}"`, `NodeAuthDjangoOption django_version ${version}`];

function filesFor(paths: readonly string[]): Record<string, string> {
  return Object.fromEntries(paths.map((p) => [`${p.slice(1)}index.html`, `${p}\n`]));
}

/** curl with HTTP Digest (the harness speaks Basic only); the status code. */
function digestStatus(server: ApacheServer, path: string, user: string, password: string): number {
  const run = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--digest", "-u", `${user}:${password}`, server.url(path)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return Number(run.stdout);
}

/** "3.2" from the oracle's Django version, for NodeAuthDjangoOption django_version (hash costs Django used). */
async function djangoRelease(oracle: DjangoOracle): Promise<string> {
  const { django: version } = await oracle.version();
  return version.split(".").slice(0, 2).join(".");
}

/** A Django SQLite database the worker (httpd's user) can read. */
async function sqliteDjango(dir: string, name: string, customUser: boolean): Promise<{ url: string; oracle: DjangoOracle }> {
  const file = join(dir, `${name}.sqlite3`);
  const url = `sqlite://${file}`;
  const oracle = await startDjango({ databaseUrl: url, customUser });
  return { url, oracle };
}

function readableByWorker(dir: string, files: readonly string[]): void {
  chmodSync(dir, 0o755);
  for (const file of files) chmodSync(file, 0o644);
}

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")(`fail-closed promises through Apache (${NODE_MODULE_PATH})`, () => {
  let server: ApacheServer | undefined;
  let dir = "";
  let plain: DjangoOracle | undefined;
  let release = "";
  let barriers = 0;
  const reloadOn = () => join(dir, "reload-on.mjs");
  const reloadOff = () => join(dir, "reload-off.mjs");

  const { count } = new WorkerTrips(() => server!.errorLog());
  /** Requests of `operation` for `user` the worker answered (with `status`, when given). */
  const trips = (operation: string, user: string, status = "[A-Z_]+"): number =>
    count(`\\[authnz_node:\\w+\\] \\[pid \\d+\\] ANP06\\d\\d: ${operation} user=${escape(JSON.stringify(user))} handler=[^\\n]*-> ${status}\\b`);

  /** An unknown user at a location without the grant cache: once its line is logged, everything before it is. */
  async function settle(): Promise<void> {
    const name = `barrier-${String(++barriers)}`;
    expect(await server!.statusAs("/plain/", name, "none")).toBe(401);
    expect(await eventually(() => trips("check_password", name) === 1)).toBe(true);
  }

  /** A script that grants `reloader` with `password` only. */
  function writeReloadable(file: string, password: string): void {
    writeFileSync(file, `export function checkPassword(environ, user, password) {\n  if (user !== "reloader") return null;\n  return password === ${JSON.stringify(password)};\n}\n`);
    chmodSync(file, 0o644);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-fail-closed-"));
    const standard = await sqliteDjango(dir, "standard", false);
    plain = standard.oracle;
    release = await djangoRelease(plain);
    await plain.createPermission("files", "file", "view_file");
    await plain.createUser({ username: "alice", password: "alice-Pw-1", groups: ["agents"], permissions: [VIEW] });
    readableByWorker(dir, [join(dir, "standard.sqlite3")]);

    writeReloadable(reloadOn(), "first-pw");
    writeReloadable(reloadOff(), "first-pw");

    const faults = [...basic("faults"), `NodeAuthUserScript "${AUTHZ_FAULTS}"`];
    const faultsWithGroups = [...faults, `NodeAuthGroupScript "${AUTHZ_FAULTS}"`];
    const paths: Array<[string, string[]]> = [
      ["/plain/", [...basic("plain"), ...django(standard.url, release), "Require valid-user"]],
      // A user script and no group handler.
      ["/nogroup/node-group/", [...faults, "Require node-group agents"]],
      ["/nogroup/group/", [...faults, "Require group agents"]],
      ["/nogroup/perm/", [...faults, `Require node-permission ${VIEW}`]],
      ["/nogroup/perm-expr/", [...faults, `Require node-permission ${VIEW_EXPR}`]],
      // <RequireAny> with a line whose check fails (boom) or denies (plain) before Require valid-user.
      ["/any/perm/", [...faultsWithGroups, "<RequireAny>", `Require node-permission ${VIEW_EXPR}`, "Require valid-user", "</RequireAny>"]],
      ["/any/group/", [...faultsWithGroups, "<RequireAny>", "Require node-group agents", "Require valid-user", "</RequireAny>"]],
      ["/any/digest-group/", ["AuthType Digest", 'AuthName "faults"', "AuthDigestProvider node", `NodeAuthUserScript "${AUTHZ_FAULTS}"`, `NodeAuthGroupScript "${AUTHZ_FAULTS}"`, "<RequireAny>", "Require node-group agents", "Require valid-user", "</RequireAny>"]],
      ["/any/valid-first/", [...faultsWithGroups, "<RequireAny>", "Require valid-user", `Require node-permission ${VIEW_EXPR}`, "</RequireAny>"]],
      // Digest with the Django handler, and Digest next to the grant cache.
      ["/django/basic/", [...basic("django"), ...django(standard.url, release), "NodeAuthCacheSeconds 60", "Require valid-user"]],
      ["/django/digest/", ["AuthType Digest", 'AuthName "django"', "AuthDigestProvider node", ...django(standard.url, release), "NodeAuthCacheSeconds 60", "Require valid-user"]],
      ["/realm/", ["AuthType Digest", 'AuthName "realm"', "AuthDigestProvider node", `NodeAuthUserScript "${REALM}"`, `NodeAuthGroupScript "${REALM}"`, "NodeAuthCacheSeconds 60", "Require node-group diggers"]],
      // Reloading.
      ["/reload/on/", [...basic("reload"), `NodeAuthUserScript "${reloadOn()}" reload=on`, "Require valid-user"]],
      ["/reload/off/", [...basic("reload"), `NodeAuthUserScript "${reloadOff()}"`, "Require valid-user"]],
    ];
    server = await startApache({
      files: filesFor(paths.map(([p]) => p)),
      modules: ["auth_digest"],
      conf: [
        moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
        // One child, so one grant cache: a Digest request after a Basic grant meets the cached grant.
        "StartServers 1",
        "ServerLimit 1",
        "MaxRequestWorkers 8",
        "MinSpareThreads 1",
        "LogLevel info authnz_node:debug",
        ...paths.map(([p, lines]) => location(p, lines)),
      ].join("\n"),
    });
  }, 300_000);

  afterAll(async () => {
    try {
      await server?.stop();
      await plain?.close();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  printErrorLogOnFailure(() => server);

  test.each([
    ["/nogroup/node-group/", "Require node-group"],
    ["/nogroup/group/", "Require group"],
    ["/nogroup/perm/", "Require node-permission"],
    ["/nogroup/perm-expr/", "Require node-permission with an expression"],
  ])("%s: %s with a user script and no group handler is a 500 with ANP0510, for a right password too", async (path) => {
    const before = count("ANP0510");
    expect(await server!.statusAs(path, "plain", "plain-pw")).toBe(500);
    expect(count("ANP0510") - before).toBe(1);
    // Before a user is known, the providers ask for credentials (AUTHZ_DENIED_NO_USER), as httpd's own do.
    expect(await server!.status(path)).toBe(401);
  });

  test("<RequireAny>: a node-permission check that fails is a 500 and Require valid-user after it is not reached", async () => {
    const before = count("ANP0515");
    expect(await server!.statusAs("/any/perm/", "boom", "boom-pw")).toBe(500);
    expect(count("ANP0515") - before).toBe(1);
    // The same lines with an ordinary denial fall through to Require valid-user.
    expect(await server!.statusAs("/any/perm/", "plain", "plain-pw")).toBe(200);
  });

  test("<RequireAny> with Digest (not folded): a node-group whose group handler fails is a 500 (ANP0515), not a grant from Require valid-user", async () => {
    const before = count("ANP0515: Require node-group: the worker could not check user 'boom'");
    expect(digestStatus(server!, "/any/digest-group/", "boom", "boom-pw")).toBe(500);
    expect(count("ANP0515: Require node-group: the worker could not check user 'boom'") - before).toBe(1);
    // An ordinary denial of the same line falls through to Require valid-user.
    expect(digestStatus(server!, "/any/digest-group/", "plain", "plain-pw")).toBe(200);
  });

  test("<RequireAny> with Basic: the group lookup rides with the password check, so its failure is that check's 500 (ANP0506)", async () => {
    const before = count("ANP0506: the worker could not check the password of user 'boom'");
    expect(await server!.statusAs("/any/group/", "boom", "boom-pw")).toBe(500);
    expect(count("ANP0506: the worker could not check the password of user 'boom'") - before).toBe(1);
    expect(await server!.statusAs("/any/group/", "plain", "plain-pw")).toBe(200);
  });

  test("<RequireAny>: httpd stops at the first grant, so Require valid-user first grants before the failing line runs", async () => {
    await settle();
    const asked = trips("has_permission", "boom");
    expect(await server!.statusAs("/any/valid-first/", "boom", "boom-pw")).toBe(200);
    await settle();
    expect(trips("has_permission", "boom") - asked).toBe(0);
  });

  test("the Django handler with Digest: 500 with ANP0509 for the right password (Django stores no HA1)", async () => {
    expect(await plain!.checkPassword("alice", "alice-Pw-1")).toBe(true);
    const before = count("ANP0509: the worker could not give the realm hash of user 'alice'");
    expect(digestStatus(server!, "/django/digest/", "alice", "alice-Pw-1")).toBe(500);
    expect(count("ANP0509: the worker could not give the realm hash of user 'alice'") - before).toBe(1);
  });

  test("Digest after a Basic grant in the grant cache: every Digest request still asks the worker", async () => {
    expect(await server!.statusAs("/django/basic/", "alice", "alice-Pw-1")).toBe(200);
    expect(await server!.statusAs("/django/basic/", "alice", "alice-Pw-1")).toBe(200);
    await settle();
    const hashes = trips("get_realm_hash", "alice");
    const hits = count("ANP0519: user 'alice' granted from the grant cache");
    expect(hits).toBeGreaterThanOrEqual(1); // the cache is on and holds alice's grant
    for (let i = 0; i < 3; i++) expect(digestStatus(server!, "/django/digest/", "alice", "alice-Pw-1")).toBe(500);
    await settle();
    expect(trips("get_realm_hash", "alice") - hashes).toBe(3);
    expect(count("ANP0519: user 'alice' granted from the grant cache")).toBe(hits);
  });

  test("Digest with a script (NodeAuthCacheSeconds 60, Require node-group): each request is a realm-hash trip and a separate groups trip", async () => {
    await settle();
    const hashes = trips("get_realm_hash", "digger");
    const groups = trips("groups_for_user", "digger");
    for (let i = 0; i < 3; i++) expect(digestStatus(server!, "/realm/", "digger", "dig-pw")).toBe(200);
    expect(digestStatus(server!, "/realm/", "digger", "dig-px")).toBe(401);
    await settle();
    expect(trips("get_realm_hash", "digger") - hashes).toBe(4);
    expect(trips("groups_for_user", "digger") - groups).toBe(3);
    expect(count("ANP0519: user 'digger'")).toBe(0);
  });

  test("NodeAuthUserScript reload=on answers with the changed script at the next request; without reload=on the old one stays", async () => {
    for (const path of ["/reload/on/", "/reload/off/"]) {
      expect(await server!.statusAs(path, "reloader", "first-pw")).toBe(200);
      expect(await server!.statusAs(path, "reloader", "second-longer-pw")).toBe(401);
    }
    writeReloadable(reloadOn(), "second-longer-pw");
    writeReloadable(reloadOff(), "second-longer-pw");
    expect(await server!.statusAs("/reload/on/", "reloader", "second-longer-pw")).toBe(200);
    expect(await server!.statusAs("/reload/on/", "reloader", "first-pw")).toBe(401);
    expect(await server!.statusAs("/reload/off/", "reloader", "first-pw")).toBe(200);
    expect(await server!.statusAs("/reload/off/", "reloader", "second-longer-pw")).toBe(401);
  });

  test("no password is in the error log", () => {
    const log = server!.errorLog();
    for (const password of ["alice-Pw-1", "boom-pw", "plain-pw", "dig-pw", "first-pw", "second-longer-pw"]) {
      expect(log).not.toContain(password);
    }
  });
});

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("a custom user model configured with NodeAuthDjangoOption, against Django", () => {
  let server: ApacheServer | undefined;
  let dir = "";
  let custom: DjangoOracle | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-custom-user-"));
    const emails = await sqliteDjango(dir, "custom", true);
    custom = emails.oracle;
    const release = await djangoRelease(custom);
    await custom.createPermission("files", "file", "view_file");
    await custom.createGroup("staff");
    await custom.createUser({ username: "ann@example.org", password: "ann-Pw-1", groups: ["staff"], permissions: [VIEW] });
    await custom.createUser({ username: "ben@example.org", password: "ben-Pw-2" });
    await custom.createUser({ username: "sue@example.org", password: "sue-Pw-3", is_superuser: true });
    readableByWorker(dir, [join(dir, "custom.sqlite3")]);
    const handler = [...django(emails.url, release), ...CUSTOM_MAPPING];
    const paths: Array<[string, string[]]> = [
      ["/custom/valid/", [...basic("custom"), ...handler, "Require valid-user"]],
      ["/custom/group/", [...basic("custom"), ...handler, "Require node-group staff"]],
      ["/custom/perm/", [...basic("custom"), ...handler, `Require node-permission ${VIEW}`]],
    ];
    server = await startApache({
      files: filesFor(paths.map(([p]) => p)),
      conf: [moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }), ...paths.map(([p, lines]) => location(p, lines))].join("\n"),
    });
  }, 300_000);

  afterAll(async () => {
    try {
      await server?.stop();
      await custom?.close();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  printErrorLogOnFailure(() => server);

  test("a custom user model mapped with NodeAuthDjangoOption: Apache answers as Django's check_password, groups and has_perm", async () => {
    const attempts: Array<[string, string]> = [
      ["ann@example.org", "ann-Pw-1"],
      ["ann@example.org", "ann-Pw-X"],
      ["ANN@example.org", "ann-Pw-1"],
      ["ben@example.org", "ben-Pw-2"],
      ["ben@example.org", "ann-Pw-1"],
      ["sue@example.org", "sue-Pw-3"],
      ["nobody@example.org", "ann-Pw-1"],
    ];
    const seen: string[] = [];
    const expected: string[] = [];
    for (const [user, password] of attempts) {
      const ok = (await custom!.checkPassword(user, password)) === true;
      const inStaff = ok && (await custom!.groupsForUser(user)).includes("staff");
      const holds = ok && (await custom!.hasPerm(user, VIEW));
      expected.push(`${user}/${password}: ${ok ? 200 : 401} ${inStaff ? 200 : 401} ${holds ? 200 : 401}`);
      const statuses = [
        await server!.statusAs("/custom/valid/", user, password),
        await server!.statusAs("/custom/group/", user, password),
        await server!.statusAs("/custom/perm/", user, password),
      ];
      seen.push(`${user}/${password}: ${statuses.join(" ")}`);
    }
    expect(seen).toEqual(expected);
    // The comparison is not vacuous: Django grants, denies, and tells group and permission apart.
    expect(expected).toContain("ann@example.org/ann-Pw-1: 200 200 200");
    expect(expected).toContain("ben@example.org/ben-Pw-2: 200 401 401");
    expect(expected).toContain("sue@example.org/sue-Pw-3: 200 401 200");
  });

  test("no password is in the error log", () => {
    const log = server!.errorLog();
    for (const password of ["ann-Pw-1", "ben-Pw-2", "sue-Pw-3"]) expect(log).not.toContain(password);
  });
});

describeRequiring(nodeModuleBuilt() && process.getuid?.() === 0, "the module built, and root (PostgreSQL runs as the postgres user)")("the Django database down (PostgreSQL, through Apache)", () => {
  let server: ApacheServer | undefined;
  let pg: PostgresServer | undefined;
  let oracle: DjangoOracle | undefined;
  const USER = "pat";
  const PASSWORD = "pat-Pw-1";
  const failures = (): number => (server!.errorLog().match(new RegExp(`ANP0506: the worker could not check the password of user '${USER}'`, "g")) ?? []).length;

  beforeAll(async () => {
    pg = await startPostgres();
    oracle = await startDjango({ databaseUrl: pg.url });
    await oracle.createUser({ username: USER, password: PASSWORD });
    expect(await oracle.checkPassword(USER, PASSWORD)).toBe(true);
    const release = await djangoRelease(oracle);
    // The oracle's connection would keep a backend busy across kill and restart for nothing.
    await oracle.close();
    oracle = undefined;
    server = await startApache({
      files: filesFor(["/pg/"]),
      conf: [
        moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
        // A hung server is only noticed at the deadline; a short one keeps the hung case short.
        "NodeAuthTimeout 2s",
        location("/pg/", [...basic("pg"), ...django(pg.url, release), "Require valid-user"]),
      ].join("\n"),
    });
  }, 300_000);

  afterAll(async () => {
    try {
      await server?.stop();
      await oracle?.close();
    } finally {
      await pg?.cleanup();
    }
  });

  printErrorLogOnFailure(() => server);

  test("killed: 500 with ANP0506; restarted on the same port: 200 again", async () => {
    expect(await server!.statusAs("/pg/", USER, PASSWORD)).toBe(200);
    await pg!.kill();
    const before = failures();
    try {
      expect(await server!.statusAs("/pg/", USER, PASSWORD)).toBe(500);
      expect(await server!.statusAs("/pg/", USER, "wrong")).toBe(500);
      expect(failures() - before).toBe(2);
    } finally {
      // Up again whatever happened, so the next case starts from a running server.
      await pg!.restart();
    }
    expect(await eventually(async () => (await server!.statusAs("/pg/", USER, PASSWORD)) === 200, 100)).toBe(true);
    expect(await server!.statusAs("/pg/", USER, "wrong")).toBe(401);
  });

  test("shut down cleanly: 500 with ANP0506; restarted: 200 again", async () => {
    expect(await server!.statusAs("/pg/", USER, PASSWORD)).toBe(200);
    await pg!.stop();
    const before = failures();
    try {
      expect(await server!.statusAs("/pg/", USER, PASSWORD)).toBe(500);
      expect(failures() - before).toBe(1);
    } finally {
      await pg!.restart();
    }
    expect(await eventually(async () => (await server!.statusAs("/pg/", USER, PASSWORD)) === 200, 100)).toBe(true);
  });

  test("hung (SIGSTOP): 500 with ANP0506 once the deadline passes, never a 200 or 401; resumed: 200 again", async () => {
    expect(await server!.statusAs("/pg/", USER, PASSWORD)).toBe(200);
    pg!.suspend();
    const before = failures();
    try {
      expect(await server!.statusAs("/pg/", USER, PASSWORD)).toBe(500);
      expect(failures() - before).toBe(1);
    } finally {
      pg!.resume();
    }
    expect(await eventually(async () => (await server!.statusAs("/pg/", USER, PASSWORD)) === 200, 100)).toBe(true);
  });

  test("no password is in the error log", () => {
    expect(server!.errorLog()).not.toContain(PASSWORD);
  });
});
