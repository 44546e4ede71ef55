// docs/directives.md and httpd-conf/authnz_node.conf against the module's command tables: every
// AP_INIT_* entry in native/mod/ (config.c's table and the macros it includes) has one entry in the
// directives page, whose Syntax takes the arguments httpd will hand the setter, whose Context is where httpd
// (and the setter's GLOBAL_ONLY check) lets it stand, whose Override is the one that allows it in
// .htaccess, and whose Default is the one the help string names; and the shipped configuration file
// mentions every directive where an admin would put it. Adding, renaming or moving a directive without
// its documentation fails here.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const moduleDir = join(root, "native/mod");

interface Directive {
  readonly name: string;
  readonly kind: string;
  readonly setter: string;
  readonly flags: readonly string[];
  readonly help: string;
}

/** The C sources of the module, with line continuations joined (the throttle table is a macro). */
function sources(): Map<string, string> {
  const files = new Map<string, string>();
  for (const file of readdirSync(moduleDir).filter((name) => /\.[ch]$/.test(name))) {
    files.set(file, readFileSync(join(moduleDir, file), "utf8").replace(/\\\n/g, "\n"));
  }
  return files;
}

function unquote(literals: string): string {
  return [...literals.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1] as string).join("");
}

function commandTables(): Directive[] {
  const all = [...sources().values()].join("\n");
  const names = new Map([...all.matchAll(/#define\s+(ANP_DIRECTIVE_\w+)\s+"([^"]+)"/g)].map((m) => [m[1] as string, m[2] as string]));
  const entry = /AP_INIT_(\w+)\(\s*("[^"]+"|\w+)\s*,\s*(\w+)\s*,\s*[^,]+,\s*([\w|\s]+?)\s*,((?:\s*"(?:[^"\\]|\\.)*")+)\s*\)/g;
  return [...all.matchAll(entry)].map((m) => {
    const rawName = m[2] as string;
    const name = rawName.startsWith('"') ? rawName.slice(1, -1) : names.get(rawName);
    if (!name) throw new Error(`no #define for ${rawName}`);
    return { name, kind: m[1] as string, setter: m[3] as string, flags: (m[4] as string).split("|").map((f) => f.trim()), help: unquote(m[5] as string) };
  });
}

/** Whether the setter refuses to run outside the main server (ap_check_cmd_context(cmd, GLOBAL_ONLY)). */
function globalOnly(setter: string): boolean {
  for (const text of sources().values()) {
    const start = text.search(new RegExp(`^(?:static )?const char \\*${setter}\\(`, "m"));
    if (start < 0) continue;
    const body = text.slice(start, text.indexOf("\n}", start));
    return /ap_check_cmd_context\(cmd, GLOBAL_ONLY\)/.test(body);
  }
  throw new Error(`setter ${setter} not found in native/mod/`);
}

const OVERRIDES: Record<string, string> = { OR_AUTHCFG: "AuthConfig", OR_LIMIT: "Limit", OR_OPTIONS: "Options", OR_FILEINFO: "FileInfo", OR_INDEXES: "Indexes" };

function expectedContext(d: Directive): string {
  const contexts: string[] = [];
  if (d.flags.includes("RSRC_CONF")) contexts.push("server config", ...(globalOnly(d.setter) ? [] : ["virtual host"]));
  const overrides = d.flags.filter((f) => f.startsWith("OR_"));
  if (d.flags.includes("ACCESS_CONF") || overrides.length > 0) contexts.push("directory");
  if (overrides.length > 0) contexts.push(".htaccess");
  return contexts.join(", ");
}

function expectedOverride(d: Directive): string {
  const overrides = d.flags.filter((f) => f.startsWith("OR_")).map((f) => OVERRIDES[f] ?? f);
  return overrides.length > 0 ? overrides.join(", ") : "none";
}

const FIELDS = ["Description", "Syntax", "Default", "Context", "Override", "Module"];

/** docs/directives.md's entries: "## Name directive", then the field table. */
function docEntries(): Map<string, Record<string, string>> {
  const doc = readFileSync(join(root, "docs/directives.md"), "utf8");
  const entries = new Map<string, Record<string, string>>();
  for (const section of doc.split(/^## /m).slice(1)) {
    const heading = /^(\S+) directive\n/.exec(section);
    if (!heading) throw new Error(`not an entry: ## ${section.slice(0, 40)}`);
    const fields: Record<string, string> = {};
    for (const row of section.matchAll(/^\| (\w+): \| (.*) \|$/gm)) fields[row[1] as string] = (row[2] as string).replace(/\\\|/g, "|");
    expect(Object.keys(fields), heading[1]).toEqual(FIELDS);
    expect(entries.has(heading[1] as string), `${heading[1]} twice`).toBe(false);
    entries.set(heading[1] as string, fields);
  }
  return entries;
}

/** The argument words of a Syntax field: `Name a [b] ...` gives required [a], optional [b], repeated. */
function syntaxArguments(syntax: string, name: string): { required: number; optional: number; repeated: boolean; words: string[] } {
  const code = /^`([^`]+)`$/.exec(syntax)?.[1];
  if (!code?.startsWith(`${name} `) && code !== name) throw new Error(`${name}: Syntax ${syntax} does not start with the name`);
  const words = code.slice(name.length).trim().split(/\s+/).filter(Boolean);
  const repeated = words.at(-1) === "...";
  const args = repeated ? words.slice(0, -1) : words;
  const optional = args.filter((w) => w.startsWith("[")).length;
  return { required: args.length - optional, optional, repeated, words: args };
}

function checkSyntax(d: Directive, syntax: string): void {
  const s = syntaxArguments(syntax, d.name);
  const shape = `${d.name}: AP_INIT_${d.kind} but Syntax ${syntax}`;
  switch (d.kind) {
    case "TAKE1": expect([s.required, s.optional, s.repeated], shape).toEqual([1, 0, false]); break;
    case "TAKE2": expect([s.required, s.optional, s.repeated], shape).toEqual([2, 0, false]); break;
    case "TAKE12": expect([s.required, s.optional, s.repeated], shape).toEqual([1, 1, false]); break;
    case "ITERATE": expect([s.required, s.optional, s.repeated], shape).toEqual([1, 1, true]); break;
    case "FLAG": expect(s.words, shape).toEqual(["On|Off"]); break;
    case "NO_ARGS": expect(s.words, shape).toEqual([]); break;
    case "RAW_ARGS": expect(s.required, shape).toBeGreaterThan(0); break;
    default: throw new Error(`${shape}: a kind this test does not know`);
  }
}

/** The default a help string names as a value ("default 5s", "default On", "(default off)", "(default 0, off)"). */
function helpDefault(help: string): string | undefined {
  return /\bdefault:? (\d+m?s?|on|off)\b/i.exec(help)?.[1];
}

describe("docs/directives.md against the command tables", () => {
  const table = commandTables();
  const entries = docEntries();

  it("reads the tables (the scan itself works)", () => {
    expect(table.length).toBeGreaterThan(20);
    expect(table.find((d) => d.name === "NodeAuthUserScript")).toMatchObject({ kind: "TAKE12", flags: ["ACCESS_CONF"] });
    expect(table.find((d) => d.name === "NodeAuthThrottleBackoff")).toMatchObject({ kind: "TAKE2", flags: ["RSRC_CONF"] });
    expect(expectedContext(table.find((d) => d.name === "NodeAuthTimeout") as Directive)).toBe("server config, virtual host");
    expect(expectedContext(table.find((d) => d.name === "NodeAuthSocket") as Directive)).toBe("server config");
  });

  it("has one entry per directive, and no other", () => {
    expect([...entries.keys()].sort()).toEqual(table.map((d) => d.name).sort());
  });

  it.each(table.map((d) => [d.name, d] as const))("%s: Syntax, Context, Override, Default, Module", (name, d) => {
    const fields = entries.get(name);
    if (!fields) throw new Error(`${name} has no entry in docs/directives.md`);
    checkSyntax(d, fields["Syntax"] as string);
    expect(fields["Context"], `${name}: Context`).toBe(expectedContext(d));
    expect(fields["Override"], `${name}: Override`).toBe(expectedOverride(d));
    expect(fields["Module"]).toBe("mod_authnz_node");
    expect(fields["Description"]?.length).toBeGreaterThan(10);
    const value = helpDefault(d.help);
    if (value) expect(fields["Default"], `${name}: the help string says default ${value}`).toMatch(new RegExp(`^\`${name} ${value}\\b`, "i"));
  });
});

