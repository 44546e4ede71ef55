// Runs test/vectors/fold.json through the C rules of the one-trip fold (native/anp_fold.c, via the addon),
// the rules the module decides Require lines by; the TypeScript fold is held to the same file, so the
// module and the worker decide alike from a folded answer.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadAddon } from "../../src/native/index.js";

interface FoldVectors {
  groupMatch: Array<{ name: string; userGroups: string[]; wanted: string[]; matched: string[] }>;
  heldPermissions: Array<{ name: string; asked: string[]; held: string[]; unasked: string | null; result: string[] | null }>;
  permissionLine: Array<{ name: string; asked: string[]; held: string[]; line: string[]; decision: "granted" | "denied" | "ask" }>;
  foldPermissions: Array<{ name: string; count: number; groupHandlerRides: boolean; sameHandler: boolean; groupHandlerConfigured: boolean; fold: boolean }>;
}

const path = fileURLToPath(new URL("../vectors/fold.json", import.meta.url));
const addon = loadAddon();
if (addon === null) throw new Error("build the addon first: npm run build:native");
const native = addon;

describe("the fold's C rules (native/anp_fold.c) against test/vectors/fold.json", () => {
  it("has the vectors file", () => {
    expect(existsSync(path), `${path} missing`).toBe(true);
  });
  if (!existsSync(path)) return;
  const vectors = JSON.parse(readFileSync(path, "utf8")) as FoldVectors;

  it("has at least 8 cases of every rule", () => {
    for (const list of [vectors.groupMatch, vectors.heldPermissions, vectors.permissionLine, vectors.foldPermissions]) {
      expect(list.length).toBeGreaterThanOrEqual(8);
    }
  });

  it.each(vectors.groupMatch.map((v) => [v.name, v] as const))("groupMatch: %s", (_name, v) => {
    expect(native.foldGroupMatches(v.userGroups, v.wanted)).toBe(v.matched.length > 0);
  });

  it.each(vectors.heldPermissions.map((v) => [v.name, v] as const))("heldPermissions: %s", (_name, v) => {
    expect(native.foldUnaskedPermission(v.asked, v.held)).toBe(v.unasked);
  });

  it.each(vectors.permissionLine.map((v) => [v.name, v] as const))("permissionLine: %s", (_name, v) => {
    expect(native.foldPermissionLine(v.asked, v.held, v.line)).toBe(v.decision);
  });

  it.each(vectors.foldPermissions.map((v) => [v.name, v] as const))("foldPermissions: %s", (_name, v) => {
    expect(native.foldPermissions(v.count, v.groupHandlerRides, v.sameHandler, v.groupHandlerConfigured)).toBe(v.fold);
  });
});

describe("the fold's C rules on cases of their own", () => {
  it("compares group names ignoring ASCII case only", () => {
    expect(native.foldGroupMatches(["Editors"], ["editors"])).toBe(true);
    expect(native.foldGroupMatches(["É"], ["é"])).toBe(false);
    expect(native.foldGroupMatches(["straße"], ["STRASSE"])).toBe(false);
    expect(native.foldGroupMatches([], ["x"])).toBe(false);
  });

  it("names the first held permission that was not asked", () => {
    expect(native.foldUnaskedPermission(["a.b"], ["a.b", "c.d", "e.f"])).toBe("c.d");
    expect(native.foldUnaskedPermission(["a.b"], [])).toBeNull();
  });

  it("asks the worker about a line with a name that was not asked", () => {
    expect(native.foldPermissionLine(["a.b"], ["a.b"], ["a.b", "c.d"])).toBe("ask");
    expect(native.foldPermissionLine(["a.b", "c.d"], ["c.d"], ["a.b", "c.d"])).toBe("granted");
    expect(native.foldPermissionLine(["a.b", "c.d"], [], ["a.b"])).toBe("denied");
  });

  it("folds 1 to 64 names when the group handler rides along or is the password's", () => {
    expect(native.foldPermissions(64, true, false, true)).toBe(true);
    expect(native.foldPermissions(65, true, false, true)).toBe(false);
    expect(native.foldPermissions(0, true, true, true)).toBe(false);
    expect(native.foldPermissions(3, false, true, true)).toBe(true);
    expect(native.foldPermissions(3, false, false, true)).toBe(false);
    expect(native.foldPermissions(3, true, true, false)).toBe(false);
  });
});
