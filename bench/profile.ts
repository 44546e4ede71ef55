// bench/profile: where the time of an authenticated request goes (issue 5). Starts PostgreSQL, seeds one
// user with Django, starts Apache with the module and the Django handler, then drives /valid with wrk
// (repeat credentials, as stage (b) of bench/http) while:
//   - the worker runs under `node --cpu-prof` (through a NodeAuthNodeBinary wrapper), and
//   - PROFILE_STRACE=1: one Apache child's syscalls are counted with `strace -c -f`.
// Prints wrk's numbers, the worker's top self-time functions and the syscall summary.
//   BENCH_SECONDS=10 npx vite-node bench/profile.ts
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres } from "../test/harness/postgres.js";
import { startDjango } from "../test/harness/django.js";
import { startBenchApache } from "./lib/apache.js";
import { runWrk } from "./lib/wrk.js";
import { descendants } from "../src/demo/httpd-process.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const PATH_KIND = process.env.PROFILE_PATH ?? "valid";

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

async function main(): Promise<void> {
  const pg = await startPostgres();
  const profileDir = mkdtempSync(join(tmpdir(), "anp-cpuprof-"));
  chmodSync(profileDir, 0o777);
  const wrapper = join(profileDir, "node-prof.sh");
  writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} --cpu-prof --cpu-prof-dir=${profileDir} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const apacheBox: { stop?: () => Promise<void> } = {};
  try {
    const oracle = await startDjango({ databaseUrl: pg.url });
    await oracle.createGroup("secret-agents");
    await oracle.createUser({ username: "alice", password: "wonderland", groups: ["secret-agents"] });
    await oracle.close();
    const location = (path: string, require: string, extra: string[] = []) =>
      [
        `<Location "/${path}">`,
        "    AuthType Basic",
        '    AuthName "Top Secret"',
        "    AuthBasicProvider node",
        `    NodeAuthDjangoDatabase "${pg.url}"`,
        "    NodeAuthDjangoOption django_version 5.2",
        ...extra.map((line) => `    ${line}`),
        `    ${require}`,
        "</Location>",
      ].join("\n");
    const file = "x".repeat(3072);
    const apache = await startBenchApache({
      files: { "valid/file.txt": file, "group/file.txt": file, "reuse/file.txt": file, "open/file.txt": file },
      nodeModule: true,
      body: [
        `NodeAuthNodeBinary ${wrapper}`,
        location("valid", "Require valid-user"),
        location("group", "Require group secret-agents"),
        location("reuse", "Require valid-user", ["NodeAuthDjangoOption row_cache_seconds 5"]),
      ].join("\n"),
    });
    apacheBox.stop = () => apache.stop();
    const url = apache.url(`/${PATH_KIND}/file.txt`);
    await runWrk({ url, seconds: 2, connections: 2, credentials: ["alice:wonderland"] });

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
    const result = await runWrk({ url, seconds: SECONDS, connections: CONNECTIONS, credentials: ["alice:wonderland"] });
    if (strace) {
      strace.kill("SIGINT");
      await new Promise((r) => strace?.on("close", r));
    }
    console.log(`${PATH_KIND}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${result.errors}`);
    await apache.stop();
    apacheBox.stop = undefined;
    const profiles = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"));
    for (const name of profiles) {
      const profile = JSON.parse(readFileSync(join(profileDir, name), "utf8")) as CpuProfile;
      console.log(`\nworker profile ${join(profileDir, name)}: ${profile.samples.length} samples, top self time:`);
      console.log(topFunctions(profile, 30).join("\n"));
    }
    if (straceOut) console.log(`\nstrace -c -f of one Apache child:\n${straceOut}`);
  } finally {
    await apacheBox.stop?.();
    await pg.cleanup();
  }
}

await main();
execFileSync("true");