/** The lines of a configuration file between an opening and a closing line (commented or not). */
function block(lines: readonly string[], open: RegExp, close: RegExp): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (open.test(line)) inside = true;
    else if (close.test(line)) inside = false;
    else if (inside) out.push(line);
  }
  return out;
}

describe("httpd-conf/authnz_node.conf against the command tables", () => {
  const lines = readFileSync(join(root, "httpd-conf/authnz_node.conf"), "utf8").split("\n");
  const table = commandTables();
  // A directive line, commented once (a default) or twice (an alternative inside the commented example).
  const mentions = (within: readonly string[], name: string) => within.some((line) => new RegExp(`^\\s*(?:#\\s*){0,2}${name}\\s`).test(line));

  it.each(table.filter((d) => d.flags.includes("RSRC_CONF")).map((d) => [d.name] as const))(
    "%s (server-wide) stands, commented, in <IfModule authnz_node_module>",
    (name) => {
      expect(mentions(block(lines, /^<IfModule authnz_node_module>/, /^<\/IfModule>/), name)).toBe(true);
    },
  );

  it.each(table.filter((d) => d.flags.includes("ACCESS_CONF")).map((d) => [d.name] as const))(
    "%s (per directory) stands in a commented <Location> example",
    (name) => {
      expect(mentions(block(lines, /^\s*#\s*<Location /, /^\s*#\s*<\/Location>/), name)).toBe(true);
    },
  );
});
