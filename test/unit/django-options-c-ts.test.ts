// NodeAuthDjangoOption's table, held together on both sides: the keys of native/mod/config.c's django_options[],
// the keys the Django handler reads (src/django/config.ts, user-model.ts) and the keys of
// test/vectors/django-options.json must be the same set, and every vector goes through the handler's own checks
// (createDjangoHandler, as the worker makes a handler from its spec), accepted or refused with the vector's message.
// test/e2e/configtest-refusals.test.ts runs the same vectors through apache2 -t, so configtest refuses exactly what
// the worker would refuse, in the same words.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createDjangoHandler } from "../../src/django/handler.js";
import { SETTINGS_KEYS } from "../../src/django/config.js";
import { MAPPING_SPEC_KEYS } from "../../src/django/user-model.js";
import { DJANGO_VERSIONS, ALGORITHMS } from "../../src/django/hashers/index.js";
import { loadDjangoOptionVectors, type DjangoOptionVectors } from "../support/django-option-vectors.js";

const vectors: DjangoOptionVectors = loadDjangoOptionVectors();
const configC = readFileSync(new URL("../../native/mod/config.c", import.meta.url), "utf8");

/** The keys of config.c's django_options[] table, read from its source as protocol-constants.test.ts reads headers. */
function cTableKeys(source: string): string[] {
  const table = /static const anp_django_option django_options\[\] = \{([\s\S]*?)\n\};/.exec(source);
  if (!table) throw new Error("django_options[] not found in native/mod/config.c");
  return [...(table[1] as string).matchAll(/\{"([a-z_]+)", ANP_OPT_/g)].map((m) => m[1] as string);
}

/** The strings of a `static const char *const name[] = {"a", "b", ..., NULL};` array in config.c. */
function cStrings(source: string, name: string): string[] {
  const array = new RegExp(`static const char \\*const ${name}\\[\\] = \\{([^}]*)\\}`).exec(source);
  if (!array) throw new Error(`${name}[] not found in native/mod/config.c`);
  return [...(array[1] as string).matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
}

/** The text of a string macro in config.c, its adjacent literals joined. */
function cMacro(source: string, name: string): string {
  const macro = new RegExp(`#define ${name} ((?:"[^"]*"\\s*(?:\\\\\\n\\s*)?)+)`).exec(source);
  if (!macro) throw new Error(`${name} not found in native/mod/config.c`);
  return [...(macro[1] as string).matchAll(/"([^"]*)"/g)].map((m) => m[1]).join("");
}

/** What the worker says making a handler with `key=value` in its spec: null when it accepts. */
async function workerVerdict(key: string, value: string): Promise<string | null> {
  // SQLite opens on the first query, so making the handler runs every check of the spec and nothing else.
  const spec = { type: "django", database: "sqlite:///nonexistent/anp-option-check.sqlite3", [key]: value };
  try {
    const handler = createDjangoHandler(spec, { log: () => {} });
    await handler.close();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const sorted = (keys: Iterable<string>) => [...new Set(keys)].sort();
const tsKeys = sorted([...SETTINGS_KEYS, ...Object.values(MAPPING_SPEC_KEYS)]);
const moduleKeys = vectors.moduleKeys.map((k) => k.key);

describe("NodeAuthDjangoOption keys: config.c, the Django handler and the vectors agree", () => {
  it("config.c's table has the keys the handler reads, except those the module writes itself", () => {
    expect(sorted(cTableKeys(configC))).toEqual(tsKeys.filter((k) => !moduleKeys.includes(k)));
  });

  it("the vectors cover every key of config.c's table, and only those", () => {
    expect(sorted(Object.keys(vectors.options))).toEqual(sorted(cTableKeys(configC)));
  });

  it("the module's own keys are keys the handler reads", () => {
    for (const key of moduleKeys) expect(tsKeys).toContain(key);
  });

  it("the key comparison fails when a key is on one side only", () => {
    // Guards the guard: a table with one key more, or one less, is not equal.
    const extra = configC.replace('{"verified_cache", ANP_OPT_FLAG, 0, 0},', '{"verified_cache", ANP_OPT_FLAG, 0, 0},\n    {"x_key", ANP_OPT_FLAG, 0, 0},');
    const fewer = configC.replace('{"verified_cache", ANP_OPT_FLAG, 0, 0},', "");
    const want = tsKeys.filter((k) => !moduleKeys.includes(k));
    expect(sorted(cTableKeys(extra))).not.toEqual(want);
    expect(sorted(cTableKeys(fewer))).not.toEqual(want);
  });

  it("lists every Django version and every hasher the handler knows among the accepted values", () => {
    expect(sorted(vectors.options["django_version"]?.accepts ?? [])).toEqual(sorted(DJANGO_VERSIONS));
    const named = (vectors.options["hashers"]?.accepts ?? []).flatMap((value) => value.split(",").map((name) => name.trim()));
    expect(sorted(named)).toEqual(sorted(ALGORITHMS));
  });

  it("config.c knows the handler's Django versions and hashers, in the handler's order for its messages", () => {
    expect(cStrings(configC, "django_versions")).toEqual([...DJANGO_VERSIONS]);
    expect(cStrings(configC, "hasher_names")).toEqual([...ALGORITHMS]);
    expect(cMacro(configC, "ANP_DJANGO_VERSIONS_TEXT")).toBe(DJANGO_VERSIONS.join(", "));
    expect(cMacro(configC, "ANP_HASHER_NAMES_TEXT")).toBe(ALGORITHMS.join(", "));
  });
});

describe("the Django handler's checks against test/vectors/django-options.json", () => {
  const accepts = Object.entries(vectors.options).flatMap(([key, o]) => o.accepts.map((value) => [key, value] as const));
  const refuses = Object.entries(vectors.options).flatMap(([key, o]) => o.refuses.map((r) => [key, r.value, r.message] as const));

  it.each(accepts)("accepts %s %j", async (key, value) => {
    expect(await workerVerdict(key, value)).toBeNull();
  });

  it.each(refuses)("refuses %s %j", async (key, value, message) => {
    expect(await workerVerdict(key, value)).toBe(`django handler: ${message}`);
  });

  it.each(vectors.unknownKeys.map((u) => [u.key, u.message] as const))("refuses the unknown key %s", async (key, message) => {
    expect(await workerVerdict(key, "x")).toBe(`django handler: ${message}`);
  });
});
