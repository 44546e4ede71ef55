// The wire constants exist twice, in native/anp_protocol.h and src/protocol/constants.ts; this test
// holds them equal, name by name, in both directions, and checks the C and TypeScript rule tables agree.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as constants from "../../src/protocol/constants.js";
import { isTagAllowed } from "../../src/protocol/index.js";
import { loadAddon } from "../../src/native/index.js";

const headerText = readFileSync(new URL("../../native/anp_protocol.h", import.meta.url), "utf8");

/** Every `#define ANP_NAME <integer>` of a header, by name without the ANP_ prefix. */
function headerConstants(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const match of text.matchAll(/^\s*#\s*define\s+ANP_(\w+)\s+(0x[0-9a-fA-F]+|\d+)\s*(?:\/[*/].*)?$/gm)) {
    out.set(match[1]!, Number(match[2]));
  }
  return out;
}

/** The TypeScript constants in the header's naming: PROTOCOL_VERSION, KIND_HELLO, TAG_USER, STATUS_ERROR... */
function tsConstants(module: Record<string, unknown>): Map<string, number> {
  const prefixes: Record<string, string> = { Kind: "KIND", Tag: "TAG", Status: "STATUS" };
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(module)) {
    if (typeof value === "number") {
      out.set(name, value);
    } else if (typeof value === "object" && value !== null) {
      const prefix = prefixes[name];
      if (prefix === undefined) throw new Error(`constants.ts exports an object the test does not know: ${name}`);
      for (const [key, inner] of Object.entries(value)) out.set(`${prefix}_${key}`, inner as number);
    }
  }
  return out;
}

/** Names missing on one side or with different values; empty when both agree. */
function differences(header: Map<string, number>, ts: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [name, value] of header) {
    if (!ts.has(name)) out.push(`ANP_${name} missing in constants.ts`);
    else if (ts.get(name) !== value) out.push(`${name}: header ${value}, constants.ts ${ts.get(name)}`);
  }
  for (const name of ts.keys()) if (!header.has(name)) out.push(`${name} missing in anp_protocol.h`);
  return out;
}

describe("protocol constants", () => {
  const header = headerConstants(headerText);
  const ts = tsConstants(constants as unknown as Record<string, unknown>);

  it("finds the constants of every group in the header", () => {
    for (const name of ["PROTOCOL_VERSION", "HEADER_LEN", "MAX_FRAME_LEN", "MAX_FIELDS", "MAX_FIELD_LEN", "MAX_HANDLER_ID", "ANSWER_BIT", "KIND_HELLO", "TAG_HANDLER_ID", "TAG_GROUP_HANDLER_ID", "TAG_DEFINE_HANDLER", "STATUS_ERROR"]) {
      expect(header.has(name), name).toBe(true);
    }
    expect(header.size).toBe(ts.size);
  });

  it("agree in both files, name by name", () => {
    expect(differences(header, ts)).toEqual([]);
  });

  it("carry the handler-id range, the throttle scopes and the session check of protocol version 6", () => {
    expect(header.get("PROTOCOL_VERSION")).toBe(6);
    expect(header.get("KIND_CHECK_SESSION")).toBe(0x09);
    expect([header.get("TAG_SESSION_KEY"), header.get("TAG_USER_FLAGS"), header.get("TAG_WANT_USER_FLAGS")]).toEqual([27, 28, 29]);
    expect([header.get("USER_FLAG_STAFF"), header.get("USER_FLAG_SUPERUSER"), header.get("MAX_SESSION_KEY_LEN")]).toEqual([1, 2, 4096]);
    expect(header.get("TAG_THROTTLE_SCOPE")).toBe(26);
    expect([header.get("THROTTLE_SCOPE_ADDRESS"), header.get("THROTTLE_SCOPE_USER")]).toEqual([1, 2]);
    expect([constants.THROTTLE_SCOPE_ADDRESS, constants.THROTTLE_SCOPE_USER]).toEqual([1, 2]);
    expect([header.get("TAG_STAMP"), header.get("STAMP_LEN"), header.get("MAX_STAMPS")]).toEqual([30, 20, 2]);
    expect(header.get("MAX_HANDLER_ID")).toBe(1024);
    expect(constants.MAX_HANDLER_ID).toBe(1024);
  });

  it("would notice a changed value, a renamed constant and a missing one", () => {
    const changed = headerConstants(headerText.replace(/(#define ANP_MAX_FIELD_LEN )8192/, "$18193"));
    expect(differences(changed, ts)).toEqual(["MAX_FIELD_LEN: header 8193, constants.ts 8192"]);
    const renamed = headerConstants(headerText.replace("ANP_TAG_REASON", "ANP_TAG_REASONS"));
    expect(differences(renamed, ts)).toEqual(["ANP_TAG_REASONS missing in constants.ts", "TAG_REASON missing in anp_protocol.h"]);
    const extraTs = new Map(ts).set("TAG_EXTRA", 16);
    expect(differences(header, extraTs)).toEqual(["TAG_EXTRA missing in anp_protocol.h"]);
  });

  it("match the compiled addon", () => {
    const addon = loadAddon();
    expect(addon).not.toBeNull();
    expect(addon!.protocolVersion).toBe(constants.PROTOCOL_VERSION);
  });

  it("C and TypeScript allow the same tags in the same kinds", () => {
    const addon = loadAddon()!;
    let allowed = 0;
    for (let kind = 0; kind <= 0xff; kind++) {
      for (let tag = 0; tag <= 0xff; tag++) {
        const ts = isTagAllowed(kind, tag);
        if (addon.tagAllowed(kind, tag) !== ts) throw new Error(`kind 0x${kind.toString(16)} tag ${tag}: C and TS disagree`);
        if (ts) allowed++;
      }
    }
    // The tables of docs/protocol.md: requests 2+14+6+6+6+5 tags (every operation may carry DEFINE_HANDLER;
    // CHECK_PASSWORD the four client fields and WANT_USER_FLAGS), AUTH 1, BOOTSTRAP 3, CHECK_SESSION 8 (no ENV);
    // answers 5+9+3+2+3+2 (CHECK_PASSWORD and its answer carry folded PERMISSION fields, its answer
    // RETRY_AFTER, THROTTLE_SCOPE, USER_FLAGS and STAMP; AUTH and BOOTSTRAP have no answer), CHECK_SESSION's 8
    // (its STAMP with VALID_FOR).
    expect(allowed).toBe(39 + 1 + 3 + 8 + 24 + 8);
  });
});
