// The Require lines after AuthType DjangoSession, through a real Apache and the real worker, against what
// real Django 3.2 says of each user: node-group and group (the user's Django groups), node-permission
// (user.has_perm), node-staff and node-superuser (is_staff, is_superuser); and node-staff with Basic. Each
// user logs in through Django's own login() (the oracle), and each location answers 200 exactly when
// Django's answer for that user is yes; otherwise the user is authenticated but refused.
import { afterAll, beforeAll, expect, test } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { basicAuthorization, printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { trackDirectory } from "../harness/lifecycle.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { location } from "../support/httpd-conf.js";
import { describeRequiring } from "../support/optional.js";

const SECRET_KEY = "session require test key: fifty characters or more, not a secret";
const PERMISSION = "auth.change_user";
const USERS = [
  { username: "plain", password: "plain-pw" },
  { username: "editor", password: "editor-pw", groups: ["editors"] },
  { username: "staffer", password: "staff-pw", is_staff: true },
  { username: "boss", password: "boss-pw", is_superuser: true },
] as const;

const temp = mkdtempSync("/tmp/anp-session-require-");
const untrackTemp = trackDirectory(temp);
const keyFile = join(temp, "key", "secret_key");
const databaseUrl = `sqlite://${join(temp, "db", "db.sqlite3")}`;

/** Each location's Require line, and Django's own answer for a user to compare it with. */
const LOCATIONS: ReadonlyArray<{ path: string; require: string; django: (oracle: DjangoOracle, user: (typeof USERS)[number]) => Promise<boolean> }> = [
  { path: "/valid-user/", require: "Require valid-user", django: async (o, u) => (await o.sessionUser("db", cookieOf(u.username))) === u.username },
  { path: "/node-group/", require: "Require node-group editors", django: async (o, u) => (await o.groupsForUser(u.username)).includes("editors") },
  { path: "/group/", require: "Require group editors", django: async (o, u) => (await o.groupsForUser(u.username)).includes("editors") },
  { path: "/permission/", require: `Require node-permission ${PERMISSION}`, django: (o, u) => o.hasPerm(u.username, PERMISSION) },
  { path: "/staff/", require: "Require node-staff", django: async (_, u) => "is_staff" in u && u.is_staff },
  { path: "/superuser/", require: "Require node-superuser", django: async (_, u) => "is_superuser" in u && u.is_superuser },
];

function handlerLines(): string[] {
  return [`NodeAuthDjangoDatabase "${databaseUrl}"`, "NodeAuthDjangoOption django_version 3.2", `NodeAuthDjangoOption secret_key_file ${keyFile}`];
}

const cookies = new Map<string, string>();
function cookieOf(username: string): string {
  const cookie = cookies.get(username);
  if (cookie === undefined) throw new Error(`no session for ${username}`);
  return cookie;
}

let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

describeRequiring(process.getuid?.() === 0, "root, for the root-only key file")("Require lines with AuthType DjangoSession, as Django answers them", () => {
  let oracle: DjangoOracle;

  beforeAll(async () => {
    chmodSync(temp, 0o755);
    mkdirSync(join(temp, "key"), { mode: 0o700 });
    writeFileSync(keyFile, `${SECRET_KEY}\n`, { mode: 0o600 });
    mkdirSync(join(temp, "db"), { mode: 0o755 });
    oracle = await startDjango({ databaseUrl, env: { DJANGO_SECRET_KEY: SECRET_KEY } });
    await oracle.createGroup("editors", [PERMISSION]);
    for (const user of USERS) {
      await oracle.createUser(user);
      cookies.set(user.username, await oracle.login("db", user.username, user.password));
    }
    chmodSync(join(temp, "db", "db.sqlite3"), 0o644); // the worker (www-data) reads what Django (root) made
    const sections = LOCATIONS.map(({ path, require }) => location(path, ["AuthType DjangoSession", ...handlerLines(), require]));
    sections.push(location("/basic-staff/", ["AuthType Basic", 'AuthName "staff"', "AuthBasicProvider node", ...handlerLines(), "Require node-staff"]));
    server = await startApache({
      conf: [moduleServerDirectives(REPO_ROOT), ...sections].join("\n"),
      files: Object.fromEntries([...LOCATIONS.map(({ path }) => `${path.slice(1)}file.txt`), "basic-staff/file.txt"].map((f) => [f, "file\n"])),
    });
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await oracle?.close();
    rmSync(temp, { recursive: true, force: true });
    untrackTemp();
  });

  test("each location admits exactly the users Django says yes for, by their session", async () => {
    const seen: Record<string, Record<string, number>> = {};
    const expected: Record<string, Record<string, number>> = {};
    for (const user of USERS) {
      seen[user.username] = {};
      expected[user.username] = {};
      for (const { path, django } of LOCATIONS) {
        const response = await server!.request(`${path}file.txt`, { headers: [["Cookie", `sessionid=${cookieOf(user.username)}`]] });
        seen[user.username]![path] = response.status;
        expected[user.username]![path] = (await django(oracle, user)) ? 200 : 401;
      }
    }
    expect(seen).toEqual(expected);
    // Every user is admitted somewhere, and every location but valid-user refuses someone: the table cannot
    // pass by all-200 or all-401.
    for (const user of USERS) expect(Object.values(seen[user.username]!)).toContain(200);
    for (const { path } of LOCATIONS.slice(1)) expect(USERS.map((u) => seen[u.username]![path])).toContain(401);
  });

  test("Require node-staff with Basic: the staff user's password admits, another user's is refused", async () => {
    const status = async (user: string, password: string) =>
      (await server!.request("/basic-staff/file.txt", { headers: [["Authorization", basicAuthorization(user, password)]] })).status;
    expect(await status("staffer", "staff-pw")).toBe(200);
    expect(await status("plain", "plain-pw")).toBe(401);
    expect(await status("boss", "boss-pw")).toBe(401);
    expect(await status("staffer", "wrong")).toBe(401);
  });
});
