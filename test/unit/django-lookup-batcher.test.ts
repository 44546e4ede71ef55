// The lookup batcher alone, with an in-memory table in place of the database: which statements it sends,
// that every check gets its own rows, that a name asked for while a batch runs waits for a later statement
// (freshness), and that a batch that fails or matches inexactly falls back to one statement per name.
import { describe, expect, it } from "vitest";
import { LookupBatcher, type LookupBatcherOptions } from "../../src/django/lookup-batcher.js";
import type { Row } from "../../src/django/database/types.js";

interface Table {
  rows: Map<string, Row[]>;
  /** Every statement run: ["many", names] or ["one", name]. */
  log: Array<["many", readonly string[]] | ["one", string]>;
}

function tableOf(entries: Record<string, number>): Table {
  const rows = new Map<string, Row[]>();
  for (const [name, id] of Object.entries(entries)) rows.set(name, [{ lookup_key: name, user_id: id }]);
  return { rows, log: [] };
}

/** A batcher over `table`; `equal` is the "database's" equality (exact unless a test says otherwise). */
function batcherOver(
  table: Table,
  options: Partial<LookupBatcherOptions> & { equal?: (stored: string, asked: string) => boolean } = {},
): LookupBatcher {
  const equal = options.equal ?? ((a: string, b: string) => a === b);
  const find = (asked: string): Row[] => [...table.rows].filter(([stored]) => equal(stored, asked)).flatMap(([, rows]) => rows);
  return new LookupBatcher({
    fetchMany: async (names) => {
      // A statement reads a snapshot when it starts and answers a little later.
      table.log.push(["many", [...names]]);
      const rows = names.flatMap(find);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return rows;
    },
    fetchOne: async (name) => {
      table.log.push(["one", name]);
      const rows = find(name);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return rows;
    },
    keyColumn: "lookup_key",
    exactMatching: async () => true,
    maxBatch: options.maxBatch ?? 64,
    maxConcurrent: options.maxConcurrent ?? 1,
    ...(options.fetchMany ? { fetchMany: options.fetchMany } : {}),
    ...(options.fetchOne ? { fetchOne: options.fetchOne } : {}),
    ...(options.exactMatching ? { exactMatching: options.exactMatching } : {}),
  });
}

const ids = (rows: Row[]): unknown[] => rows.map((row) => row.user_id);

