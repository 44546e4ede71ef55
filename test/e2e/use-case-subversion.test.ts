// Use case 2: a Subversion repository behind mod_dav_svn, for the Django users who hold
// repos.view_repository (read) and repos.commit_repository (write). The real svn client checks
// out, commits and reads the log as a committer; a reader checks out but its commit is refused
// with 403; a user without the view permission gets nothing; wrong passwords and inactive users
// fail authentication. Both ways of writing the rules (<Limit>/<LimitExcept>, Require method) in
// httpd-conf/examples/subversion/httpd.conf.in are exercised. Users, groups and permissions are
// made by real Django, and who may do what is taken from Django's own has_perm.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configTest } from "../harness/apache.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { SvnClient, type Credentials, type ProgramResult } from "../fixtures/use-cases/clients.js";
import { seedDjango, type CheckSpec, type DjangoVerdict } from "../fixtures/use-cases/django.js";
import {
  giveToHttpdUser,
  makeServerRoot,
  printErrorLogOnFailure,
  tearDownExample,
  startExample,
  type ExampleServer,
  EXAMPLES_DIR,
  REPO_ROOT,
} from "../fixtures/use-cases/example-server.js";

const READONLY_ROLE_SQL = path.join(REPO_ROOT, "test/fixtures/use-cases/postgres-readonly-role.sql");
const VIEW = "repos.view_repository";
const COMMIT = "repos.commit_repository";

const committer: Credentials = { user: "alice", password: "commit-Rights-1" };
const reader: Credentials = { user: "bob", password: "read-Only-2" };
const stranger: Credentials = { user: "dave", password: "no-Perms-3" };
const inactive: Credentials = { user: "carol", password: "gone-Away-4" };
const superuser: Credentials = { user: "root-admin", password: "super-User-5" };
const wrongPassword: Credentials = { user: committer.user, password: "commit-Rights-2" };

const ALL = [committer, reader, stranger, inactive, superuser, wrongPassword];
const ROLES = new Map<Credentials, string>([
  [committer, "committer"],
  [reader, "reader"],
  [stranger, "no permission"],
  [inactive, "inactive"],
  [superuser, "superuser"],
  [wrongPassword, "wrong password"],
]);
const checks: CheckSpec[] = ALL.map((c) => ({ username: c.user, password: c.password, permissions: [VIEW, COMMIT] }));

// svn's error codes: E175013 is the HTTP 403 "forbidden" of the DAV layer, E215004 "no more
// credentials" (the server kept answering 401), E170013 "unable to connect" wraps the latter.
const FORBIDDEN = /E175013/;
const AUTH_FAILED = /E215004|E170001/;

