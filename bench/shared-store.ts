// bench/shared-store: the children's shared store of stamped grants (native/mod/shared_cache.c, a lock-free
// seqlock store in an anonymous region) against the same store kept in mod_socache's shmcb behind a global
// mutex (native/mod/shared_cache_socache.c, the mod_authnz_node_socache build), in one run on one PostgreSQL.
//   npm run build && cmake --build build --target mod_authnz_node_socache && npx vite-node bench/shared-store.ts
// Two Apaches with bench/lib/change-feed.ts's change_feed on locations, one per build. Each round runs, in
// each Apache in turn: (l0) no auth, (l) /feed/ (Basic, repeated credentials) and (m) /feedgroup/ (Require
// group), wrk for BENCH_SECONDS (default 10) with BENCH_CONNECTIONS (default 8, as bench/http.ts); BENCH_ROUNDS
// rounds (default 3), then (l) and (m) once more at BENCH_HIGH_CONNECTIONS (default 32), where a global mutex
// would show. Beside req/s: the Apache children's CPU per request (so the per-hit cost shows even when wrk
// saturates the machine) and the worker's (near 0 when the store answers). BENCH_HOLD_SECONDS=n keeps both
// Apaches up n seconds after the checks (their roots and pids printed), to look at what each one made.
// BENCH_PERF=1 (root, perf installed) then samples the children during (l) in each build and prints the CPU
// time per request spent in the store's lookup itself (the seqlock store; or shmcb and the global mutex).
// A separate file rather than a stage of bench/http.ts: it needs a second module build that `npm run build`
// does not make, and its interleaved rounds would double bench/http's run time for a question asked once.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startPostgres } from "../test/harness/postgres.js";
import { startDjango } from "../test/harness/django.js";
import { expectStatus, type BenchApache } from "./lib/apache.js";
import { installTriggers, startFeedApache, withWorkerCpu } from "./lib/change-feed.js";
import { cpuTicks, CLOCK_TICKS } from "./lib/proc.js";
import { socketUrlForWorker } from "./lib/postgres.js";
import { runWrk, type WrkResult } from "./lib/wrk.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const HIGH_CONNECTIONS = Number(process.env.BENCH_HIGH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** BENCH_PERF=1: after the rounds, perf samples the children during (l) and counts the store's own share. */
const PERF = process.env.BENCH_PERF === "1";
const PERF_HZ = 4999;
/** The symbols of the store's lookup in either build: the seqlock store, or shmcb and the global mutex. */
const STORE_PATH = /socache_shmcb|anp_verdict_store_get|anp_shared_cache_get|anp_shared_kept_current|anp_generations_current|global_mutex|proc_mutex|mutex_(un)?lock_full/;
/** Seconds to keep both Apaches up after the checks, before the rounds (0: none). */
const HOLD_SECONDS = Number(process.env.BENCH_HOLD_SECONDS ?? 0);
const REPO = resolve(import.meta.dirname, "..");
const SOCACHE_MODULE = join(REPO, "build/Release/mod_authnz_node_socache.so");
const ALICE = ["alice:wonderland"];

interface Build {
  readonly name: string;
  readonly server: BenchApache;
}

interface Measure {
  readonly result: WrkResult;
  readonly childUsPerRequest: number;
  readonly workerUsPerRequest: number;
}

/**
 * Runs `load` and says how much CPU httpd's children and the worker spent per request meanwhile (µs). A
 * child that exits during the load keeps the ticks it had at the start (its last ones are lost, and said).
 */
async function measure(server: BenchApache, load: () => Promise<WrkResult>): Promise<Measure> {
  const pids = server.childPids();
  const before = new Map(pids.map((pid) => [pid, cpuTicks(pid)]));
  const { result, workerUsPerRequest } = await withWorkerCpu(server, load);
  let spent = 0;
  for (const pid of new Set([...pids, ...server.childPids()])) {
    const now = cpuTicks(pid);
    const start = before.get(pid) ?? 0;
    if (now === 0 && start > 0) console.warn(`  (child ${pid} exited during the load: its ticks since the start are not counted)`);
    else spent += now - start;
  }
  return { result, workerUsPerRequest, childUsPerRequest: ((spent / CLOCK_TICKS) * 1e6) / Math.max(1, result.requests) };
}

