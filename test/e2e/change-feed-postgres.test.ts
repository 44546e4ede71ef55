// Change-driven invalidation through Apache on a real PostgreSQL 15 server (change-feed-suite.ts): the
// triggers NOTIFY, the worker's feed LISTENs. Besides the suite: the database stopped and started again
// (never a stale grant after a change made once it is back; the worker answers while the feed is lost), and
// httpd's User (www-data) as an attacker with a database role of its own, who may NOTIFY on the feed's
// channel: a forged notification only makes the children ask the worker, it never hides a change.
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, type ApacheServer } from "../harness/apache.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { describeRequiring } from "../support/optional.js";
import { eventually } from "../support/eventually.js";
import {
  CHANGE_BOUND_MS, FEED_FILES, GROUP, HASHERS, VIEW, WorkerLog, changeFeedConf, defineInvalidationSuite, openPostgresWriter, untilRefused, type Writer,
} from "./change-feed-suite.js";

let db: PostgresServer | undefined;
const root = process.getuid?.() === 0;

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("PostgreSQL", () => {
  beforeAll(async () => {
    db = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await db?.cleanup();
  });

  defineInvalidationSuite({ label: "PostgreSQL 15", databaseUrl: () => db!.url, openWriter: () => openPostgresWriter(db!.url) });

  describe("PostgreSQL stopped and started, and a forged NOTIFY", () => {
    let server: ApacheServer | undefined;
    let oracle: DjangoOracle;
    let cli: CliHarness;
    let writer: Writer;
    const log = new WorkerLog(() => server!);
    const PW = "restart-Pw-1";
    const ids = new Map<string, number>();

    beforeAll(async () => {
      cli = CliHarness.create();
      // The suite above made the Django tables and installed the triggers; these users are this block's own.
      oracle = await startDjango({ databaseUrl: db!.url, hashers: HASHERS });
      for (const username of ["rita", "rudy", "fred", "fran"]) {
        ids.set(username, (await oracle.createUser({ username, password: PW, groups: [GROUP], permissions: [VIEW] })).id);
      }
      expect((await cli.run(["install-triggers", "--database", db!.url])).status).toBe(0);
      writer = await openPostgresWriter(db!.url);
      server = await startApache({ files: FEED_FILES, conf: changeFeedConf(db!.url) });
      expect(await server.statusAs("/valid/", "rudy", PW)).toBe(200);
      expect(await eventually(() => log.feedsConnected() >= 1)).toBe(true);
    }, 240_000);

    afterAll(async () => {
      await server?.stop();
      await writer?.close().catch(() => {});
      await oracle?.close();
      cli?.cleanup();
    });

    printErrorLogOnFailure(() => server);

    /**
     * Asks for rudy (and runs `also`) until the worker logs a feed connected beyond `connected`; each answer must be
     * 200 or 500. Returns how many 200s rudy got while the feed was away.
     */
    async function grantsWhileFeedLost(connected: number, also: () => Promise<void> = async () => {}): Promise<number> {
      const since = performance.now();
      let grants = 0;
      while (log.feedsConnected() === connected && performance.now() - since < 30_000) {
        await also();
        const status = await server!.statusAs("/valid/", "rudy", PW);
        expect([200, 500]).toContain(status);
        if (status === 200 && log.feedsConnected() === connected) grants++;
      }
      expect(log.feedsConnected()).toBeGreaterThan(connected);
      return grants;
    }

    test("the feed's connection terminated while the database stays up: the worker answers until the feed is back, never the store", async () => {
      for (let i = 0; i < 5; i++) expect(await server!.statusAs("/valid/", "rudy", PW)).toBe(200);
      await log.settle();
      const rudyBefore = log.trips("rudy", "GRANTED");
      const lost = log.count("ANP0649: change feed of [^\\n]*: lost");
      const connected = log.feedsConnected();
      const [terminated] = await db!.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mod_authnz_node feed') t",
      );
      expect(terminated?.n).toBe(1);
      expect(await eventually(() => log.count("ANP0649: change feed of [^\\n]*: lost") > lost, 2000, 1)).toBe(true);
      const rudy = await grantsWhileFeedLost(connected);
      expect(await server!.statusAs("/valid/", "rudy", PW)).toBe(200);
      await log.settle();
      expect(log.trips("rudy", "GRANTED") - rudyBefore).toBeGreaterThanOrEqual(Math.max(1, rudy));
      console.log(`change feed e2e PostgreSQL 15 feed terminated: ${rudy} grants answered by the worker while the feed reconnected`);
    });

    test("the database stopped: nothing from the store; back: the worker answers until the feed is up, and a change made at once is never granted", async () => {
      for (let i = 0; i < 5; i++) {
        expect(await server!.statusAs("/valid/", "rita", PW)).toBe(200);
        expect(await server!.statusAs("/valid/", "rudy", PW)).toBe(200);
      }
      await log.settle();
      const rudyBefore = log.trips("rudy", "GRANTED");
      const lost = log.count("ANP0649: change feed of [^\\n]*: lost");
      const connected = log.feedsConnected();
      await writer.close();
      await db!.stop();
      expect(await eventually(() => log.count("ANP0649: change feed of [^\\n]*: lost") > lost, 600, 5)).toBe(true);
      // The feed is lost: the kept grants are not answered, and the worker cannot read the database.
      for (let i = 0; i < 5; i++) expect(await server!.statusAs("/valid/", "rudy", PW)).toBe(500);

      await db!.restart();
      writer = await openPostgresWriter(db!.url);
      await writer.exec("UPDATE auth_user SET password = ? WHERE id = ?", ["md5$restartsalt$00112233445566778899aabbccddeeff", ids.get("rita")]);
      const rita: number[] = [];
      const rudy = await grantsWhileFeedLost(connected, async () => {
        rita.push(await server!.statusAs("/valid/", "rita", PW));
      });
      for (let i = 0; i < 5; i++) rita.push(await server!.statusAs("/valid/", "rita", PW));
      // rita: never granted after the change; a 500 only while the worker could not yet reach the server.
      expect(rita.filter((s) => s !== 401 && s !== 500)).toEqual([]);
      expect(rita.slice(-5)).toEqual([401, 401, 401, 401, 401]);
      // rudy: the first grant after the restart is the worker's own, as is every one while the feed was away.
      expect(await server!.statusAs("/valid/", "rudy", PW)).toBe(200);
      await log.settle();
      expect(log.trips("rudy", "GRANTED") - rudyBefore).toBeGreaterThanOrEqual(Math.max(1, rudy));
      console.log(`change feed e2e PostgreSQL 15 restart: ${rudy} grants answered by the worker while the feed reconnected, ${rita.length} answers to the changed user checked`);
    });

    test.runIf(root)("www-data with a role of its own: forged NOTIFYs on anp_feed only cost trips; a real change is still refused", async () => {
      await db!.query("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'intruder') THEN CREATE ROLE intruder LOGIN; END IF; END $$");
      for (let i = 0; i < 5; i++) expect(await server!.statusAs("/valid/", "fred", PW)).toBe(200);
      await log.settle();
      const before = log.trips("fred");
      const fredId = String(ids.get("fred"));
      // A flood of forged payloads: fred's own key, garbage, every kind, one that tries to look like a reset.
      const forged = [
        `NOTIFY anp_feed, 'user:${fredId}'`,
        "NOTIFY anp_feed, 'garbage'",
        "NOTIFY anp_feed, 'all:'",
        "NOTIFY anp_feed, 'user:'",
        `NOTIFY anp_feed, '${"x".repeat(7000)}'`,
        "SELECT pg_notify('anp_feed', 'session:' || g) FROM generate_series(1, 2000) g",
      ].join("; ");
      const attack = spawnSync("runuser", ["-u", "www-data", "--", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(db!.port), "-U", "intruder", "-d", db!.database, "-c", forged], { encoding: "utf8", cwd: "/" });
      expect(attack.stderr).toBe("");
      expect(attack.status).toBe(0);
      // Only more trips: fred's next login is asked of the worker (his slot or the epoch moved), and granted.
      expect(await eventually(async () => {
        expect(await server!.statusAs("/valid/", "fred", PW)).toBe(200);
        await log.settle();
        return log.trips("fred") > before;
      }, 50, 20)).toBe(true);
      // The real change after the flood is refused at once.
      for (let i = 0; i < 5; i++) expect(await server!.statusAs("/valid/", "fred", PW)).toBe(200);
      // Plain SQL on the test's connection: Django's own lost its connection when the server was restarted above.
      await writer.exec("UPDATE auth_user SET is_active = ? WHERE id = ?", [false, ids.get("fred")]);
      const { ms, statuses } = await untilRefused(server!, "/valid/", "fred", PW, performance.now());
      expect(ms).toBeLessThan(CHANGE_BOUND_MS);
      expect(statuses.at(-1)).toBe(401);
      // The worker is still healthy and the feed still delivers: fran's kept grant is stopped by her change too.
      for (let i = 0; i < 5; i++) expect(await server!.statusAs("/valid/", "fran", PW)).toBe(200);
      await writer.exec("UPDATE auth_user SET password = ? WHERE id = ?", ["md5$fransalt$ffeeddccbbaa99887766554433221100", ids.get("fran")]);
      expect((await untilRefused(server!, "/valid/", "fran", PW, performance.now())).ms).toBeLessThan(CHANGE_BOUND_MS);
    });
  });
});
