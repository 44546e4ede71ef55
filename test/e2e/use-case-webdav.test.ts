// Use case 3: a WebDAV share (mod_dav_fs) for the members of one Django group, proved with real
// WebDAV clients: the litmus suite through our module as a member must pass exactly what it
// passes on the same kind of share without authentication; a signed-in non-member gets 403 on
// every method; rclone copies a tree up and back byte-identical. The configuration is
// httpd-conf/examples/webdav/httpd.conf.in as shipped; the users are made by real Django.
import { mkdir, mkdtemp } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configTest } from "../harness/apache.js";
import { curlStatus, RcloneWebdav, runLitmus, type Credentials } from "../fixtures/use-cases/clients.js";
import { formatTable } from "../fixtures/use-cases/report.js";
import { seedDjango, type CheckSpec, type DjangoVerdict, type SeedSpec } from "../fixtures/use-cases/django.js";
import {
  giveToHttpdUser,
  makeServerRoot,
  printErrorLogOnFailure,
  tearDownExample,
  startExample,
  type ExampleServer,
  EXAMPLES_DIR,
} from "../fixtures/use-cases/example-server.js";
import { listTree, writeSampleTree } from "../fixtures/use-cases/trees.js";

const GROUP = "share-members";
const member: Credentials = { user: "maria", password: "dav-Share-2024!" };
const outsider: Credentials = { user: "otto", password: "not-a-member-9" };
const wrongPassword: Credentials = { user: member.user, password: "dav-Share-2025!" };

/**
 * Every method a WebDAV client sends, reading and writing, in an order in which each one has
 * something to act on for a member: PUT makes the file the next ones read, copy and delete.
 * `name` is a path under the caller's own probe folder; MOVE and COPY name a Destination there.
 */
interface Probe {
  readonly method: string;
  readonly name: string;
  readonly headers?: (folderUrl: string) => string[];
  readonly body?: string;
  /** What mod_dav answers a member on an otherwise empty share (proves the request got through). */
  readonly memberStatus: readonly number[];
}
const LOCK_BODY =
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  "<D:locktype><D:write/></D:locktype><D:owner>use-case test</D:owner></D:lockinfo>";
const PROPPATCH_BODY =
  '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:use-case">' +
  "<D:set><D:prop><Z:note>probe</Z:note></D:prop></D:set></D:propertyupdate>";
const PROBES: readonly Probe[] = [
  { method: "OPTIONS", name: "", memberStatus: [200] },
  { method: "MKCOL", name: "", memberStatus: [201] },
  { method: "PUT", name: "file.txt", body: "probe\n", memberStatus: [201] },
  { method: "GET", name: "file.txt", memberStatus: [200] },
  { method: "HEAD", name: "file.txt", memberStatus: [200] },
  { method: "PROPFIND", name: "file.txt", headers: () => ["Depth: 0"], memberStatus: [207] },
  { method: "PROPPATCH", name: "file.txt", headers: () => ["Content-Type: application/xml"], body: PROPPATCH_BODY, memberStatus: [207] },
  { method: "COPY", name: "file.txt", headers: (f) => [`Destination: ${f}copy.txt`], memberStatus: [201] },
  { method: "MOVE", name: "copy.txt", headers: (f) => [`Destination: ${f}moved.txt`], memberStatus: [201] },
  { method: "DELETE", name: "moved.txt", memberStatus: [204] },
  { method: "LOCK", name: "locked.txt", headers: () => ["Content-Type: application/xml", "Timeout: Second-60"], body: LOCK_BODY, memberStatus: [200, 201] },
  // A made-up lock token: mod_dav refuses it, but only after authorization let the request in.
  { method: "UNLOCK", name: "locked.txt", headers: () => ["Lock-Token: <opaquelocktoken:00000000-0000-0000-0000-000000000000>"], memberStatus: [400, 409] },
  // mod_dav_fs has no POST handler: the core's default handler answers, after authorization.
  { method: "POST", name: "file.txt", body: "probe\n", memberStatus: [200, 405] },
];

/** The address the wrong password comes from, and the native throttle's default pair limit (docs/module.md). */
const GUESSER_ADDRESS = "127.0.0.2";
const PAIR_LIMIT = 10;

const checks: CheckSpec[] = [member, outsider, wrongPassword].map((c) => ({ username: c.user, password: c.password }));

/** The share's Django users; `member` overrides what the admin changed about the member. */
function seedSpec(change: { password?: string; is_active?: boolean; groups?: string[] }): SeedSpec {
  return {
    groups: [{ name: GROUP }, { name: "other-team" }],
    users: [
      { username: member.user, password: change.password ?? member.password, is_active: change.is_active ?? true, groups: change.groups ?? [GROUP] },
      { username: outsider.user, password: outsider.password, groups: ["other-team"] },
    ],
    checks: change.password ? [...checks, { username: member.user, password: change.password }] : checks,
  };
}

