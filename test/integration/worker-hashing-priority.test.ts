// Hashing yields to serving: the worker raises the niceness of libuv's pool threads (where every hash
// runs) at startup, and of nothing else. Read back from /proc, not from the worker's own word.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HASHING_NICENESS, threadPoolSize } from "../../src/worker/hashing-priority.js";
import { REPO, WorkerHarness } from "../harness/worker.js";

/** Niceness of each thread of `pid`, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function nicenessByThread(pid: number): Map<number, number> {
  const result = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    result.set(Number(tid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
  }
  return result;
}

describe("hashing thread priority", () => {
  let harness: WorkerHarness;
  beforeAll(() => {
    harness = WorkerHarness.create();
  });
  afterAll(async () => {
    await harness?.cleanup();
  });

  it("lowers exactly libuv's pool threads, and leaves the main thread (the serving path) alone", async () => {
    const worker = await harness.startWorker(["--log-level", "info"]);
    const pid = worker.child.pid as number;
    const line = await worker.waitForLine(/hashing threads .* run at lower CPU priority/);
    const reported = (/hashing threads ([\d, ]+) run/.exec(line)?.[1] ?? "").split(", ").map(Number).sort();
    const niceness = nicenessByThread(pid);
    const lowered = [...niceness].filter(([, nice]) => nice === HASHING_NICENESS).map(([tid]) => tid).sort();
    expect(lowered).toHaveLength(threadPoolSize());
    expect(lowered).toEqual(reported);
    expect(niceness.get(pid)).toBe(0);
    expect([...niceness.values()].filter((nice) => nice !== 0 && nice !== HASHING_NICENESS)).toEqual([]);
  });

  it("fails with E_POOL_PRIORITY, instead of hanging, when asked for more threads than the pool has", () => {
    const script = `
      const addon = require(${JSON.stringify(join(REPO, "build/Release/anp_addon.node"))});
      addon.lowerPoolPriority(3, 10).then(
        (tids) => console.log(JSON.stringify({ tids })),
        (error) => console.log(JSON.stringify({ code: error.code })),
      );`;
    const run = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, UV_THREADPOOL_SIZE: "2" }, encoding: "utf8", timeout: 20_000 });
    expect(JSON.parse(run.stdout)).toEqual({ code: "E_POOL_PRIORITY" });
    const fits = spawnSync(process.execPath, ["-e", script.replace("lowerPoolPriority(3, 10)", "lowerPoolPriority(2, 10)")], {
      env: { ...process.env, UV_THREADPOOL_SIZE: "2" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect((JSON.parse(fits.stdout) as { tids: number[] }).tids).toHaveLength(2);
  });

  it("computes the pool size as libuv does", () => {
    expect(threadPoolSize({})).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: "" })).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: "8" })).toBe(8);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: "0" })).toBe(1);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: "5000" })).toBe(1024);
  });
});
