// Scale-out: three httpd instances on loopback (each its own port, its own worker, its own generations table
// and shared store) in front of one PostgreSQL. A client loops on each; a change committed once is refused by
// all three; the time printed per trial is the slowest of the three (commit -> its first refused answer).
import { afterAll, beforeAll, expect, test } from "vitest";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, type ApacheServer } from "../harness/apache.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { RequestLoop } from "../harness/request-loop.js";
import { describeRequiring } from "../support/optional.js";
import { eventually } from "../support/eventually.js";
import {
  CHANGE_BOUND_MS, FEED_FILES, GROUP, HASHERS, TRIALS, VIEW, WorkerLog, changeFeedConf, changeKinds, openPostgresWriter, printFigures, timedTrial, type Writer,
} from "./change-feed-suite.js";

const HOSTS = 3;
const PW = "scale-Pw-1";

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("change-driven invalidation on three httpd hosts, one PostgreSQL", () => {
  let db: PostgresServer | undefined;
  let oracle: DjangoOracle;
  let cli: CliHarness;
  let writer: Writer;
  const servers: ApacheServer[] = [];
  const ref = { group: 0, permission: 0 };
  let sam = 0;

  beforeAll(async () => {
    db = await startPostgres();
    cli = CliHarness.create();
    oracle = await startDjango({ databaseUrl: db.url, hashers: HASHERS });
    ref.permission = (await oracle.createPermission("files", "file", "view_file")).id;
    ref.group = (await oracle.createGroup(GROUP)).id;
    sam = (await oracle.createUser({ username: "sam", password: PW, groups: [GROUP], permissions: [VIEW] })).id;
    expect((await cli.run(["install-triggers", "--database", db.url])).status).toBe(0);
    writer = await openPostgresWriter(db.url);
    for (let i = 0; i < HOSTS; i++) servers.push(await startApache({ files: FEED_FILES, conf: changeFeedConf(db.url) }));
    for (const server of servers) {
      expect(await server.statusAs("/valid/", "sam", PW)).toBe(200);
      const log = new WorkerLog(() => server);
      expect(await eventually(() => log.feedsConnected() >= 1)).toBe(true);
    }
  }, 240_000);

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await writer?.close();
    await oracle?.close();
    cli?.cleanup();
    await db?.cleanup();
  });

  printErrorLogOnFailure(() => servers);

  test(`a password change and a deactivation are refused on all three, ${TRIALS} trials each (printed: the max over the three)`, async () => {
    const kinds = changeKinds(ref, (b) => b).filter((k) => k.slug === "password" || k.slug === "deactivation");
    for (const kind of kinds) {
      const logs = servers.map((server) => new WorkerLog(() => server));
      for (const log of logs) await log.settle();
      const granted = logs.map((log) => log.trips("sam", "GRANTED"));
      const loops = servers.map((server) => new RequestLoop(server.port, kind.path, "sam", PW));
      const times: number[] = [];
      let stale = 0;
      try {
        for (let trial = 0; trial < TRIALS; trial++) {
          const result = await timedTrial(loops, () => kind.apply(writer, sam));
          times.push(result.ms);
          stale += result.stale;
          await kind.restore(writer, sam);
        }
      } finally {
        for (const loop of loops) await loop.stop();
      }
      const requests = loops.reduce((n, loop) => n + loop.answers.length, 0);
      printFigures(`PostgreSQL 15, ${HOSTS} hosts`, kind.name, times, ` (${requests} requests; ${stale} 200s arrived after the COMMIT returned, from requests in flight or kept grants not yet dropped)`);
      for (const loop of loops) expect(loop.answers.filter((a) => a.status !== 200 && a.status !== 401)).toEqual([]);
      expect(Math.max(...times)).toBeLessThan(CHANGE_BOUND_MS);
      // Each host's grants came from its store: its worker gave a few per trial, its loop got many more.
      for (const [i, log] of logs.entries()) {
        await log.settle();
        const oks = (loops[i] as RequestLoop).answers.filter((a) => a.status === 200).length;
        expect(log.trips("sam", "GRANTED") - (granted[i] as number)).toBeLessThan(oks / 3);
      }
    }
  }, 600_000);
});