// The whole use case under both MPMs: litmus's hundreds of authenticated requests go through
// the module's per-process connection pool, with threads (event) and without (prefork).
describe.each(["event", "prefork"] as const)("WebDAV use case under mpm_%s", (mpm) => {
  let server: ExampleServer | undefined;
  let root: string | undefined;
  let work: string | undefined;
  let verdicts: DjangoVerdict[] = [];
  let databasePath = "";

  beforeAll(async () => {
    root = makeServerRoot(`webdav-${mpm}`);
    work = await mkdtemp(path.join(tmpdir(), "anp-webdav-clients-"));
    for (const dir of ["htdocs", "run", "var", "dav/team", "dav/open", "django"]) await mkdir(path.join(root, dir), { recursive: true });
    giveToHttpdUser(path.join(root, "dav"));
    giveToHttpdUser(path.join(root, "var"));
    const database = path.join(root, "django/db.sqlite3");
    databasePath = database;
    verdicts = await seedDjango(`sqlite://${database}`, seedSpec({}));
    server = await startExample({ example: "webdav", root, values: { MPM: mpm, DATABASE: `sqlite://${database}` } });
  });

  afterAll(async () => {
    await tearDownExample(server, root, work);
  });

  printErrorLogOnFailure(() => server);

  function running(): ExampleServer {
    if (!server) throw new Error("apache2 did not start");
    return server;
  }

  describe(`use case: a WebDAV share for the members of one Django group (mpm_${mpm})`, () => {
    it("Django itself says who is a member (the expectations below come from here)", () => {
      const [m, o, w] = verdicts;
      expect(m).toMatchObject({ check_password: true });
      expect(m?.groups).toContain(GROUP);
      expect(o).toMatchObject({ check_password: true });
      expect(o?.groups).not.toContain(GROUP);
      expect(w).toMatchObject({ check_password: false });
    });

    it("answers each method by who asks: member passes, non-member 403, no credentials 401, a wrong password 401 until the throttle answers 429", async () => {
      const s = running();
      const rows: Record<string, Record<string, number>> = {};
      // The wrong password comes from an address of its own: the shipped configuration keeps the native
      // throttle's defaults, so that address is blocked for the member's name after PAIR_LIMIT failures
      // while the member, from 127.0.0.1, keeps working.
      const who: Array<[string, Credentials | undefined, string | undefined]> = [
        ["member", member, undefined],
        ["non-member", outsider, undefined],
        ["wrong password", wrongPassword, GUESSER_ADDRESS],
        ["no credentials", undefined, undefined],
      ];
      for (const [label, credentials, fromAddress] of who) {
        // Each caller works in a folder of its own, so a refused caller finds nothing made by another.
        const folder = s.url(`/team/probe-${label.replace(/ /g, "-")}/`);
        for (const probe of PROBES) {
          const status = await curlStatus(folder + probe.name, { credentials, method: probe.method, headers: probe.headers?.(folder), body: probe.body, fromAddress });
          (rows[probe.method] ??= {})[label] = status;
        }
      }
      console.log(formatTable(`WebDAV status matrix (use-case-webdav, mpm_${mpm}), HTTP status per method and caller:`, rows));
      expect(PROBES.length).toBeGreaterThan(PAIR_LIMIT);
      PROBES.forEach((probe, i) => {
        const row = rows[probe.method]!;
        expect(probe.memberStatus, `${probe.method} as member`).toContain(row.member);
        expect(row["non-member"], `${probe.method} as non-member`).toBe(403);
        expect(row["wrong password"], `${probe.method} with a wrong password (failure ${i + 1})`).toBe(i < PAIR_LIMIT ? 401 : 429);
        expect(row["no credentials"], `${probe.method} without credentials`).toBe(401);
      });
      // Nothing the refused requests asked for happened on disk; the member's did.
      const team = path.join(s.root, "dav/team");
      expect(existsSync(path.join(team, "probe-member/file.txt"))).toBe(true);
      for (const refused of ["probe-non-member", "probe-wrong-password", "probe-no-credentials"]) {
        expect(existsSync(path.join(team, refused))).toBe(false);
      }
    });

    it("passes the same litmus tests through the module as a member as without authentication", async () => {
      const s = running();
      const openDir = path.join(work!, "litmus-open");
      const authDir = path.join(work!, "litmus-member");
      await mkdir(openDir, { recursive: true });
      await mkdir(authDir, { recursive: true });
      const open = await runLitmus(s.url("/open/"), openDir);
      const logBefore = s.accessLog().split("\n").length;
      const authenticated = await runLitmus(s.url("/team/"), authDir, member);
      // Every request litmus made to the share was checked: the access log names the member on each.
      const checked = s.accessLog().split("\n").slice(logBefore - 1).filter((l) => l.includes(` ${member.user} "`)).length;
      console.log(
        `litmus (mpm_${mpm}) without auth: ${open.passed}/${open.run} passed (${open.suites.map((x) => `${x.name} ${x.passed}/${x.run}`).join(", ")})\n` +
          `litmus as a member through mod_authnz_node: ${authenticated.passed}/${authenticated.run} passed (${authenticated.suites.map((x) => `${x.name} ${x.passed}/${x.run}`).join(", ")}), ${checked} authenticated requests`,
      );
      expect(checked).toBeGreaterThan(authenticated.run);
      // All five suites ran in both runs, so neither stopped early.
      expect(open.suites.map((x) => x.name)).toEqual(["basic", "copymove", "props", "locks", "http"]);
      expect(authenticated.suites.map((x) => x.name)).toEqual(open.suites.map((x) => x.name));
      expect(open.run).toBeGreaterThan(0);
      expect(authenticated.run).toBe(open.run);
      expect(authenticated.passed).toBe(open.passed);
      expect(authenticated.failures).toEqual(open.failures);
      // And a non-member's litmus run fails from the first test that needs the share.
      const outsiderDir = path.join(work!, "litmus-non-member");
      await mkdir(outsiderDir, { recursive: true });
      const refused = await runLitmus(s.url("/team/"), outsiderDir, outsider);
      console.log(`litmus as a non-member: ${refused.passed}/${refused.run} passed`);
      expect(refused.passed).toBeLessThan(open.passed);
    });

    it("copies a directory tree up and back down with rclone, byte-identical", async () => {
      const s = running();
      const source = path.join(work!, "rclone-source");
      const back = path.join(work!, "rclone-back");
      await writeSampleTree(source);
      const rclone = new RcloneWebdav(s.url("/team/"), work!, member);
      const up = await rclone.upload(source, "tree");
      expect(up.code, up.stderr).toBe(0);
      const down = await rclone.download("tree", back);
      expect(down.code, down.stderr).toBe(0);
      const sent = await listTree(source);
      console.log(`rclone round trip: ${sent.size} entries (${[...sent.values()].filter((v) => v !== "dir").length} files)`);
      expect(await listTree(back)).toEqual(sent);
      // What reached the share's directory on disk is the same tree too.
      expect(await listTree(path.join(s.root, "dav/team/tree"))).toEqual(sent);

      // A non-member's rclone gets nothing and puts nothing.
      const refusedBack = path.join(work!, "rclone-refused");
      const refused = new RcloneWebdav(s.url("/team/"), work!, outsider);
      const refusedDown = await refused.download("tree", refusedBack);
      expect(refusedDown.code).not.toBe(0);
      expect(existsSync(path.join(refusedBack, "README.txt"))).toBe(false);
      const refusedUp = await refused.upload(source, "from-outsider");
      expect(refusedUp.code).not.toBe(0);
      expect(existsSync(path.join(s.root, "dav/team/from-outsider"))).toBe(false);
    });
    it("applies a change made in Django from the next request on, without a restart", async () => {
      const s = running();
      const propfind = (who: Credentials) => curlStatus(s.url("/team/"), { credentials: who, method: "PROPFIND", headers: ["Depth: 0"] });
      const rows: Record<string, Record<string, string | number>> = {};
      expect(await propfind(member)).toBe(207);

      // The admin removes the member from the group.
      let now = await seedDjango(`sqlite://${databasePath}`, seedSpec({ groups: ["other-team"] }));
      expect(now[0]?.groups).not.toContain(GROUP);
      rows["removed from the group"] = { "old password": await propfind(member) };
      expect(rows["removed from the group"]!["old password"]).toBe(403);

      // Back in the group, with a new password: the old one (verified and cached before) no longer works.
      const changed: Credentials = { user: member.user, password: "a-New-Password-7" };
      now = await seedDjango(`sqlite://${databasePath}`, seedSpec({ password: changed.password }));
      expect(now[0]?.check_password).toBe(false);
      expect(now.at(-1)?.check_password).toBe(true);
      rows["new password set"] = { "old password": await propfind(member), "new password": await propfind(changed) };
      expect(rows["new password set"]).toEqual({ "old password": 401, "new password": 207 });

      // Deactivated: refused like an unknown user, even with the right password.
      now = await seedDjango(`sqlite://${databasePath}`, seedSpec({ password: changed.password, is_active: false }));
      expect(now.at(-1)?.check_password).toBeNull();
      rows["deactivated"] = { "new password": await propfind(changed) };
      expect(rows["deactivated"]!["new password"]).toBe(401);

      // Restored as at the start.
      await seedDjango(`sqlite://${databasePath}`, seedSpec({}));
      rows["restored"] = { "old password": await propfind(member) };
      expect(rows["restored"]!["old password"]).toBe(207);
      console.log(formatTable("WebDAV PROPFIND as the member after each change made in Django:", rows));
    });
    it("never wrote a password into the error log", () => {
      const log = running().errorLog();
      expect(log.length).toBeGreaterThan(0);
      for (const password of [member.password, outsider.password, wrongPassword.password, "a-New-Password-7"]) {
        expect(log).not.toContain(password);
      }
    });
  });
});

describe("the Debian site file webdav/django-webdav.conf", () => {
  it("passes apache2 -t with mod_authnz_node and the modules its header enables", async () => {
    const site = readFileSync(path.join(EXAMPLES_DIR, "webdav/django-webdav.conf"), "utf8");
    const result = await configTest({ conf: site, modules: ["dav", "dav_fs"] });
    expect(result.ok, result.output).toBe(true);
  });
});
