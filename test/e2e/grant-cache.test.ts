// Issue 5, "optional bounded staleness for more speed": NodeAuthCacheSeconds N makes each Apache child
// remember a GRANTED Basic password check for N seconds, with the groups and permissions it carried,
// and answer the same user and password in the same configuration without asking the worker.
// Real Apache (mpm_event, one child, so one cache), the real worker, a SQLite database made and changed
// by real Django. What reached the worker is counted from the worker's own debug log (one
// `check_password user=...` line per request it answered), what the cache answered from the module's
// ANP0519 lines. A barrier request (an unknown user at a location without the cache) makes sure the
// worker's log has caught up before counting. No timed assertions: the only sleep is the one that must
// outlast the 1-second window before the change may be seen.
import { test, expect, beforeAll, afterAll } from "vitest";
import { describeRequiring } from "../support/optional.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startApache, configTest, printErrorLogOnFailure, nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { seedDjango, type CheckSpec, type DjangoVerdict, type SeedSpec, type UserSpec } from "../fixtures/use-cases/django.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { location } from "../support/httpd-conf.js";
import { escapeRegExp as escape, WorkerTrips } from "../support/error-log.js";

const VIEW = "files.view_file";
const SCRIPT = join(REPO_ROOT, "test/fixtures/e2e/handler.mjs");

const alice: UserSpec = { username: "alice", password: "pw-Alice-1", groups: ["agents"], permissions: [VIEW] };
const bob: UserSpec = { username: "bob", password: "pw-Bob-2" };
const carol: UserSpec = { username: "carol", password: "pw-Carol-3" };
const dave: UserSpec = { username: "dave", password: "pw-Dave-4" };
const erin: UserSpec = { username: "erin", password: "pw-Erin-5", groups: ["agents"] };
const USERS = [alice, bob, carol, dave, erin];
const NEW_PASSWORDS = { carol: "pw-Carol-new-6", dave: "pw-Dave-new-7" };

function conf(databaseUrl: string): string {
  // The Django that seeded the users (Debian's python3-django 3.2): without it the worker takes the newest
  // version's PBKDF2 rounds for every barrier, unknown user and wrong password, near the request timeout.
  const django = ["AuthType Basic", 'AuthName "grants"', "AuthBasicProvider node", `NodeAuthDjangoDatabase "${databaseUrl}"`, "NodeAuthDjangoOption django_version 3.2"];
  const script = ["AuthType Basic", 'AuthName "script"', "AuthBasicProvider node", `NodeAuthUserScript "${SCRIPT}"`, `NodeAuthGroupScript "${SCRIPT}"`];
  return [
    moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
    // One child, so one cache: every request after the first with the same credentials can be a hit.
    "StartServers 1",
    "ServerLimit 1",
    "MaxRequestWorkers 8",
    "MinSpareThreads 1",
    "LogLevel info authnz_node:debug",
    location("/cached/", [...django, "NodeAuthCacheSeconds 60", "Require valid-user"]),
    // Has a record of its own (so the merge runs) that inherits 60 from /cached/; its location, AuthName
    // and handler spec make its key differ.
    location("/cached/sub/", ['AuthName "sub"', "NodeAuthDjangoOption pool_size 2"]),
    location("/cached/off/", ["NodeAuthCacheSeconds 0"]),
    location("/fresh/", [...django, "Require valid-user"]),
    location("/short/", [...django, "NodeAuthCacheSeconds 1", "Require valid-user"]),
    location("/group/", [...django, "NodeAuthCacheSeconds 60", "Require group agents"]),
    location("/group-fresh/", [...django, "NodeAuthCacheSeconds 0", "Require group agents"]),
    location("/perm/", [...django, "NodeAuthCacheSeconds 60", `Require node-permission ${VIEW}`]),
    location("/script/", [...script, "NodeAuthCacheSeconds 60", "Require valid-user"]),
  ].join("\n");
}

const FILES = Object.fromEntries(
  ["cached", "cached/sub", "cached/off", "fresh", "short", "group", "group-fresh", "perm", "script"].map((d) => [`${d}/index.html`, `${d}\n`]),
);



describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")(`NodeAuthCacheSeconds: the per-child grant cache (${NODE_MODULE_PATH})`, () => {
  let server: ApacheServer | undefined;
  let dir = "";
  let databaseUrl = "";
  let barriers = 0;

  const { count, trips } = new WorkerTrips(() => server!.errorLog());
  /** Password checks the grant cache answered for `user` (at `where`, when given). */
  const hits = (user: string, where?: string): number =>
    count(`ANP0519: user '${escape(user)}' granted from the grant cache \\(NodeAuthCacheSeconds \\d+ at ${where ? escape(where) : "[^)]*"}\\)`);

  /** An unknown user at a location without the cache: once the worker has logged it, it has logged everything before it. */
  async function settle(): Promise<void> {
    const name = `barrier-${String(++barriers)}`;
    expect(await server!.statusAs("/fresh/", name, "none")).toBe(401);
    expect(await eventually(() => trips(name) === 1)).toBe(true);
  }

  /** Changes users as an admin would (django_seed.py run again) and returns Django's verdicts for `checks`. */
  async function change(users: readonly UserSpec[], checks: readonly CheckSpec[]): Promise<DjangoVerdict[]> {
    const spec: SeedSpec = { users, checks };
    return seedDjango(databaseUrl, spec);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-grant-cache-"));
    databaseUrl = `sqlite://${join(dir, "db.sqlite3")}`;
    const verdicts = await seedDjango(databaseUrl, {
      permissions: [{ app_label: "files", model: "file", codename: "view_file", name: "Can view file" }],
      groups: [{ name: "agents" }],
      users: USERS,
      checks: USERS.map((u) => ({ username: u.username, password: u.password, permissions: [VIEW] })),
    });
    // Django's own view of the seed, which the statuses below rely on.
    expect(verdicts.map((v) => [v.username, v.check_password, v.groups, v.perms[VIEW]])).toEqual([
      ["alice", true, ["agents"], true],
      ["bob", true, [], false],
      ["carol", true, [], false],
      ["dave", true, [], false],
      ["erin", true, ["agents"], false],
    ]);
    server = await startApache({ files: FILES, conf: conf(databaseUrl) });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  printErrorLogOnFailure(() => server);

  test("the server runs one child, so one cache", () => {
    expect(server!.children()).toHaveLength(1);
  });

  test("N requests with the same credentials: one check_password reaches the worker, the cache answers the rest", async () => {
    const N = 12;
    const tripsBefore = trips(alice.username);
    const hitsBefore = hits(alice.username, "/cached/");
    for (let i = 0; i < N; i++) expect(await server!.statusAs("/cached/", alice.username, alice.password)).toBe(200);
    await settle();
    expect(trips(alice.username) - tripsBefore).toBe(1);
    expect(hits(alice.username, "/cached/") - hitsBefore).toBe(N - 1);
  });

  test("a wrong password, or an unknown user, is never answered from the cache: each reaches the worker and gets 401", async () => {
    expect(await server!.statusAs("/cached/", alice.username, alice.password)).toBe(200);
    await settle();
    const deniedBefore = trips(alice.username, "DENIED");
    const hitsBefore = hits(alice.username);
    const wrong = [`${alice.password}x`, alice.password.slice(0, -1), "", alice.password.toUpperCase(), `${alice.password}x`, `${alice.password}x`];
    for (const password of wrong) expect(await server!.statusAs("/cached/", alice.username, password)).toBe(401);
    // The same wrong pair twice more: DENIED is not remembered either.
    for (let i = 0; i < 2; i++) expect(await server!.statusAs("/cached/", "nobody-here", alice.password)).toBe(401);
    await settle();
    expect(trips(alice.username, "DENIED") - deniedBefore).toBe(wrong.length);
    expect(trips("nobody-here", "USER_NOT_FOUND")).toBe(2);
    expect(hits(alice.username) - hitsBefore).toBe(0);
    // The right password is still remembered.
    expect(await server!.statusAs("/cached/", alice.username, alice.password)).toBe(200);
    expect(hits(alice.username) - hitsBefore).toBe(1);
  });

  test("after a password change the old one still works inside the window (NodeAuthCacheSeconds 60), and fails at once without the cache", async () => {
    expect(await server!.statusAs("/cached/", carol.username, carol.password)).toBe(200);
    expect(await server!.statusAs("/fresh/", carol.username, carol.password)).toBe(200);
    const hitsBefore = hits(carol.username, "/cached/");
    expect(await server!.statusAs("/cached/", carol.username, carol.password)).toBe(200);
    expect(hits(carol.username, "/cached/") - hitsBefore).toBe(1);

    const changed = { ...carol, password: NEW_PASSWORDS.carol };
    const verdicts = await change([changed], [
      { username: carol.username, password: carol.password },
      { username: carol.username, password: changed.password },
    ]);
    expect(verdicts.map((v) => v.check_password)).toEqual([false, true]);
    await settle();
    const granted = trips(carol.username, "GRANTED");
    const denied = trips(carol.username, "DENIED");

    expect(await server!.statusAs("/fresh/", carol.username, carol.password)).toBe(401);
    expect(await server!.statusAs("/cached/", carol.username, carol.password)).toBe(200); // documented staleness
    // A different password for the same user is a different key: a miss, asked of the worker.
    expect(await server!.statusAs("/cached/", carol.username, changed.password)).toBe(200);
    expect(await server!.statusAs("/fresh/", carol.username, changed.password)).toBe(200);
    await settle();
    expect(trips(carol.username, "DENIED") - denied).toBe(1);
    expect(trips(carol.username, "GRANTED") - granted).toBe(2);
    expect(hits(carol.username, "/cached/") - hitsBefore).toBe(2);
  });

  test("with NodeAuthCacheSeconds 1 the change is seen once the second has passed", async () => {
    expect(await server!.statusAs("/short/", dave.username, dave.password)).toBe(200);
    const changed = { ...dave, password: NEW_PASSWORDS.dave };
    const verdicts = await change([changed], [{ username: dave.username, password: dave.password }]);
    expect(verdicts[0]!.check_password).toBe(false);
    // Not a timed assertion: the window is 1 s, so after 2 s the entry is gone however slow the machine.
    await sleep(2000);
    await settle();
    const denied = trips(dave.username, "DENIED");
    expect(await server!.statusAs("/short/", dave.username, dave.password)).toBe(401);
    expect(await server!.statusAs("/short/", dave.username, changed.password)).toBe(200);
    await settle();
    expect(trips(dave.username, "DENIED") - denied).toBe(1);
  });

  test("Require group decides from the cached groups: a member 200, a non-member 401, both without a trip", async () => {
    expect(await server!.statusAs("/group/", alice.username, alice.password)).toBe(200);
    expect(await server!.statusAs("/group/", bob.username, bob.password)).toBe(401);
    await settle();
    const tripsBefore = trips(alice.username) + trips(bob.username);
    const hitsBefore = hits(alice.username, "/group/") + hits(bob.username, "/group/");
    const deniedFromGroups = count("ANP0516: Require group agents: user 'bob' is in none of them");
    for (let i = 0; i < 3; i++) {
      expect(await server!.statusAs("/group/", alice.username, alice.password)).toBe(200);
      expect(await server!.statusAs("/group/", bob.username, bob.password)).toBe(401);
    }
    await settle();
    expect(trips(alice.username) + trips(bob.username) - tripsBefore).toBe(0);
    expect(hits(alice.username, "/group/") + hits(bob.username, "/group/") - hitsBefore).toBe(6);
    expect(count("ANP0516: Require group agents: user 'bob' is in none of them") - deniedFromGroups).toBe(3);
  });

  test("a user removed from the group is still 200 inside the window, and 401 at once without the cache", async () => {
    expect(await server!.statusAs("/group/", erin.username, erin.password)).toBe(200);
    expect(await server!.statusAs("/group-fresh/", erin.username, erin.password)).toBe(200);
    const verdicts = await change([{ ...erin, groups: [] }], [{ username: erin.username, password: erin.password }]);
    expect(verdicts[0]!.groups).toEqual([]);
    const hitsBefore = hits(erin.username, "/group/");
    expect(await server!.statusAs("/group-fresh/", erin.username, erin.password)).toBe(401);
    expect(await server!.statusAs("/group/", erin.username, erin.password)).toBe(200); // documented staleness
    expect(hits(erin.username, "/group/") - hitsBefore).toBe(1);
  });

  test("Require node-permission decides from the cached held permissions", async () => {
    for (let i = 0; i < 3; i++) {
      expect(await server!.statusAs("/perm/", alice.username, alice.password)).toBe(200);
      expect(await server!.statusAs("/perm/", bob.username, bob.password)).toBe(401);
    }
    await settle();
    expect(hits(alice.username, "/perm/")).toBe(2);
    expect(hits(bob.username, "/perm/")).toBe(2);
    expect(count(`ANP0518: Require node-permission ${escape(VIEW)}: user 'bob' has none of them`)).toBe(3);
  });

  test("each section has its own entries; an inner section inherits the setting or turns it off", async () => {
    const before = trips(alice.username, "GRANTED");
    for (let i = 0; i < 3; i++) expect(await server!.statusAs("/cached/sub/", alice.username, alice.password)).toBe(200);
    for (let i = 0; i < 3; i++) expect(await server!.statusAs("/cached/off/", alice.username, alice.password)).toBe(200);
    await settle();
    expect(hits(alice.username, "/cached/sub/")).toBe(2);
    expect(hits(alice.username, "/cached/off/")).toBe(0);
    expect(trips(alice.username, "GRANTED") - before).toBe(1 + 3);
  });

  test("a handler's renamed user comes back from the cache too; an ERROR is never cached", async () => {
    const accessLines = () => server!.accessLog().split("\n").filter((l) => l.includes("GET /script/"));
    for (let i = 0; i < 3; i++) expect(await server!.statusAs("/script/", "alias", "mask")).toBe(200);
    for (let i = 0; i < 2; i++) expect(await server!.statusAs("/script/", "explode", "anything")).toBe(500);
    await settle();
    expect(hits("alias", "/script/")).toBe(2);
    expect(trips("alias", "GRANTED")).toBe(1);
    expect(trips("explode", "ERROR")).toBe(2);
    expect(await eventually(() => accessLines().length >= 5)).toBe(true);
    // httpd's user (%u) is the handler's name for every one of them, the cached ones included.
    expect(accessLines().slice(0, 3).map((l) => l.split(" ")[1])).toEqual(["renamed-agent", "renamed-agent", "renamed-agent"]);
  });

  test("no password, old or new, is ever in the error log", () => {
    const log = server!.errorLog();
    for (const password of [...USERS.map((u) => u.password), ...Object.values(NEW_PASSWORDS), "mask"]) {
      expect(log).not.toContain(password);
    }
  });
});

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("NodeAuthCacheSeconds: values apache2 -t refuses", () => {
  const section = (value: string) =>
    [moduleServerDirectives(REPO_ROOT), location("/x/", ["AuthType Basic", 'AuthName "x"', "AuthBasicProvider node", `NodeAuthUserScript "${SCRIPT}"`, `NodeAuthCacheSeconds ${value}`, "Require valid-user"])].join("\n");

  test.each(["-1", "3601", "5s", "1.5", "soon", "+5", "99999999999999999999"])("refuses %s, naming the directive", async (value) => {
    const result = await configTest({ conf: section(value) });
    expect(result.ok).toBe(false);
    expect(result.output).toContain(`NodeAuthCacheSeconds: '${value}' must be a whole number of seconds from 0 (off) to 3600`);
  });

  test("refuses an empty value (httpd's own message names the directive)", async () => {
    const result = await configTest({ conf: section('""') });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/NodeAuthCacheSeconds takes one argument/);
  });

  test("refuses it outside a <Location>/<Directory>", async () => {
    const result = await configTest({ conf: `${moduleServerDirectives(REPO_ROOT)}\nNodeAuthCacheSeconds 5` });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/NodeAuthCacheSeconds not allowed here/);
  });

  test.each(["0", "1", "3600"])("accepts %s", async (value) => {
    const result = await configTest({ conf: section(value) });
    expect(result.output).not.toMatch(/NodeAuthCacheSeconds/);
    expect(result.ok).toBe(true);
  });
});
