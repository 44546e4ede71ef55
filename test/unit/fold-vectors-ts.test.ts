// Runs test/vectors/fold.json through the worker's fold (src/worker/fold.ts): the group match and the
// held-permission check, the rules the module holds too (test/unit/fold-vectors-c.test.ts runs the C half).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HandlerContractError } from "../../src/errors.js";
import { heldPermissions, matchGroups } from "../../src/worker/fold.js";

interface FoldVectors {
  groupMatch: Array<{ name: string; userGroups: string[]; wanted: string[]; matched: string[] }>;
  heldPermissions: Array<{ name: string; asked: string[]; held: string[]; unasked: string | null; result: string[] | null }>;
}

const vectors = JSON.parse(readFileSync(new URL("../vectors/fold.json", import.meta.url), "utf8")) as FoldVectors;

describe("the worker's fold (src/worker/fold.ts) against test/vectors/fold.json", () => {
  it("has at least 8 cases of each rule it holds", () => {
    expect(vectors.groupMatch.length).toBeGreaterThanOrEqual(8);
    expect(vectors.heldPermissions.length).toBeGreaterThanOrEqual(8);
  });

  it.each(vectors.groupMatch.map((v) => [v.name, v] as const))("groupMatch: %s", (_name, v) => {
    expect(matchGroups(v.userGroups, v.wanted)).toEqual(v.matched);
  });

  it.each(vectors.heldPermissions.map((v) => [v.name, v] as const))("heldPermissions: %s", (_name, v) => {
    if (v.unasked !== null) {
      expect(() => heldPermissions(v.asked, v.held, "test")).toThrow(HandlerContractError);
      expect(() => heldPermissions(v.asked, v.held, "test")).toThrow("test answered a permission that was not asked for");
    } else {
      expect(heldPermissions(v.asked, v.held, "test")).toEqual(v.result);
    }
  });

  it("refuses a held answer that is not an array of strings", () => {
    for (const bad of [null, undefined, "a.b", [1], [null], { 0: "a.b" }]) {
      expect(() => heldPermissions(["a.b"], bad, "test")).toThrow("test must resolve to an array of strings");
    }
  });
});
