import { describe, expect, it } from "vitest";
import { SpecError } from "../../src/errors.js";
import { assertOnlyKeys, describeSpec, flagValue, parseSpec, redactUrl } from "../../src/handlers/spec.js";

describe("parseSpec", () => {
  it("splits key=value lines at the first '='", () => {
    const spec = parseSpec("type=script\npath=/srv/auth.mjs\nreload=on\n");
    expect(spec).toEqual({ type: "script", path: "/srv/auth.mjs", reload: "on" });
    expect(parseSpec("type=django\ndatabase=postgres://u:p=q@h/db")["database"]).toBe("postgres://u:p=q@h/db");
  });

  it("ignores blank lines and CRLF endings", () => {
    expect(parseSpec("\ntype=script\r\n\npath=/x.js\r\n")).toEqual({ type: "script", path: "/x.js" });
  });

  it("keeps empty values (an empty is_active_column means: no column)", () => {
    expect(parseSpec("type=django\nis_active_column=")["is_active_column"]).toBe("");
  });

  it.each([
    ["path=/x.js", "type", "is required"],
    ["type=ldap", "type", "must be one of"],
    ["type=script\ntype=django", "type", "given twice"],
    ["type=script\nno equals sign", "line 2", "expected key=value"],
    ["type=script\nBad-Key=1", "line 2", "bad key"],
    ["type=script\n=value", "line 2", "bad key"],
  ])("rejects %j naming %s", (text, key, message) => {
    let caught: unknown;
    try {
      parseSpec(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).key).toBe(key);
    expect((caught as SpecError).code).toBe("ERR_ANP_SPEC");
    expect((caught as SpecError).message).toContain(message);
  });
});

describe("spec helpers", () => {
  it("assertOnlyKeys names the first unknown key", () => {
    expect(() => assertOnlyKeys({ type: "script", path: "/a", relaod: "on" }, ["path", "reload"])).toThrow(/relaod: unknown key/);
    expect(() => assertOnlyKeys({ type: "script", path: "/a" }, ["path", "reload"])).not.toThrow();
  });

  it("flagValue reads on/off and rejects anything else", () => {
    expect(flagValue({ reload: "on" }, "reload", false)).toBe(true);
    expect(flagValue({ reload: "Off" }, "reload", true)).toBe(false);
    expect(flagValue({}, "reload", true)).toBe(true);
    expect(() => flagValue({ reload: "sometimes" }, "reload", false)).toThrow(/reload: must be on or off/);
  });

  it("describeSpec never shows a database password", () => {
    const described = describeSpec(parseSpec("type=django\ndatabase=postgres://app:s3cr/et@db.example:5432/site"));
    expect(described).not.toContain("s3cr");
    expect(described).toBe("django:postgres://app:***@db.example:5432/site");
    expect(describeSpec(parseSpec("type=script\npath=/srv/a.mjs"))).toBe("script:/srv/a.mjs");
  });

  it("redactUrl leaves URLs without a password alone", () => {
    expect(redactUrl("sqlite:///var/lib/site/db.sqlite3")).toBe("sqlite:///var/lib/site/db.sqlite3");
    expect(redactUrl("postgres://app@/site?host=/run/postgresql")).toBe("postgres://app@/site?host=/run/postgresql");
    expect(redactUrl("mysql://root:p@ss@127.0.0.1/db")).toBe("mysql://root:***@127.0.0.1/db");
  });
});
