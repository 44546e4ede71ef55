// The polling subscriber's reading of a change table (src/django/change-feed/poll-feed.ts), on an
// in-memory table: ids that appear out of order (MySQL hands them out at insert, not at commit) are
// waited for and delivered, a hole never filled and rows pruned unread are gaps ("all"). The real tables
// are read in test/integration/change-feed-*.test.ts.
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../src/django/change-feed/events.js";
import { PollFeed, type ChangeRow, type PollSource } from "../../src/django/change-feed/poll-feed.js";
import { eventually } from "../support/eventually.js";

class MemoryTable implements PollSource {
  readonly hashesSessionKeys = true;
  readonly rows: ChangeRow[] = [];
  async open(): Promise<void> {}
  async lastId(): Promise<number> {
    return Math.max(0, ...this.rows.map((row) => row.id));
  }
  async changed(): Promise<boolean> {
    return true;
  }
  async rowsAfter(after: number): Promise<ChangeRow[]> {
    return this.rows.filter((row) => row.id > after).sort((a, b) => a.id - b.id);
  }
  async close(): Promise<void> {}
  commit(id: number, key: string): void {
    this.rows.push({ id, kind: "user", k: key });
  }
}

let feed: PollFeed | undefined;
afterEach(async () => {
  await feed?.close();
});

function start(table: MemoryTable, holeWaitMs: number): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  feed = new PollFeed(table, { onEvent: (event) => events.push(event) }, { intervalMs: 1, holeWaitMs, timeoutMs: 1000, cleanupEveryMs: 0 }).start();
  return events;
}

const keys = (events: readonly ChangeEvent[]): string[] => events.map((event) => (event.kind === "all" ? "all" : event.key));

describe("PollFeed", () => {
  it("delivers rows in id order after the first all", async () => {
    const table = new MemoryTable();
    table.commit(1, "old");
    const events = start(table, 1000);
    expect(await eventually(() => events.length === 1, 200, 2)).toBe(true);
    table.commit(2, "a");
    table.commit(3, "b");
    expect(await eventually(() => events.length === 3, 200, 2)).toBe(true);
    expect(keys(events)).toEqual(["all", "a", "b"]);
  });

  it("waits for an id committed after a later one, and delivers it when it appears", async () => {
    const table = new MemoryTable();
    const events = start(table, 10_000);
    expect(await eventually(() => events.length === 1, 200, 2)).toBe(true);
    table.commit(2, "later");
    expect(await eventually(() => events.length === 2, 200, 2)).toBe(true);
    table.commit(1, "earlier");
    expect(await eventually(() => events.length === 3, 200, 2)).toBe(true);
    await sleep(20);
    expect(keys(events)).toEqual(["all", "later", "earlier"]);
  });

  it("a hole never filled becomes an all once holeWaitMs has passed", async () => {
    const table = new MemoryTable();
    const events = start(table, 30);
    expect(await eventually(() => events.length === 1, 200, 2)).toBe(true);
    table.commit(2, "after-rollback");
    expect(await eventually(() => events.length === 3, 200, 5)).toBe(true);
    expect(keys(events)).toEqual(["all", "after-rollback", "all"]);
  });

  it("rows pruned unread are a gap at once where nothing is waited for (SQLite)", async () => {
    const table = new MemoryTable();
    const events = start(table, 0);
    expect(await eventually(() => events.length === 1, 200, 2)).toBe(true);
    table.commit(5, "after-prune");
    expect(await eventually(() => events.length === 3, 200, 2)).toBe(true);
    expect(keys(events)).toEqual(["all", "all", "after-prune"]);
  });

  it("ids missing just below the start are waited for as holes (transactions still open)", async () => {
    const table = new MemoryTable();
    table.commit(1, "one");
    table.commit(3, "three");
    const events = start(table, 10_000);
    expect(await eventually(() => events.length === 1, 200, 2)).toBe(true);
    table.commit(2, "two");
    expect(await eventually(() => events.length === 2, 200, 2)).toBe(true);
    expect(keys(events)).toEqual(["all", "two"]);
  });
});

describe("the feed's reconnect backoff", () => {
  it("doubles while a fresh connection fails at once, instead of starting over at each connect", async () => {
    const table = new MemoryTable();
    table.rowsAfter = async () => {
      throw new Error("refused");
    };
    const retries: number[] = [];
    const events: ChangeEvent[] = [];
    feed = new PollFeed(
      table,
      {
        onEvent: (event) => events.push(event),
        onHealth: (health) => {
          if (health.state === "lost" && health.retryInMs !== null) retries.push(health.retryInMs);
        },
      },
      { intervalMs: 1, holeWaitMs: 0, timeoutMs: 1000, cleanupEveryMs: 0 },
    ).start();
    expect(await eventually(() => retries.length >= 4, 400, 5)).toBe(true);
    expect(retries.slice(0, 4)).toEqual([50, 100, 200, 400]);
  });
});
