// mod_authn_socache in front of node for Basic (`AuthBasicProvider socache node`, `AuthnCacheProvideFor
// node`): the module offers each GRANTED password check the worker answered to mod_authn_socache's store
// as a bcrypt hash, as httpd's own providers offer theirs, and never a DENIED or USER_NOT_FOUND.
// Real Apache (mpm_event), mod_socache_shmcb, the real worker, a SQLite database made and changed by
// real Django. What reached the worker is counted from its own debug log (one `check_password user=...` line per check it answered), after a barrier request (an
// unknown user at a location without the cache) shows the log has caught up; and, as a second proof,
// with the worker stopped by SIGSTOP, when nothing but the cache can answer.
import { test, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRequiring } from "../support/optional.js";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { seedDjango, type UserSpec } from "../fixtures/use-cases/django.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { basicLocation } from "../support/httpd-conf.js";
import { escapeRegExp as escape, WorkerTrips } from "../support/error-log.js";

const alice: UserSpec = { username: "alice", password: "pw-Alice-1" };
const bob: UserSpec = { username: "bob", password: "pw-Bob-2" };
const carol: UserSpec = { username: "carol", password: "pw-Carol-3" };
// Longer than the 72 bytes bcrypt reads: never offered to the cache.
const dave: UserSpec = { username: "dave", password: `pw-Dave-${"d".repeat(80)}` };
const erin: UserSpec = { username: "erin", password: "pw-Erin-5" };
const USERS = [alice, bob, carol, dave, erin];

function conf(databaseUrl: string): string {
  const django = [`NodeAuthDjangoDatabase "${databaseUrl}"`, "NodeAuthDjangoOption django_version 3.2"];
  return [
    moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
    "StartServers 2",
    "MinSpareThreads 2",
    "LogLevel info authnz_node:debug authn_socache:debug",
    "AuthnCacheSOCache shmcb",
    basicLocation("/cached/", "cached", ["AuthBasicProvider socache node", "AuthnCacheProvideFor node", "AuthnCacheTimeout 300", ...django, "Require valid-user"]),
    // socache listed, but not told to cache for node: nothing is stored, every check asks the worker.
    basicLocation("/not-for-node/", "not for node", ["AuthBasicProvider socache node", ...django, "Require valid-user"]),
    basicLocation("/fresh/", "fresh", ["AuthBasicProvider node", ...django, "Require valid-user"]),
  ].join("\n");
}


describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("Basic answers cached by mod_authn_socache (AuthnCacheProvideFor node)", () => {
  let server: ApacheServer | undefined;
  let dir = "";
  let databaseUrl = "";
  let barriers = 0;
  printErrorLogOnFailure(() => server);

  const { count, trips } = new WorkerTrips(() => server!.errorLog());
  /** mod_authn_socache's own debug line for a store. */
  const stored = (user: string): number => count(`AH01681: Cached authn credentials for ${escape(user)} in `);

  async function settle(): Promise<void> {
    const name = `barrier-${String(++barriers)}`;
    expect(await server!.statusAs("/fresh/", name, "none")).toBe(401);
    expect(await eventually(() => trips(name) === 1)).toBe(true);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-basic-socache-"));
    chmodSync(dir, 0o755);
    databaseUrl = `sqlite://${join(dir, "db.sqlite3")}`;
    const verdicts = await seedDjango(databaseUrl, { users: USERS, checks: USERS });
    expect(verdicts.map((v) => v.check_password)).toEqual([true, true, true, true, true]);
    server = await startApache({ modules: ["socache_shmcb", "authn_socache"], files: { "cached/index.html": "c\n", "not-for-node/index.html": "n\n", "fresh/index.html": "f\n" }, conf: conf(databaseUrl) });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("after the first 200, the same credentials are answered by mod_authn_socache: no trip to the worker", async () => {
    expect(await server!.statusAs("/cached/", alice.username, alice.password)).toBe(200);
    for (let i = 0; i < 8; i++) expect(await server!.statusAs("/cached/", alice.username, alice.password)).toBe(200);
    await settle();
    expect(trips(alice.username, "GRANTED")).toBe(1);
    expect(stored(alice.username)).toBe(1);
  });

  test("with the worker stopped (SIGSTOP), cached credentials still get 200: nothing else could have answered", async () => {
    expect(await server!.statusAs("/cached/", erin.username, erin.password)).toBe(200);
    await settle();
    const workers = server!.workers();
    expect(workers).toHaveLength(1);
    const pid = workers[0]!.pid;
    process.kill(pid, "SIGSTOP");
    try {
      for (let i = 0; i < 4; i++) expect(await server!.statusAs("/cached/", erin.username, erin.password)).toBe(200);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await settle();
    expect(trips(erin.username)).toBe(1);
  });

  test("a user with no entry and a wrong password: 401, it reaches the worker each time, and DENIED is never stored", async () => {
    for (let i = 0; i < 3; i++) expect(await server!.statusAs("/cached/", bob.username, `${bob.password}x`)).toBe(401);
    for (let i = 0; i < 2; i++) expect(await server!.statusAs("/cached/", "nobody-here", "whatever")).toBe(401);
    await settle();
    expect(trips(bob.username, "DENIED")).toBe(3);
    expect(trips("nobody-here", "USER_NOT_FOUND")).toBe(2);
    expect(stored(bob.username) + stored("nobody-here")).toBe(0);
    // And bob's right password is then asked once and cached.
    expect(await server!.statusAs("/cached/", bob.username, bob.password)).toBe(200);
    expect(await server!.statusAs("/cached/", bob.username, bob.password)).toBe(200);
    await settle();
    expect(trips(bob.username, "GRANTED")).toBe(1);
  });

  test("a wrong password for a cached user is 401 from mod_authn_socache itself: the worker (and its throttle) never sees it", async () => {
    expect(await server!.statusAs("/cached/", alice.username, alice.password)).toBe(200);
    await settle();
    const before = trips(alice.username);
    for (let i = 0; i < 3; i++) expect(await server!.statusAs("/cached/", alice.username, `${alice.password}x`)).toBe(401);
    await settle();
    expect(trips(alice.username) - before).toBe(0);
  });

  test("a password change is not seen until AuthnCacheTimeout: the old password still 200, the new one 401", async () => {
    expect(await server!.statusAs("/cached/", carol.username, carol.password)).toBe(200);
    const changed = { ...carol, password: "pw-Carol-new-6" };
    const verdicts = await seedDjango(databaseUrl, { users: [changed], checks: [carol, changed] });
    expect(verdicts.map((v) => v.check_password)).toEqual([false, true]);
    expect(await server!.statusAs("/fresh/", carol.username, carol.password)).toBe(401);
    expect(await server!.statusAs("/cached/", carol.username, carol.password)).toBe(200);
    expect(await server!.statusAs("/cached/", carol.username, changed.password)).toBe(401);
    expect(await server!.statusAs("/fresh/", carol.username, changed.password)).toBe(200);
  });

  test("a password longer than bcrypt reads is never offered: each request asks the worker", async () => {
    for (let i = 0; i < 3; i++) expect(await server!.statusAs("/cached/", dave.username, dave.password)).toBe(200);
    await settle();
    expect(trips(dave.username, "GRANTED")).toBe(3);
    expect(stored(dave.username)).toBe(0);
    expect(count(`ANP0523: user 'dave' not offered to mod_authn_socache`)).toBe(3);
  });

  test("a section that lists socache without AuthnCacheProvideFor node stores nothing: each request asks the worker", async () => {
    const before = trips(erin.username, "GRANTED");
    const storedBefore = stored(erin.username);
    for (let i = 0; i < 3; i++) expect(await server!.statusAs("/not-for-node/", erin.username, erin.password)).toBe(200);
    await settle();
    expect(trips(erin.username, "GRANTED") - before).toBe(3);
    expect(stored(erin.username) - storedBefore).toBe(0);
  });
});
