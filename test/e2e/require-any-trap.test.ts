// The RequireAny trap: Django's documented group configuration puts `Require group X` bare next to
// `Require valid-user`. On Apache 2.4 the bare Require lines of a section are one RequireAny, so every
// valid user gets in. The module warns (ANP0108, naming the file and line) at `apache2 -t` and at start,
// and does not refuse: it is valid Apache. Real `apache2 -t` on a configuration file of known lines for
// each section form, then a real Apache with a Django database made by real Django, where bob (not in
// the group) gets 200 under the trap and 401 under <RequireAll>: the warning tells the truth.
import { test, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRequiring } from "../support/optional.js";
import { configTest, startApache, printErrorLogOnFailure, nodeModuleBuilt, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { seedDjango, type UserSpec } from "../fixtures/use-cases/django.js";
import { basicLocation } from "../support/httpd-conf.js";

const AUTH = ["AuthType Basic", 'AuthName "trap"', "AuthBasicProvider node", "NodeAuthDjangoDatabase sqlite:///var/lib/anp/db.sqlite3"];

/**
 * One section per case, each written at a known line of an included file. `trap` names the Require line
 * the warning must point at (by its text), or null when none may be warned about.
 */
interface Case {
  readonly name: string;
  readonly lines: readonly string[];
  readonly trap: string | null;
  /** The text the warning names the section by. */
  readonly section?: string;
}

const CASES: readonly Case[] = [
  { name: "Location, node-group", section: '<Location "/loc">', trap: "Require node-group agents", lines: ['<Location "/loc">', ...AUTH, "Require valid-user", "Require node-group agents", "</Location>"] },
  { name: "Directory, group", section: '<Directory "/srv/dir">', trap: "Require group agents", lines: ['<Directory "/srv/dir">', ...AUTH, "Require group agents", "Require valid-user", "</Directory>"] },
  { name: "LocationMatch, node-permission", section: '<LocationMatch "^/perm">', trap: "Require node-permission files.view_file", lines: ['<LocationMatch "^/perm">', ...AUTH, "Require valid-user", "Require node-permission files.view_file", "</LocationMatch>"] },
  { name: "DirectoryMatch", section: '<DirectoryMatch "^/srv/dm">', trap: "Require group agents", lines: ['<DirectoryMatch "^/srv/dm">', ...AUTH, "Require valid-user", "Require group agents", "</DirectoryMatch>"] },
  { name: "Files", section: '<Files "secret.txt">', trap: "Require node-group agents", lines: ['<Files "secret.txt">', ...AUTH, "Require valid-user", "Require node-group agents", "</Files>"] },
  { name: "FilesMatch", section: '<FilesMatch "[.]pdf$">', trap: "Require group agents", lines: ['<FilesMatch "[.]pdf$">', ...AUTH, "Require valid-user", "Require group agents", "</FilesMatch>"] },
  { name: "If", section: '<If "%{QUERY_STRING} =~ /x/">', trap: "Require node-group agents", lines: ['<Location "/if">', ...AUTH, "<If \"%{QUERY_STRING} =~ /x/\">", "Require valid-user", "Require node-group agents", "</If>", "</Location>"] },
  { name: "Limit", section: "<Limit GET>", trap: "Require group agents", lines: ['<Location "/limit">', ...AUTH, "<Limit GET>", "Require valid-user", "Require group agents", "</Limit>", "</Location>"] },
  { name: "Location inside VirtualHost", section: '<Location "/vhost">', trap: "Require node-group agents", lines: ["<VirtualHost 127.0.0.1:65000>", '<Location "/vhost">', ...AUTH, "Require valid-user", "Require node-group agents", "</Location>", "</VirtualHost>"] },
  { name: "explicit RequireAny", section: "<RequireAny>", trap: "Require node-group agents", lines: ['<Location "/any">', ...AUTH, "<RequireAny>", "Require valid-user", "Require node-group agents", "</RequireAny>", "</Location>"] },
  { name: "RequireAll wrapping: no warning", trap: null, lines: ['<Location "/all">', ...AUTH, "<RequireAll>", "Require valid-user", "Require node-group agents", "</RequireAll>", "</Location>"] },
  { name: "Require user next to a group: these users or that group, no warning", trap: null, lines: ['<Location "/user">', ...AUTH, "Require user alice", "Require group agents", "</Location>"] },
  { name: "group alone: no warning", trap: null, lines: ['<Location "/alone">', ...AUTH, "Require node-group agents", "</Location>"] },
];

/** The included file's text and, per case, the 1-based line of its trap line. */
function layOut(): { text: string; trapLines: Map<string, number> } {
  const all: string[] = [];
  const trapLines = new Map<string, number>();
  for (const c of CASES) {
    for (const line of c.lines) {
      all.push(line);
      if (c.trap && line === c.trap && !trapLines.has(c.name)) trapLines.set(c.name, all.length);
    }
  }
  return { text: `${all.join("\n")}\n`, trapLines };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("the RequireAny trap is warned about (ANP0108), never refused", () => {
  let dir = "";
  let server: ApacheServer | undefined;
  printErrorLogOnFailure(() => server);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "anp-trap-"));
    chmodSync(dir, 0o755);
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("apache2 -t names the file and line of each trap, in every section form, and says Syntax OK", async () => {
    const included = join(dir, "sections.conf");
    const { text, trapLines } = layOut();
    writeFileSync(included, text);
    chmodSync(included, 0o644);
    const result = await configTest({ conf: [moduleServerDirectives(REPO_ROOT), `Include "${included}"`].join("\n") });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
    const warnings = result.output.split("\n").filter((line) => line.includes("ANP0108"));
    for (const c of CASES.filter((k) => k.trap)) {
      const at = `${included}:${String(trapLines.get(c.name))}: '${c.trap}' stands next to 'Require valid-user'`;
      const found = warnings.filter((line) => line.includes(at));
      expect(found, `${c.name}: no warning at ${at}\n${result.output}`).toHaveLength(1);
      expect(found[0]).toMatch(new RegExp(`in ${escape(c.section ?? "")}[^\\n]*every valid user is let in`));
    }
    expect(warnings.filter((line) => /where one line suffices/.test(line))).toHaveLength(1);
    // Exactly one per trap: nothing for RequireAll, Require user, or a group line alone.
    expect(warnings, result.output).toHaveLength(CASES.filter((k) => k.trap).length);
  });

  test("a started Apache logs the warning, and it is true: bob, in no group, gets 200 under the trap, 401 under RequireAll", async () => {
    const databaseUrl = `sqlite://${join(dir, "db.sqlite3")}`;
    const alice: UserSpec = { username: "alice", password: "pw-Alice-1", groups: ["agents"] };
    const bob: UserSpec = { username: "bob", password: "pw-Bob-2" };
    const verdicts = await seedDjango(databaseUrl, { groups: [{ name: "agents" }], users: [alice, bob], checks: [alice, bob] });
    expect(verdicts.map((v) => [v.username, v.check_password, v.groups])).toEqual([
      ["alice", true, ["agents"]],
      ["bob", true, []],
    ]);
    const django = ["AuthBasicProvider node", `NodeAuthDjangoDatabase "${databaseUrl}"`, "NodeAuthDjangoOption django_version 3.2"];
    server = await startApache({
      files: { "trap/index.html": "trap\n", "fixed/index.html": "fixed\n" },
      conf: [
        moduleServerDirectives(REPO_ROOT),
        // Django's documented form, copied as a new user would.
        basicLocation("/trap/", "trap", [...django, "Require valid-user", "Require group agents"]),
        basicLocation("/fixed/", "fixed", [...django, "<RequireAll>", "    Require valid-user", "    Require group agents", "</RequireAll>"]),
      ].join("\n"),
    });
    expect(server.errorLog()).toMatch(/ANP0108: \S+httpd\.conf:\d+: 'Require group agents' stands next to 'Require valid-user' \(line \d+\) in <Location "\/trap\/">, an implicit RequireAny/);
    expect(server.errorLog()).not.toMatch(/ANP0108: [^\n]*<Location \/fixed\/>/);
    expect(await server.statusAs("/trap/", "alice", alice.password)).toBe(200);
    expect(await server.statusAs("/trap/", "bob", bob.password)).toBe(200);
    expect(await server.statusAs("/fixed/", "alice", alice.password)).toBe(200);
    expect(await server.statusAs("/fixed/", "bob", bob.password)).toBe(401);
  }, 180_000);
});
