import { mkdtempSync, rmSync, writeFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createScriptHandler, MAX_GROUPS, type ScriptHandler } from "../../src/handlers/script.js";
import { moduleFormat } from "../../src/handlers/script-loader.js";
import { SpecError } from "../../src/errors.js";
import type { CheckContext } from "../../src/handlers/types.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/handlers");
const work = mkdtempSync(join(tmpdir(), "anp-script-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ctx = (user: string, environ: Record<string, string> = {}): CheckContext => ({
  environ,
  user,
  userBytes: Buffer.from(user, "utf8"),
  signal: new AbortController().signal,
  client: null,
});

function handler(path: string, reload = false): ScriptHandler {
  return createScriptHandler({ type: "script", path, ...(reload ? { reload: "on" } : {}) });
}

describe("script handler: mod_wsgi's contract", () => {
  const esm = handler(join(FIXTURES, "basic.mjs"));
  const cjs = handler(join(FIXTURES, "snake.cjs"));

  it("maps checkPassword results: true, false, null, a new user name", async () => {
    expect(await esm.checkPassword(ctx("alice"), "wonderland")).toEqual({ kind: "granted" });
    expect(await esm.checkPassword(ctx("alice"), "Wonderland")).toEqual({ kind: "denied" });
    expect(await esm.checkPassword(ctx("nobody"), "x")).toEqual({ kind: "not_found" });
    expect(await esm.checkPassword(ctx("rename-me"), "ok")).toEqual({ kind: "granted", user: "renamed-user" });
  });

  it("passes a copy of environ per call", async () => {
    expect(await esm.checkPassword(ctx("env-probe", { REQUEST_URI: "/probe" }), "")).toEqual({ kind: "granted" });
    expect(await esm.checkPassword(ctx("env-probe", { REQUEST_URI: "/other" }), "")).toEqual({ kind: "denied" });
  });

  it("groups, realm hash, access and permissions", async () => {
    expect(await esm.groupsForUser(ctx("alice"))).toEqual(["staff", "Readers"]);
    expect(await esm.getRealmHash(ctx("alice"), "Private")).toMatch(/^[0-9a-f]{32}$/);
    expect(await esm.getRealmHash(ctx("nobody"), "Private")).toBeNull();
    expect(await esm.allowAccess({}, "10.0.0.1")).toBe(true);
    expect(await esm.allowAccess({}, "10.0.0.2")).toBe(false);
    expect(await esm.allowAccess({}, "10.0.0.3")).toBeNull();
    expect(await esm.hasPermission(ctx("alice"), ["docs.view_doc"])).toBe(true);
    expect(await esm.hasPermission(ctx("bob"), ["docs.view_doc"])).toBe(false);
  });

  it("accepts CommonJS with snake_case names and bytes as group names", async () => {
    expect(await cjs.checkPassword(ctx("snake"), "hiss")).toEqual({ kind: "granted" });
    expect(await cjs.checkPassword(ctx("snake"), "bite")).toEqual({ kind: "denied" });
    expect(await cjs.groupsForUser(ctx("snake"))).toEqual(["reptiles", "caf\u00e9"]);
    expect(await cjs.allowAccess({}, "127.0.0.1")).toBe(true);
    await expect(cjs.hasPermission(ctx("snake"), ["a.b"])).rejects.toThrow(/script exports no hasPermission/);
  });
});

