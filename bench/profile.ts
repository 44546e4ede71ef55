// bench/profile: where the time of an authenticated request goes. Starts PostgreSQL, seeds one
// user with Django, starts Apache with the module and the Django handler, then drives /valid with wrk
// (repeat credentials, as stage (b) of bench/http) while:
//   - the worker runs under `node --cpu-prof` (through a NodeAuthNodeBinary wrapper), and
//   - PROFILE_STRACE=1: one Apache child's syscalls are counted with `strace -c -f`;
//   - PROFILE_PERF=1: Apache's children are sampled with `perf record` (cpu-clock) and their top shared
//     objects and symbols printed: where the time goes inside httpd when the worker is not asked.
// Prints wrk's numbers, the CPU time each process group spent per request (from /proc: wrk, Apache, the
// worker, PostgreSQL), the worker's top self-time functions and the syscall summary.
//   BENCH_SECONDS=10 npx vite-node bench/profile.ts
// PROFILE_PATH=valid|group|reuse|grant|open|feed|feedgroup picks the location (reuse: row_cache_seconds 5,
// every request still asks the worker; grant: NodeAuthCacheSeconds 5 too, answered inside Apache; open: no
// auth; feed, feedgroup: valid, group with `NodeAuthDjangoOption change_feed on`, the triggers installed
// first, answered inside Apache from the children's shared store; only these two turn the feed on),
// PROFILE_PG=socket|tcp how the worker reaches PostgreSQL, PROFILE_CPUPROF=0 runs the worker unprofiled,
// PROFILE_NODE_FLAGS adds node flags (not --max-semi-space-size: the module passes its own after them, and V8 takes the last).
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { socketUrlForWorker } from "./lib/postgres.js";
import { startPostgres } from "../test/harness/postgres.js";
import { startDjango } from "../test/harness/django.js";
import { djangoLocation, startBenchApache } from "./lib/apache.js";
import { runWrk } from "./lib/wrk.js";
import { installTriggers } from "./lib/change-feed.js";
import { CLOCK_TICKS, cpuTicks } from "./lib/proc.js";
import { descendants } from "../src/demo/httpd-process.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const PATH_KIND = process.env.PROFILE_PATH ?? "valid";
/** The change-feed locations exist only when one is profiled, so that the other paths run as before. */
const FEED = PATH_KIND === "feed" || PATH_KIND === "feedgroup";
/** PROFILE_PG=socket: the worker reaches PostgreSQL over its Unix socket instead of TCP to 127.0.0.1. */
const PG_OVER_SOCKET = process.env.PROFILE_PG !== "tcp";
/** cutime + cstime of this process in clock ticks: the CPU time of the children it waited for (wrk). */
function waitedChildrenTicks(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): cutime = 16, cstime = 17.
  return Number(fields[13]) + Number(fields[14]);
}

/** PostgreSQL's postmaster (its command line names the cluster's directory) and its backends. */
function postgresPids(clusterDir: string): number[] {
  const all = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
  const cmdline = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      return "";
    }
  };
  const ppid = (pid: number): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return -1;
    }
  };
  const postmaster = all.find((pid) => cmdline(pid).includes(clusterDir) && cmdline(pid).includes(" -D "));
  return postmaster === undefined ? [] : [postmaster, ...all.filter((pid) => ppid(pid) === postmaster)];
}

type Groups = Record<"wrk" | "apache" | "worker" | "postgres", number>;

function cpuByGroup(apachePid: number, clusterDir: string): Groups {
  const tree = descendants(apachePid);
  const workers = tree.filter((p) => p.command.includes("worker.js")).map((p) => p.pid);
  const httpd = [apachePid, ...tree.filter((p) => !p.command.includes("worker.js")).map((p) => p.pid)];
  const sum = (pids: number[]): number => pids.reduce((total, pid) => total + cpuTicks(pid), 0);
  return { wrk: waitedChildrenTicks(), apache: sum(httpd), worker: sum(workers), postgres: sum(postgresPids(clusterDir)) };
}

interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples: readonly number[];
}

