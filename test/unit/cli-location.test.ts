// The CLI's reading of httpd's DUMP_CONFIG (src/cli/config-tree.ts) and its location walk and merge
// (src/cli/location.ts), on real `apache2 -t -D DUMP_CONFIG` output captured from
// test/fixtures/dump-config/nested-locations.conf, and on small trees for each merge and match rule.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliUsageError } from "../../src/errors.js";
import { confWords, parseDumpConfig, type ConfigSection } from "../../src/cli/config-tree.js";
import { djangoSpecAt, effectiveSettings, globRegExp, locationMatches, mergeSettings, ownSettings, UNSET } from "../../src/cli/location.js";
import { djangoSections } from "../../src/cli/doctor-database.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/dump-config");
const dump = readFileSync(join(FIXTURE, "nested-locations.dump.txt"), "utf8");
const CONF = "/tmp/anp-dump-fixture/httpd.conf";
const tree = parseDumpConfig(dump);

/** A DUMP_CONFIG-shaped text from lines (no file:line comments). */
const treeOf = (...lines: string[]): ConfigSection => parseDumpConfig(lines.join("\n"));
const spec = (path: string, host?: string): Record<string, string> => djangoSpecAt(tree, path, host);

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return (error as Error).message;
  }
  throw new Error("expected a CliUsageError");
}

describe("DUMP_CONFIG reader", () => {
  it("reads real output into sections with their directives and file:line", () => {
    expect(tree.sections.map((s) => [s.kind, s.words, s.line])).toEqual([
      ["Location", ["/"], 18],
      ["Location", ["/a"], 22],
      ["LocationMatch", ["^/a/b(/|$)"], 33],
      ["Location", ["/a/b"], 36],
      ["Location", ["/files/*.txt"], 39],
      ["Directory", ["/tmp/anp-dump-fixture/private"], 42],
      ["VirtualHost", ["127.0.0.1:65019"], 47],
    ]);
    const a = tree.sections[1] as ConfigSection;
    expect(a.file).toBe(CONF);
    expect(a.directives.map((d) => [d.name, d.words, d.line])).toEqual([
      ["AuthType", ["Basic"], 23],
      ["AuthName", ["Members only"], 24],
      ["AuthBasicProvider", ["node"], 25],
      ["NodeAuthDjangoOption", ["hashers", "pbkdf2_sha256,md5"], 26],
      ["NodeAuthDjangoOption", ["is_staff_column", ""], 27],
    ]);
    expect(a.sections.map((s) => [s.kind, s.directives.map((d) => d.raw)])).toEqual([["RequireAll", ["valid-user", "node-group agents"]]]);
    const directory = tree.sections[5] as ConfigSection;
    expect(directory.sections[0]?.header).toBe('<Files "secret.txt">');
    const vhost = tree.sections[6] as ConfigSection;
    expect(vhost.directives.map((d) => d.name)).toEqual(["ServerName", "ServerAlias"]);
    expect(vhost.sections.map((s) => s.kind)).toEqual(["Location", "If"]);
    expect(tree.directives.find((d) => d.name === "User")).toMatchObject({ words: ["www-data"], file: CONF, line: 7 });
  });

  it("splits words as ap_getword_conf: quotes, escaped quotes, empty words", () => {
    expect(confWords(`a "b c" 'd e' "" x"y`)).toEqual(["a", "b c", "d e", "", 'x"y']);
    expect(confWords(String.raw`"a \"q\" \n"`)).toEqual([String.raw`a "q" \n`]);
    expect(confWords("  ")).toEqual([]);
  });

  it("skips what is not configuration (httpd's own messages)", () => {
    const t = treeOf("[Sun Dec 06 06:05:19 2026] [authnz_node:crit] x", "AH00014: x", "<Location /x>", "NodeAuthDjangoOption django_version 4.2", "</Location>");
    expect(t.directives.map((d) => d.name)).toEqual(["AH00014:"]);
    expect(t.sections[0]?.directives.map((d) => d.words)).toEqual([["django_version", "4.2"]]);
  });
});

