// The worker's change tracker (src/cache/change-tracker.ts) over a real generations table (the addon's C): the
// race rule (a mark before the read, a slot moved after it refuses the stamp), the lease (renewed only while
// every feed is connected and in recent contact, ended and the epoch moved when one is lost or falls silent),
// and the epoch moves (group, permission, all, a lockout). A read-only mapping of the same file stands for a
// child, judging each stamp with the C rule (anp_generations_current).
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ChangeTracker, type FeedView } from "../../src/cache/change-tracker.js";
import { GenerationsTable } from "../../src/cache/generations-table.js";
import { loadAddon } from "../../src/native/index.js";

const loaded = loadAddon();
if (loaded === null) throw new Error("build the addon first: npm run build:native");
const addon = loaded;
const dir = mkdtempSync(join(tmpdir(), "anp-tracker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const trackers: ChangeTracker[] = [];
afterEach(() => trackers.splice(0).forEach((t) => t.close()));

const now = 1_000_000;
function setup(): { tracker: ChangeTracker; child: GenerationsTable; feed: { view: FeedView } } {
  const path = join(dir, `t${String(trackers.length)}-${String(Math.random()).slice(2)}`);
  writeFileSync(path, Buffer.alloc(8 * 8 + 1024 * 8));
  const fd = openSync(path, "r+");
  const childFd = openSync(path, "r");
  const tracker = new ChangeTracker(GenerationsTable.open(addon, fd, true), { renewEveryMs: 3_600_000, now: () => now });
  const child = GenerationsTable.open(addon, childFd, false);
  closeSync(fd);
  closeSync(childFd);
  trackers.push(tracker);
  return { tracker, child, feed: { view: { state: "connecting", lastContactAt: null } } };
}

/** A tracker with one connected feed in contact: the lease runs. */
function leased() {
  const s = setup();
  const reg = s.tracker.register("db", () => s.feed.view, 3000);
  s.feed.view = { state: "connected", lastContactAt: now };
  reg.state("connected");
  return { ...s, reg };
}

describe("ChangeTracker: the race rule", () => {
  it("stamps a grant read after the mark when nothing moved, and the child finds it current", () => {
    const { tracker, child } = leased();
    const mark = tracker.mark();
    const stamp = tracker.stamp(mark, "42");
    expect(stamp).not.toBeNull();
    expect(child.isCurrent(stamp!)).toBe(true);
  });

  it("refuses the stamp when the user's slot moved after the mark, and a later change makes a given stamp stale", () => {
    const { tracker, child, reg } = leased();
    const mark = tracker.mark();
    reg.event({ kind: "user", key: "42" });
    expect(tracker.stamp(mark, "42")).toBeNull();
    const stamp = tracker.stamp(tracker.mark(), "42")!;
    expect(child.isCurrent(stamp)).toBe(true);
    reg.event({ kind: "user", key: "42" });
    expect(child.isCurrent(stamp)).toBe(false);
  });

  it("a change to another user's slot does not refuse the stamp (slots are keyed by the primary key)", () => {
    const { tracker, reg } = leased();
    const slot42 = tracker.table.slotOf("42");
    const other = [...Array(5000).keys()].map(String).find((k) => tracker.table.slotOf(k) !== slot42)!;
    const mark = tracker.mark();
    reg.event({ kind: "user", key: other });
    expect(tracker.stamp(mark, "42")).not.toBeNull();
  });

  it.each(["group", "permission", "all"] as const)("a %s event moves the epoch: marks before it give no stamp, stamps before it are stale", (kind) => {
    const { tracker, child, reg } = leased();
    const mark = tracker.mark();
    const given = tracker.stamp(mark, "7")!;
    reg.event({ kind, key: kind === "all" ? "" : "3" });
    expect(tracker.stamp(mark, "7")).toBeNull();
    expect(child.isCurrent(given)).toBe(false);
    expect(child.isCurrent(tracker.stamp(tracker.mark(), "7")!)).toBe(true);
  });

  it("a lockout moves the epoch", () => {
    const { tracker, child } = leased();
    const given = tracker.stamp(tracker.mark(), "7")!;
    tracker.lockout();
    expect(child.isCurrent(given)).toBe(false);
  });
});

describe("ChangeTracker: the lease", () => {
  it("does not run before a feed is connected, nor with no feed at all: no stamps then", () => {
    const { tracker, child } = setup();
    expect(tracker.stamp(tracker.mark(), "1")).toBeNull();
    expect(child.lease).toBe(0n);
    tracker.register("db", () => ({ state: "connecting", lastContactAt: null }), 3000);
    expect(tracker.leased).toBe(false);
    expect(child.lease).toBe(0n);
  });

  it("runs while the feed is connected and in contact; a lost feed ends it at once and moves the epoch", () => {
    const { tracker, child, reg, feed } = leased();
    expect(child.lease).toBeGreaterThan(0n);
    const given = tracker.stamp(tracker.mark(), "9")!;
    feed.view = { state: "lost", lastContactAt: now };
    reg.state("lost");
    expect(child.lease).toBe(0n);
    expect(child.isCurrent(given)).toBe(false);
    expect(tracker.stamp(tracker.mark(), "9")).toBeNull();
  });

  it("a feed whose last contact is older than its bound ends the lease at the next tick", () => {
    const s = setup();
    const tracker = new ChangeTracker(s.tracker.table, { renewEveryMs: 5, now: () => now });
    trackers.push(tracker);
    let view: FeedView = { state: "connected", lastContactAt: now };
    const reg = tracker.register("db", () => view, 3000);
    reg.state("connected");
    expect(tracker.leased).toBe(true);
    view = { state: "connected", lastContactAt: now - 3001 };
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        expect(tracker.leased).toBe(false);
        expect(s.child.lease).toBe(0n);
        resolve();
      }, 50),
    );
  });

  it("one unhealthy feed among two holds the lease back; closing it lets the other renew", () => {
    const { tracker, reg: _first } = leased();
    const second = tracker.register("db2", () => ({ state: "connecting", lastContactAt: null }), 3000);
    expect(tracker.leased).toBe(false);
    second.close();
    expect(tracker.leased).toBe(true);
  });

  it("close ends the lease", () => {
    const { tracker, child } = leased();
    tracker.close();
    expect(child.lease).toBe(0n);
    expect(tracker.stamp(tracker.mark(), "1")).toBeNull();
  });
});