/** Both builds answer as they must, and (l) and (m) come from the store: the worker's CPU per request near 0. */
async function expectStoreAnswers(build: Build): Promise<void> {
  const { server } = build;
  await expectStatus(server, "/open/file.txt", null, 200);
  await expectStatus(server, "/feed/file.txt", "alice:wonderland", 200);
  await expectStatus(server, "/feed/file.txt", "alice:wrong-0", 401);
  await expectStatus(server, "/feedgroup/file.txt", "alice:wonderland", 200);
  await expectStatus(server, "/feedgroup/file.txt", "bob:builder", 401);
  for (const path of ["/feed/file.txt", "/feedgroup/file.txt"]) {
    const m = await measure(server, () => runWrk({ url: server.url(path), seconds: 3, connections: CONNECTIONS, credentials: ALICE }));
    console.log(`check ${build.name} ${path}: ${m.result.requests} requests, errors: ${m.result.errorKinds}; worker ${m.workerUsPerRequest.toFixed(2)} µs/req`);
    // A request the worker answers costs it well over 20 µs; a refusal shows as a status error.
    if (!/status 0\b/.test(m.result.errorKinds) || m.workerUsPerRequest > 20) {
      throw new Error(`${build.name} ${path} is not answered from its store (worker ${m.workerUsPerRequest.toFixed(2)} µs/req, ${m.result.errors} errors)\n${server.errorLog()}`);
    }
  }
}

interface Row {
  readonly round: string;
  readonly stage: string;
  readonly build: string;
  readonly connections: number;
  readonly m: Measure;
  readonly baseline: number | null;
}