describe("merge: anp_merge_dir_conf's rules", () => {
  const own = (...lines: string[]) => ownSettings(treeOf("<Location /x>", ...lines, "</Location>").sections[0] as ConfigSection);
  const values = (s: ReturnType<typeof own>) => ({
    database: s.database?.value ?? null,
    options: Object.fromEntries([...s.options].map(([k, v]) => [k, v.value])),
    user: s.userScript?.value ?? null,
    group: s.groupScript?.value ?? null,
  });

  it("an unset field is inherited", () => {
    const outer = own('NodeAuthDjangoDatabase "sqlite:///a.db"', "NodeAuthDjangoOption django_version 4.2");
    expect(values(mergeSettings(outer, UNSET))).toEqual({ database: "sqlite:///a.db", options: { django_version: "4.2" }, user: null, group: null });
    expect(values(mergeSettings(UNSET, outer))).toEqual(values(outer));
  });

  it("NodeAuthDjangoDatabase: the inner section's wins", () => {
    const merged = mergeSettings(own("NodeAuthDjangoDatabase sqlite:///outer.db"), own("NodeAuthDjangoDatabase sqlite:///inner.db"));
    expect(merged.database?.value).toBe("sqlite:///inner.db");
  });

  it("NodeAuthDjangoOption: key by key, the inner value wins, an empty value is a value", () => {
    const merged = mergeSettings(own("NodeAuthDjangoOption django_version 4.2", "NodeAuthDjangoOption is_staff_column is_staff"), own('NodeAuthDjangoOption is_staff_column ""', "NodeAuthDjangoOption hashers md5"));
    expect(values(merged).options).toEqual({ django_version: "4.2", is_staff_column: "", hashers: "md5" });
  });

  it("handler scripts: the inner section's wins, and an unset one is inherited", () => {
    const merged = mergeSettings(own("NodeAuthUserScript /srv/outer.js", "NodeAuthGroupScript /srv/groups.js"), own("NodeAuthUserScript /srv/inner.js reload=on"));
    expect(values(merged)).toMatchObject({ user: "/srv/inner.js reload=on", group: "/srv/groups.js" });
  });

  it("lines inside <RequireAll>/<Limit> belong to the enclosing section; an <If> inside does not", () => {
    const s = treeOf("<Location /x>", "<Limit GET>", "NodeAuthDjangoOption django_version 3.2", "</Limit>", "<If \"true\">", "NodeAuthDjangoOption hashers md5", "</If>", "</Location>");
    expect(values(ownSettings(s.sections[0] as ConfigSection)).options).toEqual({ django_version: "3.2" });
  });

  it("each value keeps where it was set", () => {
    expect(spec("/a/b")).toBeDefined();
    const { settings, applied } = effectiveSettings(tree, "/a/b");
    expect(settings.database?.where).toBe(`${CONF}:19`);
    expect(settings.options.get("django_version")?.where).toBe(`${CONF}:34`);
    expect(applied).toEqual([`<Location "/"> (${CONF}:18)`, `<Location /a> (${CONF}:22)`, `<LocationMatch "^/a/b(/|$)"> (${CONF}:33)`, `<Location /a/b> (${CONF}:36)`]);
  });
});

