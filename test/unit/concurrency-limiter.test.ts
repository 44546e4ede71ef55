import { describe, expect, it } from "vitest";
import { ConcurrencyLimiter } from "../../src/cache/concurrency-limiter.js";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("ConcurrencyLimiter", () => {
  it("never runs more than `limit` tasks at once and runs waiters in FIFO order", async () => {
    const limiter = new ConcurrencyLimiter(2);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    let peak = 0;
    const runs = gates.map((gate, i) =>
      limiter.run(async () => {
        started.push(i);
        peak = Math.max(peak, limiter.running);
        await gate.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limiter.queued).toBe(3);
    gates[1]!.resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(limiter.running).toBe(0);
  });

  it("releases the slot when a task throws", async () => {
    const limiter = new ConcurrencyLimiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(limiter.running).toBe(0);
    expect(await limiter.run(async () => 7)).toBe(7);
  });

  it("drops a waiting task whose signal aborts, without running it", async () => {
    const limiter = new ConcurrencyLimiter(1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const second = limiter.run(async () => {
      ran = true;
    }, controller.signal);
    controller.abort(new Error("deadline"));
    await expect(second).rejects.toThrow("deadline");
    expect(limiter.queued).toBe(0);
    gate.resolve();
    await first;
    expect(ran).toBe(false);
    expect(limiter.running).toBe(0);
  });

  it("rejects a bad limit", () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow(/limit/);
  });
});
