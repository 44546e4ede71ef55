import { describe, expect, it } from "vitest";
import { parseDjangoSpec } from "../../src/django/config.js";

const base = { type: "django", database: "sqlite:///tmp/x.sqlite3" };

describe("verified_cache spec key", () => {
  it("is on by default", () => {
    expect(parseDjangoSpec(base).verifiedCache).toBe(true);
  });
  it("can be turned off and on", () => {
    expect(parseDjangoSpec({ ...base, verified_cache: "off" }).verifiedCache).toBe(false);
    expect(parseDjangoSpec({ ...base, verified_cache: "on" }).verifiedCache).toBe(true);
  });
  it("rejects other values, naming the key", () => {
    expect(() => parseDjangoSpec({ ...base, verified_cache: "maybe" })).toThrow(/verified_cache/);
  });
});