describe("location walk: which sections match", () => {
  const loc = (header: string): ConfigSection => treeOf(header, header.replace(/^<(\S+).*$/, "</$1>")).sections[0] as ConfigSection;

  it("a plain path matches whole segments, a trailing slash a prefix", () => {
    expect(locationMatches(loc("<Location /a>"), "/a")).toBe(true);
    expect(locationMatches(loc("<Location /a>"), "/a/b")).toBe(true);
    expect(locationMatches(loc("<Location /a>"), "/ab")).toBe(false);
    expect(locationMatches(loc("<Location /a/>"), "/a")).toBe(false);
    expect(locationMatches(loc("<Location /a/>"), "/a/x")).toBe(true);
    expect(locationMatches(loc("<Location />"), "/anything")).toBe(true);
    expect(locationMatches(loc("<Location /a>"), "//a//b")).toBe(true);
  });

  it("wildcards are fnmatch with FNM_PATHNAME: they do not cross a slash, and match the whole path", () => {
    expect(locationMatches(loc("<Location /files/*.txt>"), "/files/x.txt")).toBe(true);
    expect(locationMatches(loc("<Location /files/*.txt>"), "/files/d/x.txt")).toBe(false);
    expect(locationMatches(loc("<Location /files/*>"), "/files/x/y")).toBe(false);
    expect(globRegExp("/f/[!a]?").test("/f/bc")).toBe(true);
    expect(globRegExp("/f/[!a]?").test("/f/ac")).toBe(false);
  });

  it("<LocationMatch> and <Location ~> search the path with the regular expression", () => {
    expect(locationMatches(loc('<LocationMatch "^/a/b(/|$)">'), "/a/b/c")).toBe(true);
    expect(locationMatches(loc('<LocationMatch "^/a/b(/|$)">'), "/a/bc")).toBe(false);
    expect(locationMatches(loc('<Location ~ "\\.php$">'), "/x/y.php")).toBe(true);
    expect(locationMatches(loc('<LocationMatch "/private">'), "/x/private/y")).toBe(true);
  });

  it("PCRE syntax JavaScript reads otherwise is refused, not guessed", () => {
    expect(usageError(() => locationMatches(loc('<LocationMatch "\\A/x">'), "/x"))).toMatch(/PCRE syntax this command does not evaluate/);
    expect(usageError(() => locationMatches(loc('<LocationMatch "(?i)/x">'), "/X"))).toMatch(/PCRE/);
    expect(usageError(() => locationMatches(loc('<LocationMatch "/x++">'), "/x"))).toMatch(/PCRE/);
  });
});