describe("script handler: broken scripts answer errors", () => {
  const faulty = handler(join(FIXTURES, "faulty.mjs"));

  it.each([
    ["throws", /checkPassword threw: Error: database says no/],
    ["rejects", /checkPassword threw: TypeError: async failure/],
    ["number", /returned a number, expected/],
    ["object", /returned an object \(Object\)/],
    ["empty-string", /returned a string, expected true, false, null or a non-empty user name/],
    ["bytes", /returned a Buffer/],
    ["throws-string", /checkPassword threw: a string/],
  ])("checkPassword for %s", async (user, message) => {
    await expect(faulty.checkPassword(ctx(user), "secret-pw")).rejects.toThrow(message);
  });

  it("never describes a wrong return value by its content", async () => {
    const err = (await faulty.checkPassword(ctx("throws-string"), "secret-pw").catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain("secret-pw");
  });

  it.each([
    ["string", /expected an iterable of group names/],
    ["null", /expected an iterable/],
    ["bad-item", /returned an item that is a number/],
    ["generator-throws", /groupsForUser threw: Error: generator broke/],
    ["endless", new RegExp(`at most ${MAX_GROUPS}`)],
  ])("groupsForUser for %s", async (user, message) => {
    await expect(faulty.groupsForUser(ctx(user))).rejects.toThrow(message);
  });

  it("getRealmHash and allowAccess type checks", async () => {
    await expect(faulty.getRealmHash(ctx("short"), "r")).rejects.toThrow(/expected 32 hex digits/);
    await expect(faulty.getRealmHash(ctx("other"), "r")).rejects.toThrow(/returned a number/);
    await expect(faulty.allowAccess({}, "h")).rejects.toThrow(/allowAccess returned a string/);
  });
});

describe("script handler: loading", () => {
  it("rejects bad specs naming the key", () => {
    expect(() => createScriptHandler({ type: "script" })).toThrow(/path: is required/);
    expect(() => createScriptHandler({ type: "script", path: "./relative.mjs" })).toThrow(SpecError);
    expect(() => createScriptHandler({ type: "script", path: "/a.mjs", reload: "maybe" })).toThrow(/reload: must be on or off/);
    expect(() => createScriptHandler({ type: "script", path: "/a.mjs", realod: "on" })).toThrow(/realod: unknown key/);
    expect(() => createScriptHandler({ type: "script", path: "no-such-package-anp" })).toThrow(/path: cannot resolve package/);
  });

  it("resolves a package specifier the way the worker imports it", async () => {
    // fast-check is a dev dependency, so it resolves; it is not a handler, so checks fail cleanly.
    const pkg = createScriptHandler({ type: "script", path: "fast-check" });
    await expect(pkg.checkPassword(ctx("a"), "b")).rejects.toThrow(/script exports no checkPassword/);
  });

  it("follows Node's module format rules", () => {
    expect(moduleFormat("/x/a.mjs")).toBe("esm");
    expect(moduleFormat("/x/a.cjs")).toBe("cjs");
    expect(moduleFormat(join(FIXTURES, "whatever.js"))).toBe("esm"); // the repository's package.json says "module"
    expect(moduleFormat("/no-package-json-here/a.js")).toBe("cjs");
  });

  it("a missing script is an error per call, and works once it appears", async () => {
    const file = join(work, "late.mjs");
    const late = handler(file);
    await expect(late.checkPassword(ctx("a"), "b")).rejects.toThrow(/cannot stat|cannot load/);
    writeFileSync(file, "export const checkPassword = () => true;\n");
    expect(await late.checkPassword(ctx("a"), "b")).toEqual({ kind: "granted" });
  });

  it("a script with a syntax error fails until it is fixed, without re-importing it per call", async () => {
    const file = join(work, "broken.mjs");
    writeFileSync(file, "export const checkPassword = () => {{ true;\n");
    const broken = handler(file);
    const first = await broken.checkPassword(ctx("a"), "b").catch((e: unknown) => e);
    const second = await broken.checkPassword(ctx("a"), "b").catch((e: unknown) => e);
    expect((first as Error).message).toMatch(/cannot load/);
    expect(second).toBe(first); // the remembered failure, not a second evaluation
    writeFileSync(file, "export const checkPassword = () => false;\n");
    expect(await broken.checkPassword(ctx("a"), "b")).toEqual({ kind: "denied" });
  });

  for (const ext of ["mjs", "cjs"] as const) {
    it(`reload=on evaluates a changed ${ext} script before the next call, reload=off keeps the first`, async () => {
      const file = join(work, `reloading.${ext}`);
      const source = (answer: string) =>
        ext === "mjs" ? `export function checkPassword() { return ${answer}; }\n` : `exports.checkPassword = () => ${answer};\n`;
      writeFileSync(file, source("true"));
      const reloads: string[] = [];
      const reloading = createScriptHandler({ type: "script", path: file, reload: "on" }, { onReload: (f) => reloads.push(f) });
      const fixed = handler(file, false);
      expect(await reloading.checkPassword(ctx("a"), "b")).toEqual({ kind: "granted" });
      expect(await fixed.checkPassword(ctx("a"), "b")).toEqual({ kind: "granted" });
      writeFileSync(file, source("false"));
      utimesSync(file, new Date(), new Date(Date.now() + 5000)); // a different mtime even on coarse clocks
      expect(await reloading.checkPassword(ctx("a"), "b")).toEqual({ kind: "denied" });
      expect(await fixed.checkPassword(ctx("a"), "b")).toEqual({ kind: "granted" });
      expect(reloads).toEqual([file]);
      // Unchanged since: no further evaluation.
      expect(await reloading.checkPassword(ctx("a"), "b")).toEqual({ kind: "denied" });
      expect(reloads).toEqual([file]);
      await reloading.close();
      await fixed.close();
    });
  }

  it("a request in flight keeps the version it started with", async () => {
    const file = join(work, "inflight.mjs");
    writeFileSync(file, "export async function checkPassword(e, user) { await globalThis.__anpGate; return user === 'v1'; }\n");
    let open: () => void = () => {};
    (globalThis as { __anpGate?: Promise<void> }).__anpGate = new Promise<void>((r) => (open = r));
    const reloading = handler(file, true);
    const inFlight = reloading.checkPassword(ctx("v1"), "x");
    // Wait until the first version is loaded and running before changing the file.
    await reloading.load();
    writeFileSync(file, "export function checkPassword(e, user) { return user === 'v2'; }\n");
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    expect(await reloading.checkPassword(ctx("v2"), "x")).toEqual({ kind: "granted" });
    open();
    expect(await inFlight).toEqual({ kind: "granted" }); // v1's answer for v1
    delete (globalThis as { __anpGate?: Promise<void> }).__anpGate;
  });
});
