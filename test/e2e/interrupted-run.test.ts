// A test run that is interrupted leaves nothing behind. A vitest of its own runs
// test/fixtures/interrupted-run/hold-servers.test.ts, which starts PostgreSQL and Apache with the module
// (and so a Node worker) through the harness and waits; once they are up, its process group gets SIGINT
// (what Ctrl-C sends) or SIGTERM (what .ci/run's trap and tinypool send), or SIGKILL followed by the sweep
// the next run's globalSetup does, or its main process alone gets SIGTERM. Then no process, socket or
// directory of theirs may be left, nor the vitest fork that started them.
import { test, expect, beforeAll, afterEach } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { REPO_ROOT, nodeModuleBuilt } from "../harness/apache.js";
import { eventually } from "../support/eventually.js";
import { processStartTime, processesNaming, sweepLeftovers } from "../harness/lifecycle.js";
import { describeRequiring } from "../support/optional.js";

interface Started {
  readonly owner: number;
  readonly apacheRoot: string;
  readonly postgresSocketDir: string;
  readonly pids: number[];
  readonly groups: number[];
}

/** What the interrupted run had running, seen from outside: every process, with its start time. */
interface Snapshot {
  readonly roots: string[];
  readonly processes: Array<{ pid: number; startTime: string }>;
  readonly groups: number[];
}

function processGroupOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return null;
  }
}

function snapshot(started: Started): Snapshot {
  const roots = [started.apacheRoot, dirname(started.postgresSocketDir)];
  const pids = new Set([started.owner, ...started.pids, ...roots.flatMap((root) => processesNaming(root))]);
  const processes = [...pids].flatMap((pid) => {
    const startTime = processStartTime(pid);
    return startTime === null ? [] : [{ pid, startTime }];
  });
  const groups = new Set([...started.groups, ...processes.map((p) => processGroupOf(p.pid)).filter((g): g is number => g !== null && g > 1)]);
  return { roots, processes, groups: [...groups] };
}

/** Everything of the snapshot still there: live processes, group members, named processes, directories, sockets. */
function leftovers(seen: Snapshot): string[] {
  const found: string[] = [];
  for (const { pid, startTime } of seen.processes) if (processStartTime(pid) === startTime) found.push(`process ${pid}`);
  for (const name of readdirSync("/proc")) {
    if (/^\d+$/.test(name) && seen.groups.includes(processGroupOf(Number(name)) ?? -1)) found.push(`process ${name} in group ${processGroupOf(Number(name))}`);
  }
  for (const root of seen.roots) {
    for (const pid of processesNaming(root)) found.push(`process ${pid} naming ${root}`);
    if (existsSync(root)) found.push(`directory ${root}`);
  }
  const sockets = readFileSync("/proc/net/unix", "utf8").split("\n");
  for (const line of sockets) if (seen.roots.some((root) => line.includes(root))) found.push(`socket ${line.trim()}`);
  return found;
}

