// RequestDeadline and DeadlineGroup (src/worker/deadline.ts): one shared timer instead of a timer, an
// AbortController and listeners per request, and an AbortSignal made only when someone reads it. Every
// test waits for events (a callback, an abort event), never for an amount of time; where a deadline must
// have passed before the timer could run, the test spins synchronously until the clock says so (the
// timer cannot fire during synchronous code).
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DeadlineGroup, RequestDeadline, signalOf, withDeadline } from "../../src/worker/deadline.js";
import { DeadlineError } from "../../src/errors.js";
import { countControllers } from "../support/abort-controllers.js";

/** A deadline whose `over` promise settles with the reason given to its onOver callback; `calls` counts them. */
function deadline(group: DeadlineGroup, budgetMs: number) {
  let resolveOver: (reason: unknown) => void = () => {};
  const over = new Promise<unknown>((resolve) => (resolveOver = resolve));
  const state = { calls: 0 };
  const d = new RequestDeadline(group, budgetMs, (which, reason) => {
    expect(which).toBe(d);
    state.calls++;
    resolveOver(reason);
  });
  return { d, over, state };
}

/** Spins until `d`'s deadline has passed by the clock; no timer can run meanwhile. */
function spinPast(d: RequestDeadline): void {
  while (performance.now() < d.at) {
    // busy: the point is that the event loop does not turn
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("RequestDeadline: the lazy AbortSignal", () => {
  it("makes no AbortController unless the signal is read, and one (the same) when it is", async () => {
    const count = countControllers();
    const group = new DeadlineGroup();
    await expect(withDeadline(60_000, group, async () => "granted")).resolves.toBe("granted");
    expect(count.made).toBe(0);
    const { d } = deadline(group, 60_000);
    expect(d.aborted).toBe(false);
    d.throwIfAborted();
    expect(count.made).toBe(0);
    const signal = d.signal;
    expect(count.made).toBe(1);
    expect(d.signal).toBe(signal);
    expect(signalOf(d)).toBe(signal);
    expect(d.finish()).toBe(true);
  });

  it("read early: aborted with DeadlineError when the deadline passes, listeners run, onOver once", async () => {
    const { d, over, state } = deadline(new DeadlineGroup(), 5);
    const signal = d.signal;
    expect(signal.aborted).toBe(false);
    await once(signal, "abort");
    expect(signal.reason).toBeInstanceOf(DeadlineError);
    expect(await over).toBe(signal.reason);
    expect(d.aborted).toBe(true);
    expect(() => d.throwIfAborted()).toThrow(DeadlineError);
    expect(d.finish()).toBe(false); // a result arriving now is dropped
    await turn();
    expect(state.calls).toBe(1);
  });

  it("read late, after the timer ended the request: made already aborted", async () => {
    const count = countControllers();
    const { d, over } = deadline(new DeadlineGroup(), 5);
    const reason = await over;
    expect(reason).toBeInstanceOf(DeadlineError);
    expect(count.made).toBe(0); // nobody read it before
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe(reason);
  });

  it("read late, when the deadline passed but the timer has not run yet: made aborted, and the request ends", async () => {
    const { d, over, state } = deadline(new DeadlineGroup(), 2);
    spinPast(d);
    expect(state.calls).toBe(0);
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBeInstanceOf(DeadlineError);
    expect(d.finish()).toBe(false);
    expect(await over).toBe(d.signal.reason);
  });

  it("finish() after the deadline passed by the clock is false even before the timer runs (never a late grant)", async () => {
    const { d, over } = deadline(new DeadlineGroup(), 2);
    spinPast(d);
    expect(d.finish()).toBe(false);
    expect(await over).toBeInstanceOf(DeadlineError);
  });

  it("read early: aborted with the connection's reason when the group is aborted", async () => {
    const group = new DeadlineGroup();
    const { d, over } = deadline(group, 60_000);
    const signal = d.signal;
    const gone = new Error("connection closed");
    group.abort(gone);
    expect(signal.aborted).toBe(true); // at once, as an AbortController would
    expect(signal.reason).toBe(gone);
    expect(await over).toBe(gone);
    expect(d.finish()).toBe(false);
  });

  it("read late, after the group was aborted: made already aborted with the connection's reason", async () => {
    const group = new DeadlineGroup();
    const { d, over } = deadline(group, 60_000);
    const gone = new Error("connection closed");
    group.abort(gone);
    expect(await over).toBe(gone);
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe(gone);
  });

  it("starts over in an aborted group or with no budget: onOver is called, withDeadline never starts the work", async () => {
    const group = new DeadlineGroup();
    const gone = new Error("connection closed");
    group.abort(gone);
    const late = deadline(group, 60_000);
    expect(late.d.aborted).toBe(true);
    expect(late.d.signal.reason).toBe(gone);
    expect(await late.over).toBe(gone);
    const none = deadline(new DeadlineGroup(), 0);
    expect(none.d.aborted).toBe(true);
    expect(await none.over).toBeInstanceOf(DeadlineError);
    let started = false;
    await expect(
      withDeadline(60_000, group, async () => {
        started = true;
        return "granted";
      }),
    ).rejects.toBe(gone);
    expect(started).toBe(false);
  });

  it("once finished, is never aborted: not by the group, not by the timer", async () => {
    const group = new DeadlineGroup();
    const { d, state } = deadline(group, 3);
    const early = d.signal;
    expect(d.finish()).toBe(true);
    expect(d.finish()).toBe(false); // only once
    group.abort(new Error("connection closed"));
    spinPast(d);
    const other = deadline(new DeadlineGroup(), 1); // the shared timer runs after d's deadline
    await other.over;
    await turn();
    expect(state.calls).toBe(0);
    expect(early.aborted).toBe(false);
    expect(d.aborted).toBe(false);
  });
});

describe("the shared timer", () => {
  it("ends deadlines in deadline order, whatever order they were made in", async () => {
    const group = new DeadlineGroup();
    const order: number[] = [];
    const all = [40, 10, 25, 1].map((budget) => {
      const { d, over } = deadline(group, budget);
      return over.then((reason) => {
        expect(reason).toBeInstanceOf(DeadlineError);
        order.push(budget);
        return d;
      });
    });
    await Promise.all(all);
    expect(order).toEqual([1, 10, 25, 40]);
  });

  it("still ends a later deadline when the earlier ones finished (the timer moves on)", async () => {
    const group = new DeadlineGroup();
    const first = deadline(group, 2);
    const second = deadline(group, 4);
    const third = deadline(group, 15);
    expect(first.d.finish()).toBe(true);
    expect(second.d.finish()).toBe(true);
    expect(await third.over).toBeInstanceOf(DeadlineError);
    expect(first.state.calls + second.state.calls).toBe(0);
  });

  it("is brought forward when a deadline earlier than the one it waits for arrives", async () => {
    const group = new DeadlineGroup();
    const long = deadline(group, 600_000);
    const short = deadline(group, 3);
    // Without bringing the timer forward this would wait ten minutes and the test would time out.
    expect(await short.over).toBeInstanceOf(DeadlineError);
    expect(long.d.aborted).toBe(false);
    expect(long.d.finish()).toBe(true);
  });

  it("a group's abort ends only its own deadlines", async () => {
    const a = new DeadlineGroup();
    const b = new DeadlineGroup();
    const inA = [deadline(a, 60_000), deadline(a, 60_000), deadline(a, 60_000)];
    const inB = deadline(b, 60_000);
    expect(inA[1]!.d.finish()).toBe(true); // unlinked from the middle of a's list
    a.abort(new Error("gone"));
    expect(inA[0]!.d.aborted && inA[2]!.d.aborted).toBe(true);
    expect(inB.d.aborted).toBe(false);
    await Promise.all([inA[0]!.over, inA[2]!.over]);
    await turn();
    expect(inA[1]!.state.calls + inB.state.calls).toBe(0);
    expect(inB.d.finish()).toBe(true);
  });
});
