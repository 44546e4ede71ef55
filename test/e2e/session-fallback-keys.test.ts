// SECRET_KEY_FALLBACKS through Apache: a session signed with an old key that the key file lists as a
// fallback (its second line) is a login for Django versions that have fallbacks (4.1 on), and no login
// without that line or under django_version 3.2 (which has no such setting). The live oracle is Django 3.2,
// so the sessions here are the real Django 5.2.8 vectors (test/vectors/django-sessions-5.2.json, provenance
// in test/vectors/README-django-sessions.md): a signed_cookies cookie and a db session_data signed under
// SECRET_KEY_FALLBACKS[0], each holding the login of user 42 whose _auth_user_hash was made under the
// current SECRET_KEY. The SQLite database (Django's own migrations) gets user 42 with the vectors' password
// field, and a django_session row for each db session. The same sessions signed under the current key are
// a login in every location: the control that tells a refused fallback from a broken location.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { printErrorLogOnFailure, startApache, type ApacheServer } from "../harness/apache.js";
import { startDjango } from "../harness/django.js";
import { trackDirectory } from "../harness/lifecycle.js";
import { loadSessionVectors } from "../support/django-session-vectors.js";
import { location } from "../support/httpd-conf.js";

const vectors = loadSessionVectors("5.2");
const { SECRET_KEY, SECRET_KEY_FALLBACKS } = vectors.meta.settings;
/**
 * Django 5.2 signed the cookies at meta.fixed_time (2025-01-01), and signed_cookies sessions are only good
 * while their age is at most SESSION_COOKIE_AGE. Today's age of those cookies is far beyond Django's two-week
 * default, so the locations take the largest session_cookie_age the option allows (ten years): the cookies
 * stay young enough until 2035. The db engine checks no age (the row's expire_date is set far ahead here).
 */
const COOKIE_AGE = 315360000;

const loadCase = (id: string) => {
  const found = vectors.session_signed_cookies.load.find((c) => c.id === id);
  if (!found) throw new Error(`no session_signed_cookies.load case ${id}`);
  return found.input.cookie_value;
};
const decodeCase = (id: string) => {
  const found = vectors.session_db.decode.find((c) => c.id === id);
  if (!found) throw new Error(`no session_db.decode case ${id}`);
  return found.input.session_data;
};

/** The sessions, by what signed them: the cookie value each engine reads. */
const SESSIONS = {
  signed_cookies: { current: loadCase("ok"), fallback: loadCase("fallback-key-0") },
  db: { current: "currentkeyvectorsession000000001", fallback: "fallbackkeyvectorsession00000001" },
} as const;
type Engine = keyof typeof SESSIONS;

/** Where each location's django_version and key file come from. */
const LOCATIONS = [
  { name: "5.2-with-fallback", version: "5.2", keys: [SECRET_KEY, SECRET_KEY_FALLBACKS[0]] },
  { name: "5.2-without-fallback", version: "5.2", keys: [SECRET_KEY] },
  { name: "3.2-with-fallback", version: "3.2", keys: [SECRET_KEY, SECRET_KEY_FALLBACKS[0]] },
] as const;

const temp = mkdtempSync("/tmp/anp-session-fallback-");
const untrackTemp = trackDirectory(temp);
const databasePath = join(temp, "db", "db.sqlite3");

let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

/** Django's schema, user 42 with the vectors' password field, and the db sessions' rows. */
async function seedDatabase(): Promise<void> {
  mkdirSync(join(temp, "db"), { mode: 0o755 });
  const oracle = await startDjango({ databaseUrl: `sqlite://${databasePath}` });
  try {
    await oracle.createUser({ username: "vector-user", password: null, encoded: vectors.session_db.login_user.password });
  } finally {
    await oracle.close();
  }
  const db = new BetterSqlite3(databasePath);
  try {
    db.prepare("UPDATE auth_user SET id = ? WHERE username = ?").run(vectors.session_db.login_user.id, "vector-user");
    const insert = db.prepare("INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?, ?, ?)");
    insert.run(SESSIONS.db.current, decodeCase("valid"), "2099-01-01 00:00:00");
    insert.run(SESSIONS.db.fallback, decodeCase("fallback-key-0"), "2099-01-01 00:00:00");
  } finally {
    db.close();
  }
  chmodSync(databasePath, 0o644);
}

describe("SECRET_KEY_FALLBACKS through Apache, with Django 5.2's own sessions", () => {
  let httpd: ApacheServer;

  beforeAll(async () => {
    chmodSync(temp, 0o755);
    mkdirSync(join(temp, "keys"), { mode: 0o755 });
    await seedDatabase();
    const sections: string[] = [];
    for (const loc of LOCATIONS) {
      const keyFile = join(temp, "keys", loc.name);
      writeFileSync(keyFile, `${loc.keys.join("\n")}\n`, { mode: 0o600 });
      for (const engine of Object.keys(SESSIONS) as Engine[]) {
        sections.push(
          location(`/${loc.name}/${engine}/`, [
            "AuthType DjangoSession",
            `NodeAuthDjangoDatabase "sqlite://${databasePath}"`,
            `NodeAuthDjangoOption django_version ${loc.version}`,
            `NodeAuthDjangoOption secret_key_file ${keyFile}`,
            `NodeAuthDjangoOption session_engine ${engine}`,
            `NodeAuthDjangoOption session_cookie_age ${COOKIE_AGE}`,
            "Require valid-user",
          ]),
        );
      }
    }
    const files = Object.fromEntries(LOCATIONS.flatMap((loc) => Object.keys(SESSIONS).map((engine) => [`${loc.name}/${engine}/index.html`, "members\n"])));
    httpd = await startApache({ conf: sections.join("\n"), files, logLevel: "info authnz_node:debug" });
    server = httpd;
  }, 180_000);

  afterAll(async () => {
    await httpd?.stop();
    rmSync(temp, { recursive: true, force: true });
    untrackTemp();
  });

  test("a session signed with a fallback key: 200 under 5.2 with the fallback line, 401 without it and under 3.2", async () => {
    const seen: Record<string, Record<string, number>> = {};
    for (const loc of LOCATIONS) {
      for (const engine of Object.keys(SESSIONS) as Engine[]) {
        const row: Record<string, number> = {};
        for (const [signedWith, cookie] of Object.entries(SESSIONS[engine])) {
          row[signedWith] = (await httpd.request(`/${loc.name}/${engine}/`, { headers: [["Cookie", `sessionid=${cookie}`]] })).status;
        }
        seen[`${loc.name} ${engine}`] = row;
      }
    }
    expect(seen).toEqual({
      "5.2-with-fallback signed_cookies": { current: 200, fallback: 200 },
      "5.2-with-fallback db": { current: 200, fallback: 200 },
      "5.2-without-fallback signed_cookies": { current: 200, fallback: 401 },
      "5.2-without-fallback db": { current: 200, fallback: 401 },
      "3.2-with-fallback signed_cookies": { current: 200, fallback: 401 },
      "3.2-with-fallback db": { current: 200, fallback: 401 },
    });
    // The refusals are the signature's, as the worker says (the reasons name no key).
    expect(httpd.errorLog()).toMatch(/ANP0535: no valid session at \/5\.2-without-fallback\/signed_cookies\/ \(bad signature\): 401/);
  });
});