function render(rows: readonly Row[]): string {
  const lines = [
    "| round | stage | build | conns | req/s | ratio to its l0 | p50 ms | p99 ms | errors | children µs/req | worker µs/req |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const { result } = r.m;
    const ratio = r.baseline ? (result.requestsPerSecond / r.baseline).toFixed(3) : "–";
    lines.push(
      `| ${r.round} | ${r.stage} | ${r.build} | ${r.connections} | ${result.requestsPerSecond.toFixed(0)} | ${ratio} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} | ${result.errors} | ${r.m.childUsPerRequest.toFixed(1)} | ${r.m.workerUsPerRequest.toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

/** One round: (l0), (l) and (m) in each build in turn, so drift in the machine's load falls on both. */
async function round(builds: readonly Build[], label: string, connections: number, withL0: boolean, l0: Map<string, number>): Promise<Row[]> {
  const rows: Row[] = [];
  const stages: [string, string, string[] | undefined][] = [
    ...(withL0 ? ([["l0", "/open/file.txt", undefined]] as [string, string, undefined][]) : []),
    ["l", "/feed/file.txt", ALICE],
    ["m", "/feedgroup/file.txt", ALICE],
  ];
  for (const [stage, path, credentials] of stages) {
    // Alternate which build goes first, so neither always runs just after the other's load.
    const order = rows.length % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) {
      const m = await measure(build.server, () => runWrk({ url: build.server.url(path), seconds: SECONDS, connections, credentials }));
      if (stage === "l0") l0.set(build.name, m.result.requestsPerSecond);
      rows.push({ round: label, stage, build: build.name, connections, m, baseline: stage === "l0" ? null : (l0.get(build.name) ?? null) });
      console.log(render(rows.slice(-1)).split("\n")[2]);
    }
  }
  return rows;
}

/**
 * (l) once more under `perf record` of the children: the samples that fall in the store's lookup (STORE_PATH),
 * as CPU µs per request. The per-hit cost is far below wrk's run-to-run spread; sampling sees it directly.
 */
async function storeCostByPerf(build: Build): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "bench-perf-"));
  const data = join(dir, "perf.data");
  try {
    const pids = build.server.childPids().join(",");
    const perf = spawn("perf", ["record", "-q", "-F", String(PERF_HZ), "-p", pids, "-o", data, "--", "sleep", String(SECONDS)], { stdio: "ignore" });
    const done = new Promise<void>((resolve) => perf.on("close", () => resolve()));
    const result = await runWrk({ url: build.server.url("/feed/file.txt"), seconds: SECONDS, connections: CONNECTIONS, credentials: ALICE });
    await done;
    const report = execFileSync("perf", ["report", "-i", data, "--no-children", "--sort", "dso,sym", "-F", "sample,dso,sym", "--stdio"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    let all = 0;
    let store = 0;
    for (const line of report.split("\n")) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      all += Number(m[1]);
      if (STORE_PATH.test(m[2]!)) store += Number(m[1]);
    }
    const usPerRequest = (samples: number): string => (((samples / PERF_HZ) * 1e6) / Math.max(1, result.requests)).toFixed(2);
    return `${build.name}: ${result.requests} requests, ${all} samples in the children (${usPerRequest(all)} µs/req), ${store} in the store's lookup (${usPerRequest(store)} µs/req)`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(SOCACHE_MODULE)) throw new Error(`${SOCACHE_MODULE} is missing: cmake --build build --target mod_authnz_node_socache`);
  const loadBefore = loadavg()[0] ?? Number.NaN;
  const pg = await startPostgres();
  const servers: BenchApache[] = [];
  try {
    const oracle = await startDjango({ databaseUrl: pg.url });
    await oracle.createGroup("secret-agents", ["auth.view_user"]);
    await oracle.createUser({ username: "alice", password: "wonderland", groups: ["secret-agents"] });
    await oracle.createUser({ username: "bob", password: "builder" });
    await oracle.close();
    installTriggers(pg.url);
    const file = "x".repeat(3072);
    const dbUrl = socketUrlForWorker(pg);
    const seqlock = await startFeedApache(file, dbUrl);
    servers.push(seqlock);
    const shmcb = await startFeedApache(file, dbUrl, null, { modulePath: SOCACHE_MODULE, extraModules: ["socache_shmcb"] });
    servers.push(shmcb);
    const builds: Build[] = [
      { name: "seqlock", server: seqlock },
      { name: "shmcb+mutex", server: shmcb },
    ];
    for (const build of builds) await expectStoreAnswers(build);
    if (HOLD_SECONDS > 0) {
      // For looking at what each build made (ipcs, the run directory, /proc) from another shell.
      for (const build of builds) console.log(`hold: ${build.name} root ${build.server.root} parent ${build.server.pid} children ${build.server.childPids().join(" ")}`);
      await new Promise((r) => setTimeout(r, HOLD_SECONDS * 1000));
    }

    const rows: Row[] = [];
    const l0 = new Map<string, number>();
    for (let i = 1; i <= ROUNDS; i++) rows.push(...(await round(builds, String(i), CONNECTIONS, true, l0)));
    rows.push(...(await round(builds, "high", HIGH_CONNECTIONS, true, l0)));

    console.log("");
    console.log(
      `Run: ${new Date().toISOString()}, ${cpus().length} cores, wrk ${SECONDS} s per stage; load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? Number.NaN).toFixed(2)} after.`,
    );
    console.log(render(rows));
    for (const build of builds) {
      const errors = build.server.errorLog().split("\n").filter((line) => /\b(crit|error|emerg|alert)\b/.test(line));
      if (errors.length) console.log(`${build.name} error log:\n${errors.join("\n")}`);
    }
    if (PERF) {
      console.log("\nThe store's lookup under perf (/feed/, the (l) workload):");
      for (let i = 0; i < 2; i++) for (const build of builds) console.log(await storeCostByPerf(build));
    }
    console.log(`\nshmcb Apache's shared memory: ipcs -m\n${execFileSync("ipcs", ["-m"], { encoding: "utf8" })}`);
  } finally {
    for (const server of servers) await server.stop();
    await pg.cleanup();
  }
}

await main();