describe("LookupBatcher", () => {
  it("sends the names asked for in one turn as one statement and gives each check its own rows", async () => {
    const table = tableOf({ alice: 1, bob: 2, carol: 3 });
    const batcher = batcherOver(table);
    const results = await Promise.all(["alice", "bob", "nobody", "carol", "alice"].map((name) => batcher.load(name)));
    expect(results.map(ids)).toEqual([[1], [2], [], [3], [1]]);
    expect(table.log).toEqual([["many", ["alice", "bob", "nobody", "carol"]]]);
    expect(batcher.stats).toEqual({ statements: 1, names: 4 });
  });

  it("uses the single-name statement when a turn asks for one name, however many checks want it", async () => {
    const table = tableOf({ alice: 1 });
    const batcher = batcherOver(table);
    const results = await Promise.all([1, 2, 3].map(() => batcher.load("alice")));
    expect(results.map(ids)).toEqual([[1], [1], [1]]);
    expect(table.log).toEqual([["one", "alice"]]);
  });

  it("answers a name asked for while a statement runs from a later statement, which sees later changes", async () => {
    const table = tableOf({ alice: 1, bob: 2 });
    const batcher = batcherOver(table);
    const first = Promise.all([batcher.load("alice"), batcher.load("bob")]);
    // Let the first statement start, then change the table and ask again: the running statement must not
    // answer the new check (it may have read the old rows).
    await new Promise((resolve) => setImmediate(resolve));
    expect(table.log).toHaveLength(1);
    table.rows.set("alice", [{ lookup_key: "alice", user_id: 10 }]);
    const second = batcher.load("alice");
    expect((await first).map(ids)).toEqual([[1], [2]]);
    expect(ids(await second)).toEqual([10]);
    expect(table.log).toEqual([["many", ["alice", "bob"]], ["one", "alice"]]);
  });

  it("splits more names than maxBatch over several statements and runs at most maxConcurrent at once", async () => {
    const entries = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`u${i}`, i]));
    const table = tableOf(entries);
    let running = 0;
    let mostRunning = 0;
    const batcher = batcherOver(table, {
      maxBatch: 3,
      maxConcurrent: 2,
      fetchMany: async (names) => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        table.log.push(["many", [...names]]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return names.map((name) => ({ lookup_key: name, user_id: entries[name] ?? null }));
      },
    });
    const results = await Promise.all(Object.keys(entries).map((name) => batcher.load(name)));
    expect(results.map(ids)).toEqual(Object.values(entries).map((id) => [id]));
    expect(mostRunning).toBe(2);
    expect(table.log.every(([, names]) => names.length <= 3)).toBe(true);
    expect(table.log.flatMap(([, names]) => names).sort()).toEqual(Object.keys(entries).sort());
  });

  it("asks each name on its own when a row matches none exactly, so the database's equality decides", async () => {
    const table = tableOf({ alice: 1, bob: 2 });
    const caseless = (stored: string, asked: string): boolean => stored.toLowerCase() === asked.toLowerCase();
    const batcher = batcherOver(table, { equal: caseless });
    const results = await Promise.all(["ALICE", "bob", "nobody"].map((name) => batcher.load(name)));
    expect(results.map(ids)).toEqual([[1], [2], []]);
    expect(table.log).toEqual([
      ["many", ["ALICE", "bob", "nobody"]],
      ["one", "ALICE"],
      ["one", "bob"],
      ["one", "nobody"],
    ]);
  });

  it("never shares a statement when the column does not compare exactly, and asks that once", async () => {
    const table = tableOf({ alice: 1, bob: 2 });
    let asked = 0;
    const batcher = batcherOver(table, {
      equal: (stored, asked_) => stored.toLowerCase() === asked_.toLowerCase(),
      exactMatching: async () => {
        asked++;
        return false;
      },
    });
    // "alice" and "ALICE" both name the row alice: a shared statement would match ALICE to nothing.
    const first = await Promise.all(["alice", "ALICE", "bob"].map((name) => batcher.load(name)));
    const second = await Promise.all(["BOB", "nobody"].map((name) => batcher.load(name)));
    expect([...first, ...second].map(ids)).toEqual([[1], [1], [2], [2], []]);
    expect(table.log.every(([kind]) => kind === "one")).toBe(true);
    expect(asked).toBe(1);
    expect(batcher.stats.statements).toBe(0);
  });

  it("uses one statement per name while the exactness question fails, and asks again later", async () => {
    const table = tableOf({ alice: 1, bob: 2 });
    let fail = true;
    const batcher = batcherOver(table, {
      exactMatching: async () => {
        if (fail) throw new Error("catalog unreadable");
        return true;
      },
    });
    expect((await Promise.all(["alice", "bob"].map((name) => batcher.load(name)))).map(ids)).toEqual([[1], [2]]);
    expect(table.log.map(([kind]) => kind)).toEqual(["one", "one"]);
    fail = false;
    expect((await Promise.all(["alice", "bob"].map((name) => batcher.load(name)))).map(ids)).toEqual([[1], [2]]);
    expect(table.log.map(([kind]) => kind)).toEqual(["one", "one", "many"]);
  });

  it("keeps a failing name's error to its own checks: a failed batch is retried name by name", async () => {
    const table = tableOf({ alice: 1 });
    const batcher = batcherOver(table, {
      fetchMany: async (names) => {
        table.log.push(["many", [...names]]);
        throw new Error("invalid input syntax");
      },
      fetchOne: async (name) => {
        table.log.push(["one", name]);
        if (name === "bad") throw new Error("invalid input syntax");
        return table.rows.get(name) ?? [];
      },
    });
    const [alice, bad] = await Promise.allSettled([batcher.load("alice"), batcher.load("bad")]);
    expect(alice.status === "fulfilled" && ids(alice.value)).toEqual([1]);
    expect(bad.status).toBe("rejected");
    expect(table.log.map(([kind]) => kind)).toEqual(["many", "one", "one"]);
  });

  it("rejects every check of a single-name statement that fails, and serves the next turn normally", async () => {
    const table = tableOf({ alice: 1 });
    let fail = true;
    const batcher = batcherOver(table, {
      fetchOne: async (name) => {
        if (fail) throw new Error("server went away");
        return table.rows.get(name) ?? [];
      },
    });
    const failed = await Promise.allSettled([batcher.load("alice"), batcher.load("alice")]);
    expect(failed.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(ids(await batcher.load("alice"))).toEqual([1]);
  });

  it("refuses nonsensical sizes", () => {
    const table = tableOf({});
    expect(() => batcherOver(table, { maxBatch: 0 })).toThrow(RangeError);
    expect(() => batcherOver(table, { maxConcurrent: 1.5 })).toThrow(RangeError);
  });
});
