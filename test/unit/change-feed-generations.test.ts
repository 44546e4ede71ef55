// The change feed's generation table (src/django/change-feed/generations.ts) and its event parsing: a
// stamp holds only while nothing the feed reported touched it and the feed stayed healthy.
import { describe, expect, it } from "vitest";
import { GenerationTable } from "../../src/django/change-feed/generations.js";
import { eventFrom, eventFromPayload, sessionKeyHash } from "../../src/django/change-feed/events.js";

const ALL = { kind: "all", key: "" } as const;

function healthyTable(options: { maxEntries?: number } = {}): GenerationTable {
  const table = new GenerationTable({ firstEpoch: 100, ...options });
  table.apply(ALL);
  return table;
}

describe("GenerationTable", () => {
  it("holds no stamp until the feed's first all event, then holds untouched stamps", () => {
    const table = new GenerationTable({ firstEpoch: 7 });
    const before = table.userStamp("1");
    expect(table.userCurrent("1", before)).toBe(false);
    table.apply(ALL);
    const stamp = table.userStamp("1");
    expect(table.healthy).toBe(true);
    expect(table.userCurrent("1", stamp)).toBe(true);
    expect(table.userCurrent("1", before)).toBe(false);
  });

  it("a user event moves that user's generation only", () => {
    const table = healthyTable();
    const one = table.userStamp("1");
    const two = table.userStamp("2");
    table.apply({ kind: "user", key: "1" });
    expect(table.userCurrent("1", one)).toBe(false);
    expect(table.userCurrent("2", two)).toBe(true);
    expect(table.userCurrent("1", table.userStamp("1"))).toBe(true);
  });

  it("a session event moves that session's generation only, not a user's of the same key", () => {
    const table = healthyTable();
    const session = table.sessionStamp("abc");
    const user = table.userStamp("abc");
    table.apply({ kind: "session", key: "abc" });
    expect(table.sessionCurrent("abc", session)).toBe(false);
    expect(table.userCurrent("abc", user)).toBe(true);
  });

  it.each([
    ["group", { kind: "group", key: "3" }],
    ["permission", { kind: "permission", key: "9" }],
    ["all", ALL],
  ] as const)("a %s event moves the epoch: no stamp holds", (_, event) => {
    const table = healthyTable();
    const user = table.userStamp("1");
    const session = table.sessionStamp("s");
    table.apply(event);
    expect(table.userCurrent("1", user)).toBe(false);
    expect(table.sessionCurrent("s", session)).toBe(false);
  });

  it("a lost feed holds nothing until the next all, and what it held before stays invalid", () => {
    const table = healthyTable();
    const user = table.userStamp("1");
    table.lost();
    expect(table.healthy).toBe(false);
    expect(table.userCurrent("1", table.userStamp("1"))).toBe(false);
    table.apply(ALL);
    expect(table.userCurrent("1", user)).toBe(false);
    expect(table.userCurrent("1", table.userStamp("1"))).toBe(true);
  });

  it("a generation never comes back: a user forgotten by a new epoch and bumped again gets a new value", () => {
    const table = healthyTable();
    table.apply({ kind: "user", key: "1" });
    const first = table.userStamp("1").generation;
    table.apply({ kind: "group", key: "2" });
    table.apply({ kind: "user", key: "1" });
    expect(table.userStamp("1").generation).not.toBe(first);
  });

  it("a full table starts over with a new epoch instead of growing", () => {
    const table = healthyTable({ maxEntries: 2 });
    table.apply({ kind: "user", key: "1" });
    table.apply({ kind: "user", key: "2" });
    const one = table.userStamp("1");
    const epoch = table.epoch;
    table.apply({ kind: "user", key: "3" });
    expect(table.epoch).toBe(epoch + 1);
    expect(table.userCurrent("1", one)).toBe(false);
  });

  it("two tables (a restarted worker) start at different epochs", () => {
    const epochs = new Set(Array.from({ length: 20 }, () => new GenerationTable().epoch));
    expect(epochs.size).toBe(20);
  });
});

describe("change events", () => {
  it("reads the triggers' payloads and rows", () => {
    expect(eventFromPayload("user:42")).toEqual({ kind: "user", key: "42" });
    expect(eventFromPayload("session:ab:cd")).toEqual({ kind: "session", key: "ab:cd" });
    expect(eventFrom("group", 7)).toEqual({ kind: "group", key: "7" });
    expect(eventFromPayload("all:")).toEqual(ALL);
  });

  it.each([["nonsense"], ["user:"], ["bogus:1"], [undefined], [`user:${"1".repeat(300)}`]])("reads what is not ours (%s) as all", (payload) => {
    expect(eventFromPayload(payload)).toEqual(ALL);
  });

  it("hashes session keys as the SQL does (SHA-256, 32 hex digits)", () => {
    // echo -n abc | sha256sum
    expect(sessionKeyHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223");
  });
});