describe("effective settings of the captured configuration", () => {
  it("/a/b: the database from /, options from /a, overrides from the LocationMatch and /a/b", () => {
    expect(spec("/a/b")).toEqual({ database: "sqlite:///tmp/anp-dump-fixture/site.sqlite3", django_version: "3.2", hashers: "pbkdf2_sha256", is_staff_column: "" });
    expect(spec("/a/b/c")).toEqual(spec("/a/b"));
  });

  it("/a, /ab and the wildcard section", () => {
    expect(spec("/a/x")).toEqual({ database: "sqlite:///tmp/anp-dump-fixture/site.sqlite3", django_version: "4.2", hashers: "pbkdf2_sha256,md5", is_staff_column: "" });
    expect(spec("/ab")).toEqual({ database: "sqlite:///tmp/anp-dump-fixture/site.sqlite3", django_version: "4.2" });
    expect(spec("/files/x.txt").django_version).toBe("5.2");
    expect(spec("/files/d/x.txt").django_version).toBe("4.2");
  });

  it("--host: the main server's sections first, then the virtual host's (ServerName or ServerAlias, with a port)", () => {
    const inVhost = { database: "sqlite:///tmp/anp-dump-fixture/other.sqlite3", django_version: "3.2", hashers: "pbkdf2_sha256", is_staff_column: "" };
    expect(spec("/a/b", "v.example")).toEqual(inVhost);
    expect(spec("/a/b", "V.Example:65019")).toEqual(inVhost);
    expect(spec("/a/b", "www.v.example")).toEqual(inVhost);
    expect(spec("/ab", "v.example").database).toBe("sqlite:///tmp/anp-dump-fixture/site.sqlite3");
    expect(usageError(() => spec("/a", "v.example:80"))).toMatch(/no <VirtualHost> has that ServerName or ServerAlias on that port/);
    expect(usageError(() => spec("/a", "nowhere.example"))).toMatch(/--host nowhere.example: no <VirtualHost>/);
  });

  it("a location no NodeAuthDjangoDatabase reaches: refused, naming it", () => {
    const t = treeOf("<Location /x>", "NodeAuthDjangoOption django_version 4.2", "</Location>");
    expect(usageError(() => djangoSpecAt(t, "/x"))).toBe("--location /x: no NodeAuthDjangoDatabase applies to this location");
    expect(usageError(() => djangoSpecAt(t, "/y", undefined))).toMatch(/--location \/y: no NodeAuthDjangoDatabase/);
    expect(usageError(() => djangoSpecAt(t, "x"))).toMatch(/must be a URL path starting with \//);
  });

  it("a handler script in effect: refused (only the built-in Django handler is checked)", () => {
    const t = treeOf("<Location />", "NodeAuthDjangoDatabase sqlite:///a.db", "</Location>", "<Location /x>", "NodeAuthGroupScript /srv/groups.js", "</Location>");
    expect(usageError(() => djangoSpecAt(t, "/x/y"))).toMatch(/--location \/x\/y: a handler script is configured .*only the built-in Django handler/);
    expect(djangoSpecAt(t, "/z")).toEqual({ database: "sqlite:///a.db" });
  });

  it("handler directives in sections not evaluated (<Directory>, <Files>, <If>, inside a <Location>): refused, naming each", () => {
    const kinds = [
      ["<Directory /srv>", "</Directory>"],
      ['<DirectoryMatch "^/srv">', "</DirectoryMatch>"],
      ["<Files x>", "</Files>"],
      ["<FilesMatch x>", "</FilesMatch>"],
      ['<If "true">', "</If>"],
    ];
    for (const [open, close] of kinds) {
      const t = treeOf("<Location />", "NodeAuthDjangoDatabase sqlite:///a.db", "</Location>", open as string, "NodeAuthDjangoOption django_version 3.2", close as string);
      expect(usageError(() => djangoSpecAt(t, "/"))).toMatch(new RegExp(`NodeAuth handler directives in <${(open as string).slice(1).split(/[\s>]/)[0] as string}>.*only <Location> and <LocationMatch> sections are evaluated`));
    }
    const nested = treeOf("<Location />", "NodeAuthDjangoDatabase sqlite:///a.db", '<If "true">', "NodeAuthDjangoOption django_version 3.2", "</If>", "</Location>");
    expect(usageError(() => djangoSpecAt(nested, "/"))).toMatch(/<If>/);
    // Such a section in another virtual host does not matter to the main server's requests, nor one without NodeAuth lines.
    const other = treeOf("<Location />", "NodeAuthDjangoDatabase sqlite:///a.db", "</Location>", "<Directory /srv>", "Require all denied", "</Directory>", "<VirtualHost *:80>", "ServerName o", "<If \"true\">", "NodeAuthDjangoOption django_version 3.2", "</If>", "</VirtualHost>");
    expect(djangoSpecAt(other, "/")).toEqual({ database: "sqlite:///a.db" });
    expect(usageError(() => djangoSpecAt(other, "/", "o"))).toMatch(/<If>/);
  });
});

describe("doctor's sections: merged settings", () => {
  it("each section that sets a handler directive, with what the walk merges for its path", () => {
    expect(djangoSections(dump).map(({ section, spec: s, file }) => [section, s.database, s.django_version, s.hashers, file])).toEqual([
      ['<Location "/">', "sqlite:///tmp/anp-dump-fixture/site.sqlite3", "4.2", undefined, CONF],
      ["<Location /a>", "sqlite:///tmp/anp-dump-fixture/site.sqlite3", "4.2", "pbkdf2_sha256,md5", null],
      // A regular expression names no one path: its own lines only, and it has no database.
      ["<Location /a/b>", "sqlite:///tmp/anp-dump-fixture/site.sqlite3", "3.2", "pbkdf2_sha256", null],
      // A wildcard likewise.
      ["<Location /a>", "sqlite:///tmp/anp-dump-fixture/other.sqlite3", "4.2", "pbkdf2_sha256,md5", CONF],
    ]);
  });
});
