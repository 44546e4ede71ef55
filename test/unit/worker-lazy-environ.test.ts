// The request's environ, as decodeRequest gives it: decoded only when something reads it, once, but a
// malformed one refused on arrival (a bad frame fails closed before any handler runs).
import { describe, expect, it } from "vitest";
import { decodeEnviron } from "../../src/worker/environ.js";
import { decodeRequest } from "../../src/worker/request.js";
import { Kind, Tag } from "../../src/protocol/constants.js";
import { textField, u32Field } from "../../src/protocol/fields.js";
import type { Message } from "../../src/protocol/message.js";

const entries = (...items: string[]): Uint8Array[] => items.map((item) => Buffer.from(item, "utf8"));

/** A CHECK_PASSWORD frame's message with these ENV entries. */
const withEnviron = (...items: string[]): Message => ({
  kind: Kind.CHECK_PASSWORD,
  requestId: 1,
  fields: [u32Field(Tag.HANDLER_ID, 1), textField(Tag.USER, "alice"), textField(Tag.PASSWORD, "pw"), ...items.map((item) => textField(Tag.ENV, item))],
});

describe("the request's environ", () => {
  it("refuses a malformed entry at once, before anything reads the environ", () => {
    expect(() => decodeRequest(withEnviron("A=1", "no-equals"))).toThrow(/ENV entry without '='/);
    expect(() => decodeRequest(withEnviron("=value"))).toThrow(/empty key/);
  });

  it("decodes on first read, once, to what decodeEnviron gives (credential headers withheld)", () => {
    const raw = ["REQUEST_URI=/x?a=b", "HTTP_AUTHORIZATION=Basic eA==", "HTTP_COOKIE=s=1", "__proto__=p", "K=v=w"];
    const req = decodeRequest(withEnviron(...raw));
    const first = req.environ;
    expect(first).toEqual(decodeEnviron(entries(...raw)));
    expect(Object.keys(first).sort()).toEqual(["K", "REQUEST_URI", "__proto__"]);
    expect(first["K"]).toBe("v=w");
    expect(req.environ).toBe(first);
  });
});
