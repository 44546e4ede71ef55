// The fair hashing queue: at most `parallelism` tasks at once, waiting tasks served round-robin across
// client addresses, an address over its bound refused at once, and abort while waiting.
import { describe, expect, it } from "vitest";
import { FairHashQueue } from "../../src/brute-force/fair-hash-queue.js";
import { HashQueueFullError } from "../../src/errors.js";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("FairHashQueue", () => {
  it("serves waiting addresses round-robin, so a flood waits behind itself", async () => {
    const queue = new FairHashQueue({ parallelism: 1, perAddress: 100 });
    const order: string[] = [];
    const gate = deferred();
    const blocker = queue.run(() => gate.promise, undefined, "192.0.2.9");
    const runs: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) runs.push(queue.run(async () => void order.push(`flood${i}`), undefined, "192.0.2.1"));
    runs.push(queue.run(async () => void order.push("bob"), undefined, "192.0.2.2"));
    runs.push(queue.run(async () => void order.push("carol"), undefined, "2001:db8::3"));
    runs.push(queue.run(async () => void order.push("flood-v6-same-64"), undefined, "2001:db8::4"));
    // The blocker holds the one slot; flood0 took the extra one (its address had nothing running).
    expect(order).toEqual(["flood0"]);
    expect(queue.queued).toBe(7);
    expect(queue.queuedFor("2001:db8::ffff")).toBe(2);
    await Promise.all(runs);
    // While the blocker still runs, the extra slot goes round the waiting addresses in turn.
    expect(order).toEqual(["flood0", "flood1", "bob", "carol", "flood2", "flood-v6-same-64", "flood3", "flood4"]);
    gate.resolve();
    await blocker;
    expect(queue.running).toBe(0);
    expect(queue.queued).toBe(0);
  });

  it("runs one hash per CPU for an address, and one more only for an address with nothing running", async () => {
    const queue = new FairHashQueue({ parallelism: 2, perAddress: 100 });
    const gate = deferred();
    const started: string[] = [];
    const gated = (name: string, ip: string | null) =>
      queue.run(
        async () => {
          started.push(name);
          await gate.promise;
        },
        undefined,
        ip,
      );
    // One address alone gets every CPU.
    const flood = [0, 1, 2, 3].map((i) => gated(`flood${i}`, "192.0.2.1"));
    await tick();
    expect(started).toEqual(["flood0", "flood1"]);
    // A second address starts at once, next to the flood, on the extra slot; a third waits its turn.
    const second = gated("second", "192.0.2.2");
    const third = gated("third", "192.0.2.3");
    await tick();
    expect(started).toEqual(["flood0", "flood1", "second"]);
    expect(queue.running).toBe(3);
    expect(queue.queuedFor("192.0.2.3")).toBe(1);
    gate.resolve();
    await Promise.all([...flood, second, third]);
    // When slots free up, the waiting addresses are served in turn: the third before the flood's rest.
    expect(started.slice(3, 5)).toContain("third");
    expect(started).toHaveLength(6);
  });

  it("holds an address to its share of the CPUs while another address has work", async () => {
    const queue = new FairHashQueue({ parallelism: 4, perAddress: 100 });
    const gates = Array.from({ length: 6 }, deferred);
    const started: string[] = [];
    const flood = gates.map((gate, i) =>
      queue.run(
        async () => {
          started.push(`flood${i}`);
          await gate.promise;
        },
        undefined,
        "192.0.2.1",
      ),
    );
    const secondGate = deferred();
    const second = queue.run(
      async () => {
        started.push("second");
        await secondGate.promise;
      },
      undefined,
      "192.0.2.2",
    );
    await tick();
    expect(started).toEqual(["flood0", "flood1", "flood2", "flood3", "second"]);
    // Two flood hashes end: while the second runs, the flood keeps to its share (two of four CPUs), so the
    // freed slots stay free instead of slowing the second's hash down.
    gates[0]!.resolve();
    gates[1]!.resolve();
    await Promise.all([flood[0], flood[1]]);
    await tick();
    expect(queue.running).toBe(3);
    expect(started).toHaveLength(5);
    // The second address is done: the flood has every CPU again.
    secondGate.resolve();
    await second;
    await tick();
    expect(started).toEqual(["flood0", "flood1", "flood2", "flood3", "second", "flood4", "flood5"]);
    expect(queue.running).toBe(4);
    for (const gate of gates) gate.resolve();
    await Promise.all(flood);
    expect(queue.running).toBe(0);
  });

  it("never runs more than `parallelism` + 1 at once, nor more than `parallelism` for one address", async () => {
    const queue = new FairHashQueue({ parallelism: 2, perAddress: 100 });
    let running = 0;
    let peak = 0;
    const runs = Array.from({ length: 12 }, (_, i) =>
      queue.run(
        async () => {
          running++;
          peak = Math.max(peak, running);
          await tick();
          running--;
          return i;
        },
        undefined,
        `192.0.2.${i % 3}`,
      ),
    );
    expect((await Promise.all(runs)).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(peak).toBe(3);
    const alone = new FairHashQueue({ parallelism: 2 });
    let now = 0;
    let top = 0;
    const own = Array.from({ length: 6 }, () =>
      alone.run(
        async () => {
          top = Math.max(top, ++now);
          await tick();
          now--;
        },
        undefined,
        "192.0.2.1",
      ),
    );
    await Promise.all(own);
    expect(top).toBe(2);
  });

  it("refuses at once an address that already has perAddress waiting, and only that address", async () => {
    const queue = new FairHashQueue({ parallelism: 1, perAddress: 2 });
    const gate = deferred();
    const blocker = queue.run(() => gate.promise, undefined, "192.0.2.1");
    const waiting = [queue.run(async () => 1, undefined, "192.0.2.1"), queue.run(async () => 2, undefined, "192.0.2.1")];
    // Asked as a lockout policy before the handler, the full address is refused with Retry-After 1.
    const who = (ip: string) => ({ ip, userAgent: null, accept: null, path: null });
    expect(queue.check(who("192.0.2.1"))).toEqual({ locked: true, retryAfterSeconds: 1, reason: "queue", scope: "address" });
    expect(queue.check(who("192.0.2.2"))).toEqual({ locked: false });
    let ran = false;
    const refused = queue.run(async () => void (ran = true), undefined, "192.0.2.1");
    await expect(refused).rejects.toBeInstanceOf(HashQueueFullError);
    await expect(refused).rejects.toMatchObject({ code: "ERR_ANP_HASH_QUEUE_FULL" });
    const other = queue.run(async () => 3, undefined, "192.0.2.2");
    // Requests without a client share one key with no bound (an older module could not read a 429).
    const anonymous = Array.from({ length: 5 }, () => queue.run(async () => 4, undefined, null));
    gate.resolve();
    await blocker;
    expect(await Promise.all([...waiting, other, ...anonymous])).toEqual([1, 2, 3, 4, 4, 4, 4, 4]);
    expect(ran).toBe(false);
  });

  it("drops a waiter whose signal aborts, and it never runs", async () => {
    const queue = new FairHashQueue({ parallelism: 1, perAddress: 1 });
    const gate = deferred();
    const blocker = queue.run(() => gate.promise, undefined, "192.0.2.1");
    const controller = new AbortController();
    let ran = false;
    const waiting = queue.run(async () => void (ran = true), controller.signal, "192.0.2.1");
    controller.abort(new Error("deadline"));
    await expect(waiting).rejects.toThrow("deadline");
    expect(queue.queued).toBe(0);
    // The address's place is free again.
    const next = queue.run(async () => "next", undefined, "192.0.2.1");
    expect(queue.queuedFor("192.0.2.1")).toBe(1);
    gate.resolve();
    await blocker;
    expect(await next).toBe("next");
    expect(ran).toBe(false);
    await expect(queue.run(async () => 1, AbortSignal.abort(new Error("already")), "192.0.2.3")).rejects.toThrow("already");
  });

  it("releases the slot when a task throws", async () => {
    const queue = new FairHashQueue({ parallelism: 1 });
    await expect(queue.run(async () => Promise.reject(new Error("boom")), undefined, "192.0.2.1")).rejects.toThrow("boom");
    expect(queue.running).toBe(0);
    expect(await queue.run(async () => 7)).toBe(7);
    expect(() => new FairHashQueue({ parallelism: 0 })).toThrow(/parallelism/);
    expect(() => new FairHashQueue({ perAddress: 0 })).toThrow(/perAddress/);
  });
});