/** A vitest of its own, in its own process group (as a terminal's foreground job is), running the holder. */
function startHoldingRun(marker: string, registry: string): ChildProcess {
  // A registry of its own: another run's sweep (five engineers share this machine) must not be what
  // cleans up here.
  const env: NodeJS.ProcessEnv = { ...process.env, ANP_INTERRUPT_MARKER: marker, ANP_TEST_REGISTRY: registry };
  // The outer run's settings would make the inner vitest think it is one of its workers.
  for (const key of Object.keys(env)) if (key.startsWith("VITEST") || key === "NODE_OPTIONS") delete env[key];
  return spawn(process.execPath, [join(REPO_ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/fixtures/interrupted-run/vitest.config.ts"], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("an interrupted test run leaves no server, socket or directory behind", () => {
  let work = "";
  let output = "";
  let run: ChildProcess | undefined;

  const registry = (): string => join(work, "registry");

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "anp-interrupted-run-"));
    return () => {
      sweepLeftovers(registry());
      rmSync(work, { recursive: true, force: true });
    };
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail") console.error(`--- output of the interrupted run ---\n${output}--- end ---`);
    // The whole group, even when the main process has exited: a fork left running would keep its servers.
    if (run?.pid !== undefined) {
      try {
        process.kill(-run.pid, "SIGKILL");
      } catch {
        // nothing left in the group
      }
    }
  });

  test.each([
    ["SIGINT", "process group"],
    ["SIGTERM", "process group"],
    ["SIGKILL", "process group"],
    // The main process alone: its fork, holding the servers, loses its IPC channel and must not run on.
    ["SIGTERM", "main process"],
  ] as const)("%s to the run's %s", async (signal, target) => {
    const marker = join(work, `${signal}-${target.replace(" ", "-")}.json`);
    output = "";
    run = startHoldingRun(marker, registry());
    run.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    run.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => run!.once("exit", () => resolve()));
    const ready = await eventually(() => existsSync(marker) || run!.exitCode !== null, 1200);
    expect(existsSync(marker), "the holding run started its servers").toBe(true);
    expect(ready).toBe(true);
    const seen = snapshot(JSON.parse(readFileSync(marker, "utf8")) as Started);
    expect(seen.processes.length, "processes seen before the interruption").toBeGreaterThan(3);

    // The run is alive: a sweep now (another run starting) must leave all of it alone.
    const early = sweepLeftovers(registry());
    expect(early.swept).toEqual([]);
    expect(early.kept).toBeGreaterThan(0);
    expect(seen.processes.filter(({ pid, startTime }) => processStartTime(pid) !== startTime)).toEqual([]);

    process.kill(target === "process group" ? -run.pid! : run.pid!, signal);
    await exited;
    // SIGKILL runs no handler: what is left is the next run's sweep's to remove, and only that.
    if (signal === "SIGKILL") sweepLeftovers(registry());
    // Processes killed by SIGKILL vanish once reaped; the bound is on tries, not on time.
    await eventually(() => leftovers(seen).length === 0, 100);
    expect(leftovers(seen)).toEqual([]);
  });
});

// The sweep may run as root: a registry file must not be able to steer it anywhere.
describeRequiring(process.getuid?.() === 0, "root, to give a directory to www-data")("the sweep trusts only its own registry", () => {
  let work = "";
  const deadOwner = { ownerPid: 0x7fffffff, ownerStartTime: "1" };

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "anp-sweep-trust-"));
    return () => rmSync(work, { recursive: true, force: true });
  });

  test("an entry naming a directory other than /tmp/anp-* is dropped, the directory kept", () => {
    const registry = join(work, "registry");
    mkdirSync(registry, { mode: 0o700 });
    const outside = mkdtempSync(join(tmpdir(), "not-anp-"));
    try {
      writeFileSync(join(registry, "1-1.json"), JSON.stringify({ kind: "directory", path: outside, ...deadOwner }), { mode: 0o600 });
      writeFileSync(join(registry, "1-2.json"), JSON.stringify({ kind: "directory", path: `${work}/../${basename(outside)}`, ...deadOwner }), { mode: 0o600 });
      expect(sweepLeftovers(registry)).toEqual({ swept: [], kept: 0 });
      expect(existsSync(outside)).toBe(true);
      expect(readdirSync(registry)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("a registry directory that others may write to, or that another user owns, is not read", () => {
    const target = mkdtempSync("/tmp/anp-sweep-target-");
    try {
      for (const [name, arrange] of [
        ["open", (dir: string) => chmodSync(dir, 0o777)],
        ["www-data's", (dir: string) => chownSync(dir, 33, 33)],
      ] as const) {
        const registry = join(work, name);
        mkdirSync(registry, { mode: 0o700 });
        writeFileSync(join(registry, "1-1.json"), JSON.stringify({ kind: "directory", path: target, ...deadOwner }), { mode: 0o600 });
        arrange(registry);
        expect(sweepLeftovers(registry), name).toEqual({ swept: [], kept: 0 });
        expect(existsSync(target), name).toBe(true);
      }
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
