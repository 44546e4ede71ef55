// Every log id the module uses (ANPLOGNO(nnnn) in native/mod/) has a row in docs/module.md's
// "Log messages" table, and every row names an id the module still uses: ids are stable, so a filter
// written against the table keeps working, and a removed message leaves no stale row behind.
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

function idsInTable(): string[] {
  const doc = readFileSync(join(root, "docs/module.md"), "utf8");
  const section = doc.slice(doc.indexOf("## Log messages"), doc.indexOf("\n## ", doc.indexOf("## Log messages") + 1));
  return [...section.matchAll(/^\| `(ANP\d{4})` \|/gm)].map((match) => match[1] as string);
}

describe("log ids", () => {
  it("docs/module.md's table lists each id the module uses, once, and no other", () => {
    const table = idsInTable();
    expect(new Set(table).size).toBe(table.length);
    expect([...table].sort()).toEqual([...idsInSource()].sort());
  });

  it("finds ids in the source and rows in the table (the scan itself works)", () => {
    expect(idsInSource().size).toBeGreaterThan(50);
    expect(idsInTable()).toContain("ANP0502");
  });
});
