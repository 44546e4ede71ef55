// No C or C++ function of native/ may be longer than 80 lines (the house rule for both languages): a long
// function is a file's second job hiding in one place. The C here is written in httpd's style, a
// function's opening brace alone at the start of a line and its closing brace likewise; the addon's C++
// opens a function at the end of its signature line, at column 0. That is what this scan relies on (and
// checks: it must find the functions it knows are there). Methods inside a C++ class are not scanned.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAX_BODY_LINES = 80;
const root = fileURLToPath(new URL("../../", import.meta.url));

function cFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return cFiles(path);
    return entry.name.endsWith(".c") || entry.name.endsWith(".cc") ? [path] : [];
  });
}

interface CFunction {
  name: string;
  line: number;
  bodyLines: number;
}

/** A C++ signature line at column 0 that opens the body: `Type Name(args) {` (a `const` method too). */
const CXX_OPENING = /^[A-Za-z_].*\)\s*(const\s*)?\{$/;

/**
 * Functions of a C or C++ file: a "{" alone at column 0 (C) or a signature line at column 0 ending in
 * "{" (C++) opens a body, the next "}" alone at column 0 closes it.
 */
function functionsOf(text: string): CFunction[] {
  const lines = text.split("\n");
  const out: CFunction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const cxx = CXX_OPENING.test(lines[i]!);
    if (lines[i] !== "{" && !cxx) continue;
    const end = lines.findIndex((line, j) => j > i && line === "}");
    if (end < 0) throw new Error(`line ${i + 1}: no closing brace`);
    // The name: the last identifier before "(" in the signature lines above the brace (or on its line).
    let signature = cxx ? lines[i]! : "";
    for (let j = i - 1; !cxx && j >= 0 && lines[j] !== "" && !lines[j]!.startsWith("}") && !lines[j]!.endsWith("*/"); j--) {
      signature = `${lines[j]} ${signature}`;
    }
    const name = /(\w+)\s*\(/.exec(signature)?.[1] ?? `(unnamed at line ${i + 1})`;
    out.push({ name, line: i + 1, bodyLines: end - i - 1 });
    i = end;
  }
  return out;
}

describe("C and C++ functions in native/", () => {
  const files = cFiles(join(root, "native"));
  const functions = files.flatMap((file) =>
    functionsOf(readFileSync(file, "utf8")).map((fn) => ({ ...fn, file: relative(root, file) })),
  );

  it("finds the module's functions", () => {
    const names = new Set(functions.map((fn) => fn.name));
    for (const name of ["anp_decode", "anp_worker_start", "anp_rpc_call", "anp_conn_read_frame", "anp_fold_permission_line", "PeerCredentials", "Encode"]) {
      expect(names.has(name), name).toBe(true);
    }
    expect(functions.length).toBeGreaterThan(100);
  });

  it(`has none longer than ${MAX_BODY_LINES} lines`, () => {
    const long = functions.filter((fn) => fn.bodyLines > MAX_BODY_LINES).map((fn) => `${fn.file}:${fn.line} ${fn.name} (${fn.bodyLines} lines)`);
    expect(long).toEqual([]);
  });

  it("would notice one", () => {
    const body = Array.from({ length: MAX_BODY_LINES + 1 }, (_, i) => `    x += ${i};`).join("\n");
    const text = `/* a comment */\nstatic int too_long(int x)\n{\n${body}\n}\n\nint short_one(void)\n{\n    return 0;\n}\n`;
    expect(functionsOf(text)).toEqual([
      { name: "too_long", line: 3, bodyLines: MAX_BODY_LINES + 1 },
      { name: "short_one", line: MAX_BODY_LINES + 8, bodyLines: 1 },
    ]);
    const cxx = `Napi::Value TooLong(const Napi::CallbackInfo &info) {\n${body}\n}\n`;
    expect(functionsOf(cxx)).toEqual([{ name: "TooLong", line: 1, bodyLines: MAX_BODY_LINES + 1 }]);
  });
});