/** Self time per function, as a share of all samples. */
function topFunctions(profile: CpuProfile, count: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const file = frame.url.replace(/^.*\/(node_modules\/[^/]+|dist|node:)/, "$1");
    const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    hits.set(name, (hits.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  return [...hits.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, count)
    .map(([name, n]) => `${((100 * n) / total).toFixed(1).padStart(5)}%  ${name}`);
}

/** `perf record` on httpd's children until stop(), which gives the top shared objects and symbols. */
async function startPerf(apachePid: number, dir: string): Promise<{ stop(): Promise<string> }> {
  const children = descendants(apachePid).filter((p) => p.ppid === apachePid && !p.command.includes("worker.js"));
  const data = join(dir, "perf.data");
  const recorder = spawn("perf", ["record", "-F", "999", "-o", data, "-p", children.map((p) => p.pid).join(",")], { stdio: ["ignore", "ignore", "pipe"] });
  await new Promise((r) => setTimeout(r, 500));
  return {
    async stop(): Promise<string> {
      recorder.kill("SIGINT");
      await new Promise((r) => recorder.on("close", r));
      const report = (sort: string, limit: string): string =>
        execFileSync("perf", ["report", "-i", data, "--stdio", "-q", "--sort", sort, "--percent-limit", limit], { encoding: "utf8", maxBuffer: 1 << 26 }).trimEnd();
      return `by shared object:\n${report("dso", "0.1")}\n\nby symbol:\n${report("dso,sym", "0.7")}`;
    },
  };
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  const profileDir = mkdtempSync(join(tmpdir(), "anp-cpuprof-"));
  chmodSync(profileDir, 0o777);
  const wrapper = join(profileDir, "node-prof.sh");
  const profileFlags = `${process.env.PROFILE_NODE_FLAGS ? `${process.env.PROFILE_NODE_FLAGS} ` : ""}${process.env.PROFILE_CPUPROF === "0" ? "" : `--cpu-prof --cpu-prof-dir=${profileDir} `}`;
  const profileEnv = process.env.PROFILE_NODE_ENV ? `export ${process.env.PROFILE_NODE_ENV}\n` : "";
  writeFileSync(wrapper, `#!/bin/sh\n${profileEnv}exec ${process.execPath} ${profileFlags}"$@"\n`);
  chmodSync(wrapper, 0o755);
  const apacheBox: { stop?: () => Promise<void> } = {};
  try {
    const oracle = await startDjango({ databaseUrl: pg.url });
    await oracle.createGroup("secret-agents");
    await oracle.createUser({ username: "alice", password: "wonderland", groups: ["secret-agents"] });
    await oracle.close();
    if (FEED) installTriggers(pg.url);
    const databaseUrl = PG_OVER_SOCKET ? socketUrlForWorker(pg) : pg.url;
    const location = (path: string, require: string, extra: string[] = []) => djangoLocation(`/${path}`, databaseUrl, extra, require);
    const file = "x".repeat(3072);
    const apache = await startBenchApache({
      files: { "valid/file.txt": file, "group/file.txt": file, "reuse/file.txt": file, "grant/file.txt": file, "open/file.txt": file, "feed/file.txt": file, "feedgroup/file.txt": file },
      nodeModule: true,
      body: [
        `NodeAuthNodeBinary ${wrapper}`,
        location("valid", "Require valid-user"),
        location("group", "Require group secret-agents"),
        location("reuse", "Require valid-user", ["NodeAuthDjangoOption row_cache_seconds 5"]),
        location("grant", "Require valid-user", ["NodeAuthDjangoOption row_cache_seconds 5", "NodeAuthCacheSeconds 5"]),
        ...(FEED ? [location("feed", "Require valid-user", ["NodeAuthDjangoOption change_feed on"]), location("feedgroup", "Require group secret-agents", ["NodeAuthDjangoOption change_feed on"])] : []),
      ].join("\n"),
    });
    apacheBox.stop = () => apache.stop();
    const url = apache.url(`/${PATH_KIND}/file.txt`);
    await runWrk({ url, seconds: 2, connections: 2, credentials: ["alice:wonderland"] });

    const perf = process.env.PROFILE_PERF === "1" ? await startPerf(apache.pid, profileDir) : undefined;
    let strace: ReturnType<typeof spawn> | undefined;
    let straceOut = "";
    if (process.env.PROFILE_STRACE === "1") {
      const child = descendants(apache.pid).find((p) => p.ppid === apache.pid && !p.command.includes("worker.js"));
      if (child) {
        strace = spawn("strace", ["-c", "-f", "-p", String(child.pid)], { stdio: ["ignore", "ignore", "pipe"] });
        strace.stderr?.on("data", (chunk: Buffer) => (straceOut += chunk.toString()));
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const clusterDir = dirname(pg.socketDir);
    const cpuBefore = cpuByGroup(apache.pid, clusterDir);
    const result = await runWrk({ url, seconds: SECONDS, connections: CONNECTIONS, credentials: ["alice:wonderland"] });
    const cpuAfter = cpuByGroup(apache.pid, clusterDir);
    const perfReport = perf ? await perf.stop() : "";
    if (strace) {
      strace.kill("SIGINT");
      await new Promise((r) => strace?.on("close", r));
    }
    console.log(`${PATH_KIND}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${result.errors}`);
    const perRequest = (ticks: number): string => `${((ticks / CLOCK_TICKS) * 1e6 / Math.max(1, result.requests)).toFixed(0)} µs`;
    const parts = (Object.keys(cpuAfter) as Array<keyof Groups>).map((k) => `${k} ${perRequest(cpuAfter[k] - cpuBefore[k])}`);
    const total = (Object.keys(cpuAfter) as Array<keyof Groups>).reduce((t, k) => t + cpuAfter[k] - cpuBefore[k], 0);
    console.log(`CPU per request (user+system, from /proc): ${parts.join(", ")}; total ${perRequest(total)}`);
    for (const worker of descendants(apache.pid).filter((p) => p.command.includes("worker.js"))) {
      const status = readFileSync(`/proc/${worker.pid}/status`, "utf8");
      const kb = (key: string): string => `${key} ${(Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0) / 1024).toFixed(1)}`;
      console.log(`worker ${worker.pid} after ${result.requests} requests, MiB: ${["VmRSS", "VmHWM", "RssAnon", "RssFile"].map(kb).join(", ")}; threads ${/^Threads:\s+(\d+)/m.exec(status)?.[1]}`);
    }
    await apache.stop();
    apacheBox.stop = undefined;
    const profiles = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"));
    for (const name of profiles) {
      const profile = JSON.parse(readFileSync(join(profileDir, name), "utf8")) as CpuProfile;
      console.log(`\nworker profile ${join(profileDir, name)}: ${profile.samples.length} samples, top self time:`);
      console.log(topFunctions(profile, 30).join("\n"));
    }
    if (perfReport) console.log(`\nperf record of Apache's children (self time):\n${perfReport}`);
    if (straceOut) console.log(`\nstrace -c -f of one Apache child:\n${straceOut}`);
  } finally {
    await apacheBox.stop?.();
    await pg.cleanup();
  }
}

await main();
execFileSync("true");
