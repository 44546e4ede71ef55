import { describe, expect, it } from "vitest";
import { wireString } from "../../src/protocol/fields.js";
import { decodeEnviron } from "../../src/worker/environ.js";
import { RequestError } from "../../src/errors.js";

const entries = (...items: (string | Buffer)[]): Buffer[] => items.map((i) => (typeof i === "string" ? Buffer.from(i, "utf8") : i));

describe("decodeEnviron", () => {
  it("splits each entry at the first '='", () => {
    const env = decodeEnviron(entries("REQUEST_METHOD=GET", "QUERY_STRING=a=1&b=2", "EMPTY="));
    expect(env).toEqual({ REQUEST_METHOD: "GET", QUERY_STRING: "a=1&b=2", EMPTY: "" });
  });

  it("decodes values as UTF-8, or Latin-1 when they are not valid UTF-8", () => {
    const env = decodeEnviron(entries("HTTP_X_NAME=caf\u00e9", Buffer.concat([Buffer.from("HTTP_X_LATIN="), Buffer.from([0x63, 0x61, 0x66, 0xe9])])));
    expect(env["HTTP_X_NAME"]).toBe("caf\u00e9");
    expect(env["HTTP_X_LATIN"]).toBe("caf\u00e9");
  });

  it("withholds Authorization, Proxy-Authorization and Cookie even if sent", () => {
    const env = decodeEnviron(entries("HTTP_AUTHORIZATION=Basic Zm9vOmJhcg==", "HTTP_PROXY_AUTHORIZATION=x", "HTTP_COOKIE=sessionid=1", "HTTP_HOST=h"));
    expect(env).toEqual({ HTTP_HOST: "h" });
  });

  it("keeps a key named __proto__ as a plain entry", () => {
    const env = decodeEnviron(entries("__proto__=polluted", "A=1"));
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(Object.keys(env)).toEqual(["__proto__", "A"]);
    expect(env["__proto__" as string]).toBe("polluted");
  });

  it("rejects an entry without '=' or with an empty key", () => {
    expect(() => decodeEnviron(entries("NOEQUALS"))).toThrow(RequestError);
    expect(() => decodeEnviron(entries("=value"))).toThrow(/empty key/);
  });
});

describe("wireString (user names and passwords)", () => {
  it("is UTF-8 for valid UTF-8 and Latin-1 otherwise, like curl and mod_wsgi", () => {
    expect(wireString(Buffer.from("j\u00f6rg", "utf8"))).toBe("j\u00f6rg");
    expect(wireString(Buffer.from([0x6a, 0xf6, 0x72, 0x67]))).toBe("j\u00f6rg");
    expect(wireString(Buffer.from([0xff, 0xfe]))).toBe("\u00ff\u00fe");
    expect(wireString(Buffer.alloc(0))).toBe("");
  });
});
