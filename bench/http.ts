// bench/http: authenticated requests against the same 3 KB file, side by side in one run.
//   npm run bench:http            (installs what is missing, builds, then runs this with vite-node)
// Stages, each driven by wrk for BENCH_SECONDS (default 10):
//   (a) no auth   (b) node + Django handler on PostgreSQL, repeat credentials   (c) 1,000 distinct users cycling
//   (d) first verifications: the verified-credential cache off, Django 5.2's 1,000,000-round PBKDF2, vs crypto.pbkdf2
//   (e) (b) while a second client floods wrong passwords   (f) the anchor (mod_wsgi + Django) when ../shared has it
//   (g) (b) with 5-second reuse: granted answers kept in Apache (NodeAuthCacheSeconds 5), rows in the worker
//       (NodeAuthDjangoOption row_cache_seconds 5)
//   (h) (b) at a `Require group` location (the groups come back with the password check)
//   (i) (b) at a `Require node-permission` location (the held permissions come back with the check)
//   (j) flood isolation, in an Apache of its own with the brute-force defaults: one address (127.0.0.2)
//       floods wrong passwords for unknown users (each a full hash at the preferred hasher) over 64
//       connections, while a second address (127.0.0.3) makes first logins with fresh users and cached
//       clients (127.0.0.1, wrk) keep logging in
//   (k) AuthType DjangoSession: a session cookie from a real Django login (Django's own login() through the
//       oracle), checked by the worker on every request (session row, user row), against (a) in the same run
//   (l0) no auth, (l) (b) and (m) (h) in an Apache of its own whose locations have `NodeAuthDjangoOption
//       change_feed on` (the triggers installed on the bench database): repeated logins answered inside
//       Apache from the children's shared verdict store while the user's generation holds
//   (n) commit to refused in that Apache: a password change or deactivation committed while a client logs
//       in again and again; the time from the commit's return to the client's first 401 (bench/lib/change-feed.ts)
//   (o) (k) in that Apache, with change_feed on: the session cookie answered from the shared store while the
//       session's and its user's generations hold, at most a minute at a time
// Stages (a) to (i), (k) and (l) to (o) come from 127.0.0.1, exempt from the native throttle (NodeAuthThrottleExempt): (e)
// floods wrong passwords from the address its logged-in client uses, which the throttle would block.
// BENCH_STAGES=abh runs only those stages (and does not rewrite docs/performance.md); (a) always runs.
// Prints a table (req/s, p50, p99, ratio to (a), ratio to (f)), the Apache children's memory (RSS and PSS,
// /proc/<pid>/smaps_rollup, after the load) and writes them into docs/performance.md.
import { execFileSync, spawnSync } from "node:child_process";
import { pbkdf2, randomFillSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { startPostgres, type PostgresServer } from "../test/harness/postgres.js";
import { startDjango, DEBIAN_PYTHON, DJANGO_PROJECT_DIR, type DjangoOracle } from "../test/harness/django.js";
import { freePort } from "../test/harness/ports.js";
import { djangoLocation, expectCookieStatus, expectStatus, meanMiB, sessionLocation, startBenchApache, type BenchApache } from "./lib/apache.js";
import { makePassword, djangoDefaults } from "../src/index.js";
import { runWrk, type WrkResult } from "./lib/wrk.js";
import { socketUrlForWorker } from "./lib/postgres.js";
import { descendants } from "../src/demo/httpd-process.js";
import { percentile, runLanes } from "./lib/flood.js";
import { commitToRefused, describeCommitToRefused, feedChanges, installTriggers, startFeedApache, withWorkerCpu } from "./lib/change-feed.js";
import { summarizeMemory } from "./lib/proc.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const CYCLING_USERS = Number(process.env.BENCH_USERS ?? 1000);
const COLD_SECONDS = Number(process.env.BENCH_COLD_SECONDS ?? 3 * SECONDS);
/** Stages to run; a partial run is for quick comparisons and leaves docs/performance.md alone. */
const ALL_STAGES = "abcdefghijklmno";
const STAGES = new Set((process.env.BENCH_STAGES ?? ALL_STAGES).split(""));
const FULL_RUN = ALL_STAGES.split("").every((stage) => STAGES.has(stage));
/** Stages run in the change-feed Apache. */
const FEED_STAGES = ["l", "m", "n", "o"].some((stage) => STAGES.has(stage));
/** (n): commits of each change. */
const FEED_TRIALS = Number(process.env.BENCH_FEED_TRIALS ?? 30);
/** (j): fresh users for the second address's first logins, each hashed at the preferred hasher. */
const FRESH_USERS = Number(process.env.BENCH_FRESH_USERS ?? 40);
const REPO = resolve(import.meta.dirname, "..");
const ANCHOR = resolve(REPO, "../shared/anchors/modwsgi-django/start.sh");

interface Row {
  readonly stage: string;
  readonly label: string;
  readonly result: WrkResult | null;
  readonly note?: string;
}

function fileOf3KB(): string {
  const bytes = Buffer.alloc(2304);
  randomFillSync(bytes);
  return bytes.toString("base64").replace(/(.{76})/g, "$1\n");
}

/**
 * (k): alice's session cookie, made by Django's own login() (the oracle's login command: a real session
 * row, signed with the project's SECRET_KEY), and that key in a file only root can read, for secret_key_file.
 */
async function djangoSession(oracle: DjangoOracle, databaseUrl: string): Promise<{ cookie: string; keyDir: string; keyFile: string }> {
  const value = await oracle.login("db", "alice", "wonderland");
  // The key the oracle signed with, read from its own settings rather than copied here.
  const env = { ...process.env, DJANGO_DB_URL: databaseUrl, PYTHONDONTWRITEBYTECODE: "1" };
  const key = execFileSync(DEBIAN_PYTHON, ["-c", "import settings, sys; sys.stdout.write(settings.SECRET_KEY)"], { cwd: DJANGO_PROJECT_DIR, env, encoding: "utf8" });
  const keyDir = mkdtempSync(join(tmpdir(), "anp-bench-key-"));
  const keyFile = join(keyDir, "secret_key");
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  return { cookie: `sessionid=${value}`, keyDir, keyFile };
}

/** (n)'s user: its own hash (10,000 rounds, so that each re-verification after an undo is short) and another. */
const WATCHER = { username: "watcher", password: "watch-pw" };

async function seed(oracle: DjangoOracle): Promise<{ cyclingCredentials: string[]; freshCredentials: string[]; watcherHashes: [string, string] }> {
  await oracle.createGroup("secret-agents", ["auth.view_user"]);
  // Django 3.2 makes these hashes (260,000 rounds), as in the anchor's seed.
  await oracle.createUser({ username: "alice", password: "wonderland", groups: ["secret-agents"] });
  // A user whose hash is Django 5.2's default: 1,000,000 rounds, made by our own hasher (proven equal to Django's).
  const preset = djangoDefaults("5.2");
  await oracle.createUser({ username: "cold", password: null, encoded: await makePassword("cold-start", preset) });
  // The cycling users: distinct salts, so each is its own cache entry. Their hashes use 10,000 rounds so
  // that creating and first verifying 1,000 of them stays short; after the first request the cache answers.
  const cyclingCredentials: string[] = [];
  for (let i = 0; i < CYCLING_USERS; i++) {
    const password = `pw-${i}`;
    const encoded = await makePassword(password, { ...preset, hasher: "pbkdf2_sha256", params: { pbkdf2_sha256: { iterations: 10_000 } } });
    await oracle.createUser({ username: `user${i}`, password: null, encoded });
    cyclingCredentials.push(`user${i}:${password}`);
  }
  const freshCredentials: string[] = [];
  if (STAGES.has("j")) {
    // Made in parallel (libuv's pool): each is a full hash at Django 5.2's preferred hasher.
    const made = await Promise.all(Array.from({ length: FRESH_USERS }, (_, i) => makePassword(`fresh-pw-${i}`, preset)));
    for (const [i, encoded] of made.entries()) {
      await oracle.createUser({ username: `fresh${i}`, password: null, encoded });
      freshCredentials.push(`fresh${i}:fresh-pw-${i}`);
    }
  }
  const fast = { ...preset, hasher: "pbkdf2_sha256" as const, params: { pbkdf2_sha256: { iterations: 10_000 } } };
  const watcherHashes: [string, string] = [await makePassword(WATCHER.password, fast), await makePassword("changed-pw", fast)];
  await oracle.createUser({ username: WATCHER.username, password: null, encoded: watcherHashes[0] });
  return { cyclingCredentials, freshCredentials, watcherHashes };
}

async function pbkdf2PerSecond(seconds: number): Promise<number> {
  const run = promisify(pbkdf2);
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  // Two lanes per core keep libuv's pool busy on every core without queueing more than it can run.
  const lanes = Array.from({ length: cpus().length * 2 }, async () => {
    while (Date.now() < deadline) {
      await run("cold-start", "saltsaltsaltsaltsaltsa", 1_000_000, 32, "sha256");
      done++;
    }
  });
  const started = Date.now();
  await Promise.all(lanes);
  return done / ((Date.now() - started) / 1000);
}

function startAnchor(pg: PostgresServer, port: number): string | null {
  if (!existsSync(ANCHOR)) return null;
  const run = spawnSync("bash", [ANCHOR], {
    env: { ...process.env, PORT: String(port), PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGDATABASE: pg.database, PGUSER: pg.user },
    encoding: "utf8",
  });
  if (run.status !== 0) {
    console.error(`anchor did not start:\n${run.stderr}`);
    return null;
  }
  return run.stdout.trim().split("\n").pop() ?? null;
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "–";
}

async function main(): Promise<void> {
  // Other jobs share the machine: the 1-minute load average before and after says how much.
  const loadBefore = loadavg()[0] ?? Number.NaN;
  const pg = await startPostgres();
  let apache: BenchApache | undefined;
  let bare: BenchApache | undefined;
  let feed: BenchApache | undefined;
  let anchorRoot: string | null = null;
  let session: Awaited<ReturnType<typeof djangoSession>> | null = null;
  const rows: Row[] = [];
  try {
    const oracle = await startDjango({ databaseUrl: pg.url });
    const { cyclingCredentials, freshCredentials, watcherHashes } = await seed(oracle);
    if (STAGES.has("k") || STAGES.has("o")) session = await djangoSession(oracle, pg.url);
    await oracle.close();

    const file = fileOf3KB();
    const files = {
      "open/file.txt": file,
      "valid/file.txt": file,
      "cold/file.txt": file,
      "reuse/file.txt": file,
      "group/file.txt": file,
      "perm/file.txt": file,
      "session/file.txt": file,
    };
    // PostgreSQL's Unix socket, as a site with its database on the same host uses (TCP to 127.0.0.1 costs
    // the worker more per query: bench/profile.ts with PROFILE_PG=tcp|socket).
    const dbUrl = socketUrlForWorker(pg);
    apache = await startBenchApache({
      files,
      nodeModule: true,
      body: [
        "NodeAuthThrottleExempt 127.0.0.1",
        djangoLocation("/valid", dbUrl),
        djangoLocation("/cold", dbUrl, ["NodeAuthDjangoOption verified_cache off"]),
        djangoLocation("/reuse", dbUrl, ["NodeAuthDjangoOption row_cache_seconds 5", "NodeAuthCacheSeconds 5"]),
        djangoLocation("/group", dbUrl, [], "Require group secret-agents"),
        djangoLocation("/perm", dbUrl, [], "Require node-permission auth.view_user"),
        ...(session ? [sessionLocation("/session", dbUrl, session.keyFile)] : []),
      ].join("\n"),
    });
    bare = await startBenchApache({ files, nodeModule: false, body: "" });
    if (FEED_STAGES) {
      installTriggers(pg.url);
      feed = await startFeedApache(file, dbUrl, session?.keyFile ?? null);
      await expectFeedAnswers(feed, cyclingCredentials[0]!);
      if (session) await expectCookieStatus(feed, "/feedsession/file.txt", session.cookie, 200);
    }

    // A bench of failures measures nothing: every stage's credentials must first get a 200.
    await expectStatus(apache, "/open/file.txt", null, 200);
    await expectStatus(apache, "/valid/file.txt", "alice:wonderland", 200);
    await expectStatus(apache, "/valid/file.txt", cyclingCredentials[0]!, 200);
    await expectStatus(apache, "/cold/file.txt", "cold:cold-start", 200);
    await expectStatus(apache, "/reuse/file.txt", "alice:wonderland", 200);
    await expectStatus(apache, "/valid/file.txt", "alice:wrong-0", 401);
    await expectStatus(apache, "/group/file.txt", "alice:wonderland", 200);
    await expectStatus(apache, "/group/file.txt", cyclingCredentials[0]!, 401);
    await expectStatus(apache, "/perm/file.txt", "alice:wonderland", 200);
    await expectStatus(apache, "/perm/file.txt", cyclingCredentials[0]!, 401);
    if (session) {
      await expectCookieStatus(apache, "/session/file.txt", session.cookie, 200);
      await expectCookieStatus(apache, "/session/file.txt", null, 401);
    }

    const wrk = (path: string, server: BenchApache, credentials?: string[], connections = CONNECTIONS) =>
      runWrk({ url: server.url(path), seconds: SECONDS, connections, credentials });
    const alice = ["alice:wonderland"];

    // Warm both: the first verification of each credential is not what (b)/(c) measure.
    await runWrk({ url: apache.url("/valid/file.txt"), seconds: 2, connections: 2, credentials: alice });
    await runWrk({ url: apache.url("/valid/file.txt"), seconds: Math.max(5, SECONDS), connections: CONNECTIONS, credentials: cyclingCredentials });

    rows.push({ stage: "a", label: "no auth (same Apache, same file)", result: await wrk("/open/file.txt", apache) });
    const bareResult = await wrk("/open/file.txt", bare);
    if (STAGES.has("b")) {
      const b = await withWorkerCpu(apache, () => wrk("/valid/file.txt", apache!, alice));
      rows.push({ stage: "b", label: "node + Django/PostgreSQL, repeat credentials", result: b.result, note: `the worker's CPU: ${fmt(b.workerUsPerRequest, 1)} µs per request` });
    }
    if (STAGES.has("c")) {
      rows.push({ stage: "c", label: `node, ${cyclingCredentials.length} distinct users cycling`, result: await wrk("/valid/file.txt", apache, cyclingCredentials) });
    }
    if (STAGES.has("d")) {
      // A verification at 1,000,000 rounds takes a large part of a second per core, so a short window holds
      // few of them and the ones still running when wrk stops are lost: (d) and its reference get a longer
      // window of their own.
      const coldResult = await runWrk({ url: apache.url("/cold/file.txt"), seconds: COLD_SECONDS, connections: 4, credentials: ["cold:cold-start"] });
      const pbkdf2Rate = await pbkdf2PerSecond(COLD_SECONDS);
      rows.push({
        stage: "d",
        label: "first verifications (cache off, 1,000,000 rounds)",
        result: coldResult,
        note: `${COLD_SECONDS} s each: crypto.pbkdf2 on all cores: ${fmt(pbkdf2Rate, 2)}/s; ratio ${fmt(coldResult.requestsPerSecond / pbkdf2Rate, 2)}`,
      });
    }
    if (STAGES.has("e")) {
      // The logged-in client of (e) alone first, with the same 4 connections: the latency to compare with.
      rows.push({ stage: "e0", label: "(b) with 4 connections, no flood (reference for e)", result: await wrk("/valid/file.txt", apache, alice, 4) });
      const wrongPasswords = Array.from({ length: 64 }, (_, i) => `alice:wrong-${i}`);
      const [flooded] = await Promise.all([
        wrk("/valid/file.txt", apache, alice, 4),
        runWrk({ url: apache.url("/valid/file.txt"), seconds: SECONDS, connections: 8, credentials: wrongPasswords }),
      ]);
      rows.push({ stage: "e", label: "(e0) during a wrong-password flood (8 more connections)", result: flooded });
    }
    if (STAGES.has("j")) rows.push(...(await floodIsolation(file, dbUrl, freshCredentials)));
    if (STAGES.has("g")) rows.push({ stage: "g", label: "(b) with 5 s reuse (NodeAuthCacheSeconds 5, row_cache_seconds 5)", result: await wrk("/reuse/file.txt", apache, alice) });
    if (STAGES.has("h")) {
      rows.push({ stage: "h", label: "(b) at a Require group location (groups folded: one trip, one query)", result: await wrk("/group/file.txt", apache, alice) });
    }
    if (STAGES.has("i")) {
      rows.push({
        stage: "i",
        label: "(b) at a Require node-permission location (folded: one trip, two queries)",
        result: await wrk("/perm/file.txt", apache, alice),
      });
    }

    if (feed) rows.push(...(await feedRows(feed, pg.url, watcherHashes, session?.cookie ?? null)));

    if (session) {
      rows.push({
        stage: "k",
        label: "AuthType DjangoSession, a cookie from a real Django login (session row + user row)",
        result: await runWrk({ url: apache.url("/session/file.txt"), seconds: SECONDS, connections: CONNECTIONS, cookies: [session.cookie] }),
      });
    }

    const anchorPort = await freePort();
    anchorRoot = STAGES.has("f") ? startAnchor(pg, anchorPort) : null;
    if (anchorRoot) {
      const anchorUrl = `http://127.0.0.1:${anchorPort}/valid/file.txt`;
      rows.push({ stage: "f", label: "anchor: mod_wsgi + Django 3.2 (same DB, same file)", result: await runWrk({ url: anchorUrl, seconds: SECONDS, connections: CONNECTIONS, credentials: alice }) });
    } else if (STAGES.has("f")) {
      rows.push({ stage: "f", label: "anchor: not available (../shared/anchors/modwsgi-django)", result: null });
    }

    const workerRss = apache.workersRssKb().reduce((sum, k) => sum + k, 0) / 1024;
    const feedWorkerRss = feed ? feed.workersRssKb().reduce((sum, k) => sum + k, 0) / 1024 : Number.NaN;
    const anchorChildren = anchorRoot ? anchorChildrenRss(anchorRoot) : Number.NaN;

    const baseline = rows.find((r) => r.stage === "a")?.result?.requestsPerSecond ?? Number.NaN;
    const anchorRate = rows.find((r) => r.stage === "f")?.result?.requestsPerSecond ?? Number.NaN;
    const table = renderTable(rows, baseline, anchorRate);
    const memory = [
      renderMemory([
        { label: "without the module (second Apache)", server: bare },
        { label: "mod_authnz_node (stages a-k)", server: apache },
        ...(feed ? [{ label: "mod_authnz_node, change_feed on (stages l-o)", server: feed }] : []),
      ]),
      "",
      `| process | RSS (MiB) |`,
      `|---|---|`,
      `| Node worker (stages a-k) | ${fmt(workerRss)} |`,
      ...(feed ? [`| Node worker with the change feed (stages l-o) | ${fmt(feedWorkerRss)} |`] : []),
      `| anchor's Apache child with mod_wsgi + Django (mean) | ${fmt(anchorChildren)} |`,
    ].join("\n");
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${fmt(totalmem() / 2 ** 30, 0)} GiB, ${execFileSync("uname", ["-sr"]).toString().trim()}, node ${process.version}`;
    const report = [
      `Run: ${new Date().toISOString()} on ${machine}; wrk ${SECONDS} s per stage, ${CONNECTIONS} connections; load average ${fmt(loadBefore, 2)} before, ${fmt(loadavg()[0] ?? Number.NaN, 2)} after.`,
      "",
      table,
      "",
      `Same file without the module, in a second Apache: ${fmt(bareResult.requestsPerSecond, 0)} req/s.`,
      "",
      memory,
      "",
      ...rows.filter((r) => r.note).map((r) => `(${r.stage}) ${r.note}`),
      ...rows.filter((r) => (r.result?.errors ?? 0) > 0).map((r) => `(${r.stage}) non-2xx and socket errors: ${r.result?.errorKinds ?? ""}`),
    ].join("\n");
    console.log(report);
    if (FULL_RUN) writePerformanceDoc(report);
  } finally {
    if (anchorRoot) spawnSync("/usr/sbin/apache2", ["-f", join(anchorRoot, "httpd.conf"), "-k", "stop"]);
    await apache?.stop();
    await bare?.stop();
    await feed?.stop();
    if (session) rmSync(session.keyDir, { recursive: true, force: true });
    await pg.cleanup();
  }
}

/** The change-feed Apache answers as (b), (h) and a wrong password do: a bench of failures measures nothing. */
async function expectFeedAnswers(feed: BenchApache, notInGroup: string): Promise<void> {
  await expectStatus(feed, "/open/file.txt", null, 200);
  await expectStatus(feed, "/feed/file.txt", "alice:wonderland", 200);
  await expectStatus(feed, "/feed/file.txt", "alice:wonderland", 200);
  await expectStatus(feed, "/feed/file.txt", "alice:wrong-0", 401);
  await expectStatus(feed, "/feed/file.txt", `${WATCHER.username}:${WATCHER.password}`, 200);
  await expectStatus(feed, "/feedgroup/file.txt", "alice:wonderland", 200);
  await expectStatus(feed, "/feedgroup/file.txt", notInGroup, 401);
}

/** (l0), (l), (m) and (n), in the change-feed Apache; (l) and (m) with the worker's CPU per request. */
async function feedRows(feed: BenchApache, databaseUrl: string, watcherHashes: [string, string], cookie: string | null): Promise<Row[]> {
  const alice = ["alice:wonderland"];
  const wrk = (path: string, credentials?: string[]) => runWrk({ url: feed.url(path), seconds: SECONDS, connections: CONNECTIONS, credentials });
  const open = await wrk("/open/file.txt");
  const rows: Row[] = [{ stage: "l0", label: "no auth, in the change-feed Apache", result: open }];
  // Against (l0) as well as (a): the same Apache, a few seconds apart.
  const note = (r: { result: WrkResult; workerUsPerRequest: number }): string =>
    `${fmt(r.result.requestsPerSecond / open.requestsPerSecond, 3)} of (l0); the worker's CPU: ${fmt(r.workerUsPerRequest, 1)} µs per request`;
  if (STAGES.has("l")) {
    const l = await withWorkerCpu(feed, () => wrk("/feed/file.txt", alice));
    rows.push({ stage: "l", label: "(b) with change_feed on (kept grants in the children's shared store)", result: l.result, note: note(l) });
  }
  if (STAGES.has("m")) {
    const m = await withWorkerCpu(feed, () => wrk("/feedgroup/file.txt", alice));
    rows.push({ stage: "m", label: "(h) with change_feed on (Require group, kept grants)", result: m.result, note: note(m) });
  }
  if (STAGES.has("o") && cookie !== null) {
    const o = await withWorkerCpu(feed, () => runWrk({ url: feed.url("/feedsession/file.txt"), seconds: SECONDS, connections: CONNECTIONS, cookies: [cookie] }));
    rows.push({ stage: "o", label: "(k) with change_feed on (a session cookie, kept grants)", result: o.result, note: note(o) });
  }
  if (STAGES.has("n")) {
    const results = await commitToRefused({
      server: feed,
      path: "/feed/file.txt",
      databaseUrl,
      credentials: `${WATCHER.username}:${WATCHER.password}`,
      changes: feedChanges(WATCHER.username, watcherHashes[1], watcherHashes[0]),
      trials: FEED_TRIALS,
    });
    rows.push({ stage: "n", label: "commit to refused, change_feed on (figures below the tables)", result: null, note: results.map(describeCommitToRefused).join("; ") });
  }
  return rows;
}

/**
 * Each Apache's children after the load: per child RSS (every page it maps, shared ones too), PSS (shared
 * pages divided among the processes mapping them: the shared store and generations table counted once per
 * server) and private memory; and the PSS of the parent and children together.
 */
function renderMemory(servers: readonly { label: string; server: BenchApache }[]): string {
  const lines = [
    "| Apache | children | RSS per child (MiB) | PSS per child (MiB) | private per child (MiB) | PSS, parent + children (MiB) |",
    "|---|---|---|---|---|---|",
  ];
  const perChild: { rss: number; pss: number }[] = [];
  for (const { label, server } of servers) {
    const { parent, children } = server.memory();
    const kids = summarizeMemory(children);
    const all = summarizeMemory(parent ? [parent, ...children] : children);
    perChild.push({ rss: kids.meanRssMiB, pss: kids.meanPssMiB });
    lines.push(`| ${label} | ${kids.processes} | ${fmt(kids.meanRssMiB, 2)} | ${fmt(kids.meanPssMiB, 2)} | ${fmt(kids.meanPrivateMiB, 2)} | ${fmt(all.totalPssMiB, 2)} |`);
  }
  const [bare, ...withModule] = perChild;
  const deltas = withModule.map(
    (m, i) => `${servers[i + 1]!.label}: RSS ${fmt(m.rss - (bare?.rss ?? Number.NaN), 2)}, PSS ${fmt(m.pss - (bare?.pss ?? Number.NaN), 2)} MiB`,
  );
  return [...lines, "", `Per child, over the Apache without the module (goal: within 1 MB): ${deltas.join("; ")}.`].join("\n");
}

/** Milliseconds of one hash at Django 5.2's preferred hasher on an idle worker thread (median of 3). */
async function oneHashMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await makePassword("one-hash", djangoDefaults("5.2"));
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}

/**
 * (j): the flooder (127.0.0.2, 64 connections, wrong passwords for unknown users: a full hash each
 * unless throttled), the second address (127.0.0.3, 2 connections, each fresh user's first login once)
 * and the cached clients (wrk from 127.0.0.1, alice, 4 connections), all at once.
 */
async function floodIsolation(file: string, dbUrl: string, freshCredentials: readonly string[]): Promise<Row[]> {
  const hashMs = await oneHashMs();
  // Threads for all 64 flood connections and the others at once, so Apache's own limit is not what is measured.
  const apache = await startBenchApache({
    files: { "flood/file.txt": file, "valid/file.txt": file },
    nodeModule: true,
    body: ["ServerLimit 12", "MaxRequestWorkers 96", djangoLocation("/flood", dbUrl), djangoLocation("/valid", dbUrl)].join("\n"),
  });
  try {
    await expectStatus(apache, "/valid/file.txt", "alice:wonderland", 200);
    await runWrk({ url: apache.url("/valid/file.txt"), seconds: 2, connections: 2, credentials: ["alice:wonderland"] });
    return await floodRows(apache, hashMs, freshCredentials);
  } finally {
    await apache.stop();
  }
}

async function floodRows(apache: BenchApache, hashMs: number, freshCredentials: readonly string[]): Promise<Row[]> {
  const [flooder, second, cached] = await Promise.all([
    runLanes({ url: apache.url("/flood/file.txt"), localAddress: "127.0.0.2", lanes: 64, seconds: SECONDS, credentials: (n) => `ghost${n}:wrong-${n}` }),
    runLanes({ url: apache.url("/flood/file.txt"), localAddress: "127.0.0.3", lanes: 2, seconds: SECONDS, keepAlive: false, credentials: (n) => freshCredentials[n] ?? null }),
    runWrk({ url: apache.url("/valid/file.txt"), seconds: SECONDS, connections: 4, credentials: ["alice:wonderland"] }),
  ]);
  const logins = Object.values(second.byStatus).reduce((a, b) => a + b, 0);
  const secondErrors = logins - (second.byStatus["200"] ?? 0);
  const secondP99 = percentile(second.okLatenciesMs, 99);
  const statuses = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ");
  // Each 429 logs one ANP0522 line; those the child answered from its memo of throttled clients say so, the
  // others each cost a trip to the worker.
  const lockoutLines = apache.errorLog().split("\n").filter((line) => line.includes("ANP0522: client 127.0.0.2 ") && line.includes("answered 429"));
  const remembered = lockoutLines.filter((line) => line.includes("'throttled (remembered)'")).length;
  return [
    {
      stage: "j",
      label: "cached clients (127.0.0.1) during a 64-connection wrong-password flood from 127.0.0.2",
      result: cached,
      note:
        `second address (127.0.0.3): ${logins} first logins (${statuses(second.byStatus)}), ${secondErrors} not 200, p99 ${fmt(secondP99, 0)} ms ` +
        `(one hash at the preferred hasher: ${fmt(hashMs, 0)} ms; p99 / hash ${fmt(secondP99 / hashMs, 2)}); ` +
        `flooder (127.0.0.2): ${statuses(flooder.byStatus)}; first 429 after ${fmt(flooder.first429Ms ?? Number.NaN, 0)} ms (Retry-After ${flooder.first429RetryAfter ?? "–"}); ` +
        `its 429s answered by the module's memo without a trip: ${remembered} of ${lockoutLines.length}`,
    },
  ];
}

function anchorChildrenRss(root: string): number {
  const pid = Number(readFileSync(join(root, "httpd.pid"), "utf8").trim());
  const rss = (child: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${child}/status`, "utf8"))?.[1] ?? 0);
  return meanMiB(descendants(pid).filter((p) => p.ppid === pid).map((p) => rss(p.pid)));
}

function renderTable(rows: readonly Row[], baseline: number, anchorRate: number): string {
  const lines = ["| stage | what | req/s | p50 (ms) | p99 (ms) | non-2xx | / (a) | / (f) |", "|---|---|---|---|---|---|---|---|"];
  for (const row of rows) {
    const r = row.result;
    lines.push(
      r
        ? `| ${row.stage} | ${row.label} | ${fmt(r.requestsPerSecond, 0)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.errors} | ${fmt(r.requestsPerSecond / baseline, 3)} | ${fmt(r.requestsPerSecond / anchorRate, 1)} |`
        : `| ${row.stage} | ${row.label} | – | – | – | – | – | – |`,
    );
  }
  return lines.join("\n");
}

const MARK_BEGIN = "<!-- bench:http begin -->";
const MARK_END = "<!-- bench:http end -->";

function writePerformanceDoc(report: string): void {
  const path = join(REPO, "docs/performance.md");
  const current = existsSync(path) ? readFileSync(path, "utf8") : `# Performance\n\n${MARK_BEGIN}\n${MARK_END}\n`;
  const begin = current.indexOf(MARK_BEGIN);
  const end = current.indexOf(MARK_END);
  const next =
    begin >= 0 && end > begin
      ? `${current.slice(0, begin + MARK_BEGIN.length)}\n${report}\n${current.slice(end)}`
      : `${current}\n${MARK_BEGIN}\n${report}\n${MARK_END}\n`;
  writeFileSync(path, next);
}

await main();
