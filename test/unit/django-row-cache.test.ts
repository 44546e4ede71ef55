// RowCache (row_cache_seconds): expiry on an injected clock, bounded size, oldest evicted first.
import { describe, expect, it } from "vitest";
import { RowCache } from "../../src/django/row-cache.js";

describe("RowCache", () => {
  it("returns a value until its time to live has passed", () => {
    let now = 1_000;
    const cache = new RowCache<string | null>(500, 10, () => now);
    cache.set("alice", "row");
    cache.set("nobody", null);
    expect(cache.get("alice")).toEqual({ value: "row" });
    expect(cache.get("nobody")).toEqual({ value: null }); // a cached miss is not an absent entry
    now += 499;
    expect(cache.get("alice")).toEqual({ value: "row" });
    now += 1;
    expect(cache.get("alice")).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it("keeps nothing when the time to live is 0 (the default of the handler)", () => {
    const cache = new RowCache<string>(0);
    cache.set("alice", "row");
    expect(cache.get("alice")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("evicts the oldest entries beyond maxEntries and forgets deleted ones", () => {
    const cache = new RowCache<number>(60_000, 3, () => 0);
    for (let i = 0; i < 5; i++) cache.set(`u${i}`, i);
    expect(cache.size).toBe(3);
    expect(cache.get("u0")).toBeUndefined();
    expect(cache.get("u1")).toBeUndefined();
    expect(cache.get("u4")).toEqual({ value: 4 });
    cache.delete("u4");
    expect(cache.get("u4")).toBeUndefined();
    cache.set("u2", 22); // re-setting refreshes its age
    cache.set("u5", 5);
    cache.set("u6", 6);
    expect(cache.size).toBe(3);
    expect(cache.get("u3")).toBeUndefined();
    expect(cache.get("u2")).toEqual({ value: 22 });
  });
});