// The same use case on each database Django projects use in production here: SQLite, and
// PostgreSQL read through a role that may only SELECT the auth tables (READONLY_ROLE_SQL).
describe.each(["SQLite", "PostgreSQL"] as const)("Subversion use case on %s", (backend) => {
  let server: ExampleServer | undefined;
  let root: string | undefined;
  let work = "";
  let postgres: PostgresServer | undefined;
  let verdicts: DjangoVerdict[] = [];
  const transcript: string[] = [];

  function verdict(c: Credentials): DjangoVerdict {
    const v = verdicts[ALL.indexOf(c)];
    if (!v) throw new Error(`no Django verdict for ${c.user}`);
    return v;
  }

  /** Runs svn, keeps the key lines for the transcript printed at the end. */
  async function svn(client: SvnClient, label: string, args: string[], who: Credentials, cwd?: string): Promise<ProgramResult> {
    const result = await client.run(args, who, cwd);
    const lines = (result.stdout + result.stderr).split("\n").filter((l) => /Committed revision|Checked out revision|svn: E\d+|^r\d+ \|/.test(l));
    transcript.push(`$ svn ${args[0]} (${label}, as ${who.user}: ${ROLES.get(who) ?? "?"}) -> exit ${result.code}`, ...lines.map((l) => `    ${l.trim()}`));
    return result;
  }

  beforeAll(async () => {
    root = makeServerRoot(`svn-${backend.toLowerCase()}`);
    work = await mkdtemp(path.join(tmpdir(), `anp-svn-clients-${backend.toLowerCase()}-`));
    for (const dir of ["htdocs", "run", "svn", "django"]) await mkdir(path.join(root, dir), { recursive: true });
    await writeFile(path.join(root, "htdocs/index.html"), "<p>open</p>\n");
    execFileSync("svnadmin", ["create", path.join(root, "svn/project")]);
    giveToHttpdUser(path.join(root, "svn"));
    let database: string;
    if (backend === "SQLite") {
      database = `sqlite://${path.join(root, "django/db.sqlite3")}`;
    } else {
      postgres = await startPostgres();
      database = postgres.url;
    }
    verdicts = await seedDjango(database, {
      permissions: [
        { app_label: "repos", model: "repository", codename: "view_repository", name: "Can view the repository" },
        { app_label: "repos", model: "repository", codename: "commit_repository", name: "Can commit to the repository" },
      ],
      // Committers get both permissions through their group; the reader holds view directly.
      groups: [{ name: "committers", permissions: [VIEW, COMMIT] }, { name: "staff" }],
      users: [
        { username: committer.user, password: committer.password, groups: ["committers"] },
        { username: reader.user, password: reader.password, permissions: [VIEW] },
        { username: stranger.user, password: stranger.password, groups: ["staff"] },
        { username: inactive.user, password: inactive.password, is_active: false, groups: ["committers"] },
        { username: superuser.user, password: superuser.password, is_superuser: true },
      ],
      checks,
    });
    if (postgres) {
      // Apache's worker reads through the least-privileged role the documentation recommends.
      for (const statement of readFileSync(READONLY_ROLE_SQL, "utf8").replace(/--.*$/gm, "").split(";")) {
        if (statement.trim()) await postgres.query(statement);
      }
      database = `postgres://mod_authnz_node@127.0.0.1:${postgres.port}/${postgres.database}`;
    }
    server = await startExample({ example: "subversion", root, values: { MPM: "event", DATABASE: database } });
  });

  afterAll(async () => {
    if (transcript.length > 0) console.log(`svn transcript (use-case-subversion, ${backend}):\n${transcript.join("\n")}`);
    await tearDownExample(server, root, work);
    await postgres?.cleanup();
  });

  printErrorLogOnFailure(() => server);

  it("Django's own verdicts give each user a different role", () => {
    expect(verdict(committer)).toMatchObject({ check_password: true, perms: { [VIEW]: true, [COMMIT]: true } });
    expect(verdict(reader)).toMatchObject({ check_password: true, perms: { [VIEW]: true, [COMMIT]: false } });
    expect(verdict(stranger)).toMatchObject({ check_password: true, perms: { [VIEW]: false, [COMMIT]: false } });
    expect(verdict(inactive).check_password).toBeNull();
    expect(verdict(superuser)).toMatchObject({ check_password: true, perms: { [VIEW]: true, [COMMIT]: true } });
    expect(verdict(wrongPassword).check_password).toBe(false);
  });

  describe.each([
    ["<Limit>/<LimitExcept>", "/svn/project"],
    ["Require method", "/svn-by-method/project"],
  ])(`use case: Subversion by Django permission (${backend}), rules written with %s`, (style, location) => {
    const tag = location.split("/")[1]!;
    let client: SvnClient;
    let url = "";

    beforeAll(async () => {
      client = new SvnClient(path.join(work, `config-${tag}`));
      url = server!.url(location);
    });

    it("lets a user with both permissions check out, commit and read the log", async () => {
      expect(verdict(committer).perms[COMMIT]).toBe(true);
      const wc = path.join(work, `${tag}-committer`);
      const checkout = await svn(client, style, ["checkout", url, wc], committer);
      expect(checkout.code, checkout.stderr).toBe(0);
      const file = `notes-${tag}.txt`;
      await writeFile(path.join(wc, file), `written through ${location}\n`);
      expect((await client.run(["add", file], undefined, wc)).code).toBe(0);
      const message = `first commit through ${tag}`;
      const commit = await svn(client, style, ["commit", "-m", message], committer, wc);
      expect(commit.code, commit.stderr).toBe(0);
      expect(commit.stdout).toMatch(/Committed revision \d+\./);
      const log = await svn(client, style, ["log", url], committer);
      expect(log.code, log.stderr).toBe(0);
      expect(log.stdout).toContain(message);
      expect(log.stdout).toMatch(new RegExp(`^r\\d+ \\| ${committer.user} \\|`, "m"));
    });

    it("lets a user with only the view permission check out but refuses the commit with 403", async () => {
      expect(verdict(reader).perms).toEqual({ [VIEW]: true, [COMMIT]: false });
      const wc = path.join(work, `${tag}-reader`);
      const checkout = await svn(client, style, ["checkout", url, wc], reader);
      expect(checkout.code, checkout.stderr).toBe(0);
      const file = path.join(wc, `notes-${tag}.txt`);
      expect(await readFile(file, "utf8")).toBe(`written through ${location}\n`);
      const log = await client.run(["log", url], reader);
      expect(log.code, log.stderr).toBe(0);
      await appendFile(file, "an edit the reader may not commit\n");
      const before = accessLogLines().length;
      const commit = await svn(client, style, ["commit", "-m", "not allowed"], reader, wc);
      expect(commit.code).not.toBe(0);
      expect(commit.stderr).toMatch(FORBIDDEN);
      expect(commit.stderr).toMatch(/forbidden/i);
      // The first write of the commit (POST in svn 1.14's HTTP v2) is what Apache refused, with 403.
      const refused = accessLogLines().slice(before).filter((l) => l.includes(` ${reader.user} `) && / 403 /.test(l));
      expect(refused.length).toBeGreaterThan(0);
      // And the repository did not move: the last revision is still the committer's.
      const after = await client.run(["log", "-l", "1", url], committer);
      expect(after.stdout).not.toContain("not allowed");
    });

    it("lets a superuser commit (Django: an active superuser holds every permission)", async () => {
      expect(verdict(superuser).perms[COMMIT]).toBe(true);
      const wc = path.join(work, `${tag}-superuser`);
      expect((await svn(client, style, ["checkout", url, wc], superuser)).code).toBe(0);
      await appendFile(path.join(wc, `notes-${tag}.txt`), "superuser edit\n");
      const commit = await svn(client, style, ["commit", "-m", "by the superuser"], superuser, wc);
      expect(commit.code, commit.stderr).toBe(0);
    });

    it("gives a user without the view permission nothing: no checkout, no log, no listing", async () => {
      expect(verdict(stranger).perms[VIEW]).toBe(false);
      const wc = path.join(work, `${tag}-stranger`);
      const checkout = await svn(client, style, ["checkout", url, wc], stranger);
      expect(checkout.code).not.toBe(0);
      expect(checkout.stderr).toMatch(FORBIDDEN);
      expect(existsSync(wc) ? (await readdir(wc)).filter((n) => n !== ".svn") : []).toEqual([]);
      const before = accessLogLines().length;
      const log = await svn(client, style, ["log", url], stranger);
      expect(log.code).not.toBe(0);
      expect(log.stdout).not.toContain("commit");
      const list = await client.run(["list", url], stranger);
      expect(list.code).not.toBe(0);
      expect(list.stdout).toBe("");
      // Every request Apache saw from this user was refused with 403: nothing was served.
      const answered = accessLogLines().slice(before).filter((l) => l.includes(` ${stranger.user} `));
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.filter((l) => !/" 403 /.test(l))).toEqual([]);
    });

    it.each([
      ["a wrong password", wrongPassword],
      ["an inactive user", inactive],
    ])("fails authentication for %s", async (_label, who) => {
      expect(verdict(who).check_password).not.toBe(true);
      const wc = path.join(work, `${tag}-refused-${who.user}-${who.password.length}`);
      const checkout = await svn(client, style, ["checkout", url, wc], who);
      expect(checkout.code).not.toBe(0);
      expect(checkout.stderr).toMatch(AUTH_FAILED);
      expect(checkout.stderr).not.toMatch(FORBIDDEN);
      const log = await client.run(["log", url], who);
      expect(log.code).not.toBe(0);
      expect(log.stdout).toBe("");
    });
  });

  function accessLogLines(): string[] {
    return (server?.accessLog() ?? "").split("\n").filter(Boolean);
  }
  it("never wrote a password into the error log, whatever was refused", () => {
    const log = server!.errorLog();
    expect(log.length).toBeGreaterThan(0);
    for (const who of ALL) expect(log).not.toContain(who.password);
  });
});

describe("the Debian site file subversion/django-svn.conf", () => {
  it("passes apache2 -t with mod_authnz_node and the modules its header enables", async () => {
    const site = readFileSync(path.join(EXAMPLES_DIR, "subversion/django-svn.conf"), "utf8");
    const result = await configTest({ conf: site, modules: ["dav", "dav_svn"] });
    expect(result.ok, result.output).toBe(true);
    // The shipped example does not fall into the RequireAny trap it warns about.
    expect(result.output).not.toMatch(/ANP0108/);
  });
});
