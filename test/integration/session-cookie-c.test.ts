// Runs the session cookie parser's C test (native/test/session_cookie_test.c, built by CMakeLists.txt):
// native/mod/session_cookie.c fed every case of the parse_cookie sections of the Django session vectors
// (each cookie Django found, by its name, and the session cookie's name where Django found none), then the
// binary's own cases (the 4096-byte bound, Python's white space, escapes, invalid UTF-8).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { runTapBinary } from "../support/tap-binary.js";

interface CookieCase {
  readonly id: string;
  readonly input: { readonly header?: string; readonly header_bytes_hex?: string };
  readonly output: Readonly<Record<string, string>>;
}

const hex = (bytes: Buffer): string => `x${bytes.toString("hex")}`;

function vectorLines(version: string): string[] {
  const url = new URL(`../vectors/django-sessions-${version}.json`, import.meta.url);
  const cases = (JSON.parse(readFileSync(url, "utf8")) as { parse_cookie: { cases: CookieCase[] } }).parse_cookie.cases;
  const lines: string[] = [];
  for (const c of cases) {
    const header = c.input.header_bytes_hex !== undefined
      ? Buffer.from(c.input.header_bytes_hex, "hex")
      : Buffer.from(c.input.header ?? "", "utf8");
    const names = new Set([...Object.keys(c.output), "sessionid"]);
    for (const name of names) {
      const value = c.output[name];
      const expected = value === undefined ? "-" : hex(Buffer.from(value, "utf8"));
      lines.push([hex(header), hex(Buffer.from(name, "utf8")), expected, `${version} ${c.id} [${name}]`].join("\t"));
    }
  }
  return lines;
}

it("native/mod/session_cookie.c finds each cookie as Django 3.2 and 5.2's parse_cookie did", () => {
  const lines = [...vectorLines("3.2"), ...vectorLines("5.2")];
  expect(lines.length).toBe(78);
  const run = runTapBinary("session_cookie_test", `${lines.join("\n")}\n`);
  const own = 13;
  expect(run.planned).toBe(lines.length + own);
  expect(run.passed).toBe(lines.length + own);
});
