// Session cookies answered from the children's shared store (change_feed on), through real Apache on real
// PostgreSQL 15 and MariaDB 10.11 servers and a SQLite file, with sessions made by Django's own login: repeated
// requests with one cookie do not reach the worker; Django's logout, set_password, is_active=False and
// groups.remove are refused at once; a session whose expire_date passes (no change for the feed to report) is
// never answered after it; an unknown cookie always reaches the worker. Trips are counted from the worker's own
// debug lines (`check_session ... -> STATUS`).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { trackDirectory } from "../harness/lifecycle.js";
import { startMariaDB } from "../harness/mariadb.js";
import { startPostgres } from "../harness/postgres.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { WorkerTrips } from "../support/error-log.js";
import { eventually } from "../support/eventually.js";
import { djangoSessionLocation } from "../support/httpd-conf.js";
import { describeRequiring } from "../support/optional.js";
import { setSessionExpiry } from "../support/session-expiry.js";
import { CHANGE_BOUND_MS, GROUP } from "./change-feed-suite.js";

const SECRET_KEY = "change-feed session key: fifty characters or more, not a secret!";
const PW = "session-feed-Pw-1";
const UNKNOWN = "0123456789abcdefghijklmnopqrstuv";

function sessionSection(path: string, databaseUrl: string, keyFile: string, engine: string, require: string): string {
  return djangoSessionLocation(path, { databaseUrl, keyFile, engine }, ["NodeAuthDjangoOption change_feed on", require]);
}

/** A database for one block: its URL, made ready for the worker once Django made its tables, and removed. */
interface SessionDatabase {
  readonly url: string;
  /** After Django made the tables (SQLite: the worker, httpd's User, must read the file and its directory). */
  ready(): void;
  cleanup(): Promise<void>;
}

const DATABASES: ReadonlyArray<readonly [string, () => Promise<SessionDatabase>]> = [
  ["PostgreSQL 15", async () => {
    const pg = await startPostgres();
    return { url: pg.url, ready: () => {}, cleanup: () => pg.cleanup() };
  }],
  ["MariaDB 10.11", async () => {
    const maria = await startMariaDB();
    return { url: maria.url, ready: () => {}, cleanup: () => maria.cleanup() };
  }],
  ["SQLite", async () => {
    const dir = mkdtempSync("/tmp/anp-feed-sessions-sqlite-");
    const untrackDir = trackDirectory(dir);
    const file = join(dir, "db.sqlite3");
    return {
      url: `sqlite://${file}`,
      ready: () => {
        chmodSync(dir, 0o755);
        chmodSync(file, 0o644);
      },
      cleanup: async () => {
        rmSync(dir, { recursive: true, force: true });
        untrackDir();
      },
    };
  }],
];

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("session cookies and the change feed", () => {
  for (const [label, startDatabase] of DATABASES) describe(label, () => defineSessionFeedTests(startDatabase));
});

