// Every log id the module uses (ANPLOGNO(nnnn) in native/mod/) and every id the worker uses (ANP06nn in
// src/, each at exactly one call site) has a row in docs/module.md's "Log messages" section, and every row
// names an id still in use: ids are stable, so a filter written against the table keeps working, and a
// removed message leaves no stale row behind.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "../..");

function idsInSource(): Set<string> {
  const dir = join(root, "native/mod");
  const ids = new Set<string>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".c"))) {
    for (const match of readFileSync(join(dir, file), "utf8").matchAll(/ANPLOGNO\((\d{4})\)/g)) ids.add(`ANP${match[1]}`);
  }
  return ids;
}

/** Every ANP06nn in src/, one entry per occurrence (so a reused id shows up twice). */
function workerIdUses(): string[] {
  const files = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".ts"));
  return files.flatMap((file) => [...readFileSync(join(root, "src", file), "utf8").matchAll(/\bANP06\d\d\b/g)].map((match) => match[0]));
}

function idsInTable(): string[] {
  const doc = readFileSync(join(root, "docs/module.md"), "utf8");
  const section = doc.slice(doc.indexOf("## Log messages"), doc.indexOf("\n## ", doc.indexOf("## Log messages") + 1));
  return [...section.matchAll(/^\| `(ANP\d{4})` \|/gm)].map((match) => match[1] as string);
}

describe("log ids", () => {
  it("docs/module.md's table lists each id the module uses, once, and no other", () => {
    const table = idsInTable().filter((id) => !id.startsWith("ANP06"));
    expect(new Set(table).size).toBe(table.length);
    expect([...table].sort()).toEqual([...idsInSource()].sort());
  });

  it("each worker id is used at one place in src/ only, and the table lists each, once, and no other", () => {
    const uses = workerIdUses();
    expect(uses.filter((id, i) => uses.indexOf(id) !== i)).toEqual([]);
    const table = idsInTable().filter((id) => id.startsWith("ANP06"));
    expect(new Set(table).size).toBe(table.length);
    expect([...table].sort()).toEqual([...uses].sort());
  });

  it("finds ids in the source and rows in the table (the scan itself works)", () => {
    expect(idsInSource().size).toBeGreaterThan(50);
    expect(workerIdUses()).toContain("ANP0601");
    expect(workerIdUses()).toContain("ANP0690");
    expect(idsInTable()).toContain("ANP0502");
  });
});