function defineSessionFeedTests(startDatabase: () => Promise<SessionDatabase>): void {
  let db: SessionDatabase | undefined;
  let server: ApacheServer | undefined;
  let oracle: DjangoOracle;
  let cli: CliHarness;
  const temp = mkdtempSync("/tmp/anp-feed-sessions-");
  const untrack = trackDirectory(temp);

  const get = async (path: string, cookie: string): Promise<number> => (await server!.request(path, { headers: [["Cookie", `sessionid=${cookie}`]] })).status;
  const { sessionTrips: trips } = new WorkerTrips(() => server!.errorLog());
  /** An unknown cookie (never kept): once the worker has logged it, it has logged everything before it. */
  const settle = async (): Promise<void> => {
    const denied = trips("DENIED");
    expect(await get("/s/", UNKNOWN)).toBe(401);
    expect(await eventually(() => trips("DENIED") === denied + 1)).toBe(true);
  };
  /**
   * Whether `n` requests in a row with `cookie` are all answered 200 without a trip to the worker. The first
   * stamps may come before the feed is up, and anything that moves the epoch (a reconnect, a gap in a polled
   * change table) sends the next request to the worker once: a batch with a trip is tried again, up to 10 times.
   */
  const keptForBatch = async (path: string, cookie: string, n: number): Promise<boolean> =>
    eventually(async () => {
      await settle();
      const before = trips("GRANTED");
      for (let i = 0; i < n; i++) expect(await get(path, cookie)).toBe(200);
      await settle();
      return trips("GRANTED") === before;
    }, 10, 50);

  beforeAll(async () => {
    db = await startDatabase();
    chmodSync(temp, 0o755);
    mkdirSync(join(temp, "key"), { mode: 0o700 });
    const keyFile = join(temp, "key", "secret_key");
    writeFileSync(keyFile, `${SECRET_KEY}\n`, { mode: 0o600 });
    cli = CliHarness.create();
    oracle = await startDjango({ databaseUrl: db.url, env: { DJANGO_SECRET_KEY: SECRET_KEY } });
    await oracle.createGroup(GROUP);
    for (const username of ["kay", "lou", "pat", "dee", "gus", "eve", "sue"]) await oracle.createUser({ username, password: PW, groups: [GROUP] });
    const installed = await cli.run(["install-triggers", "--database", db.url]);
    expect([installed.status, installed.stderr]).toEqual([0, ""]);
    db.ready();
    server = await startApache({
      files: { "s/index.html": "s\n", "sg/index.html": "sg\n", "signed/index.html": "signed\n" },
      conf: [
        moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
        "LogLevel info authnz_node:debug",
        sessionSection("/s/", db.url, keyFile, "db", "Require valid-user"),
        sessionSection("/sg/", db.url, keyFile, "db", `Require group ${GROUP}`),
        sessionSection("/signed/", db.url, keyFile, "signed_cookies", "Require valid-user"),
      ].join("\n"),
    });
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await oracle?.close();
    cli?.cleanup();
    await db?.cleanup();
    rmSync(temp, { recursive: true, force: true });
    untrack();
  });

  printErrorLogOnFailure(() => server);

  test("20 requests with one session cookie: the shared store answers them all (db and signed_cookies, Require group too)", async () => {
    const db_ = await oracle.login("db", "kay", PW);
    expect(await keptForBatch("/s/", db_, 20)).toBe(true);
    expect(await keptForBatch("/sg/", db_, 20)).toBe(true);
    const signed = await oracle.login("signed_cookies", "kay", PW);
    expect(await keptForBatch("/signed/", signed, 20)).toBe(true);
  });

  test("an unknown cookie is never kept: every request reaches the worker", async () => {
    await settle();
    const before = trips("DENIED");
    for (let i = 0; i < 5; i++) expect(await get("/s/", UNKNOWN)).toBe(401);
    await settle();
    expect(trips("DENIED") - before).toBe(5 + 1);
  });

  test.each([
    ["logout", "lou", "/s/", (o: DjangoOracle, cookie: string) => o.logout("db", cookie)],
    ["set_password", "pat", "/s/", (o: DjangoOracle) => o.setPassword("pat", "other-Pw-2")],
    ["is_active = False", "dee", "/s/", (o: DjangoOracle) => o.setActive("dee", false)],
    ["groups.remove", "gus", "/sg/", (o: DjangoOracle) => o.removeFromGroup("gus", GROUP)],
  ])("Django's %s: the kept session grant stops within the bound, and every later request is refused", async (_, user, path, change) => {
    const cookie = await oracle.login("db", user, PW);
    expect(await keptForBatch(path, cookie, 5)).toBe(true);
    await change(oracle, cookie);
    const since = performance.now();
    let status = 200;
    while (status === 200 && performance.now() - since < 10 * CHANGE_BOUND_MS) status = await get(path, cookie);
    expect(performance.now() - since).toBeLessThan(CHANGE_BOUND_MS);
    expect([401, 403]).toContain(status);
    for (let i = 0; i < 5; i++) expect(await get(path, cookie)).toBe(status);
  });

  test("a session whose expire_date passes (no change to report) is kept until then and never answered after it", async () => {
    const cookie = await oracle.login("db", "eve", PW);
    expect(await keptForBatch("/s/", cookie, 5)).toBe(true);
    const ends = Date.now() + 2500;
    await setSessionExpiry(db!.url, cookie, new Date(ends));
    await settle();
    const before = trips("GRANTED");
    const answers: Array<{ sentAt: number; status: number }> = [];
    while (Date.now() < ends + 1000) {
      const sentAt = Date.now();
      answers.push({ sentAt, status: await get("/s/", cookie) });
    }
    const after = answers.filter((a) => a.sentAt > ends);
    expect(after.length).toBeGreaterThan(5);
    expect(after.every((a) => a.status === 401)).toBe(true);
    const kept = answers.filter((a) => a.sentAt < ends - 200);
    expect(kept.every((a) => a.status === 200)).toBe(true);
    // Answered from the store until the deadline, not by the worker each time: a handful of trips in all.
    await settle();
    expect(kept.length).toBeGreaterThan(20);
    expect(trips("GRANTED") - before).toBeLessThan(5);
  });

  test("a signed cookie that runs out within a minute is not kept: every request reaches the worker", async () => {
    const cookie = await oracle.login("signed_cookies", "sue", PW, { signedAt: Math.floor(Date.now() / 1000) - 1209600 + 40 });
    await settle();
    const before = trips("GRANTED");
    for (let i = 0; i < 5; i++) expect(await get("/signed/", cookie)).toBe(200);
    await settle();
    expect(trips("GRANTED") - before).toBe(5);
  });
}
