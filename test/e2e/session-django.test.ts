// The Apache-level differential matrix of AuthType DjangoSession against real Django 3.2: sessions made by
// Django's own login() (the oracle), checked through real Apache, for the db, cached_db, signed_cookies and
// file engines on SQLite, PostgreSQL and MariaDB. One Apache per database with one location per engine; each
// case changes only what it is about (a logout, a password change, ...) and expects what Django's get_user
// would say: 200 for a logged-in user, 401 for an anonymous one.
//
// The oracle's session commands (login, logout, expire_session) are scripts/django/oracle.py's, through
// test/harness/django.ts; SESSION_ORACLE below is the one place that names them.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, type ApacheServer } from "../harness/apache.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { startPostgres } from "../harness/postgres.js";
import { startMariaDB } from "../harness/mariadb.js";
import { trackDirectory } from "../harness/lifecycle.js";
import { djangoSessionLocation } from "../support/httpd-conf.js";

const ENGINES = ["db", "cached_db", "signed_cookies", "file"] as const;
type Engine = (typeof ENGINES)[number];
const SECRET_KEY = "differential matrix key: fifty characters or more, not a secret!";
/** Django's default SESSION_COOKIE_AGE, which both the oracle and the Apache locations keep. */
const COOKIE_AGE = 1209600;

/**
 * The file engine: Django writes each session file with mode 0600 (tempfile.mkstemp) as its own user, here
 * root; the worker reads as httpd's User (www-data). A site using that engine must make the files readable
 * to httpd's User, and so does the matrix: each file goes to group www-data, mode 0640 (its mtime, which
 * Django's expiry reads, unchanged).
 */
function shareSessionFiles(dir: string): void {
  const gid = Number(spawnSync("id", ["-g", "www-data"], { encoding: "utf8" }).stdout.trim());
  for (const name of readdirSync(dir)) {
    chownSync(join(dir, name), 0, gid);
    chmodSync(join(dir, name), 0o640);
  }
}

/** What the matrix needs of the oracle. */
const SESSION_ORACLE = {
  login: async (oracle: DjangoOracle, engine: Engine, username: string, password: string, backend?: string) => {
    const cookie = await oracle.login(engine, username, password, backend === undefined ? {} : { backend });
    if (engine === "file") shareSessionFiles(fileDirOf(oracle));
    return cookie;
  },
  logout: (oracle: DjangoOracle, engine: Engine, cookie: string) => oracle.logout(engine, cookie),
  /**
   * A session past its expiry. signed_cookies keeps no expiry but the cookie's age: Django signs one as if
   * the clock said a moment more than SESSION_COOKIE_AGE ago; the other engines expire the stored session.
   */
  expired: async (oracle: DjangoOracle, engine: Engine, username: string, password: string) => {
    if (engine === "signed_cookies") return oracle.login(engine, username, password, { signedAt: Math.floor(Date.now() / 1000) - COOKIE_AGE - 60 });
    const cookie = await SESSION_ORACLE.login(oracle, engine, username, password);
    await oracle.expireSession(engine, cookie);
    return cookie;
  },
};

interface Database {
  readonly name: string;
  readonly url: string;
  cleanup(): Promise<void>;
}

async function databases(sqliteDir: string): Promise<Database[]> {
  const pg = await startPostgres();
  const maria = await startMariaDB();
  return [
    { name: "SQLite", url: `sqlite://${join(sqliteDir, "db.sqlite3")}`, cleanup: async () => {} },
    { name: "PostgreSQL", url: pg.url, cleanup: () => pg.cleanup() },
    { name: "MariaDB", url: maria.url, cleanup: () => maria.cleanup() },
  ];
}

function location(engine: Engine, databaseUrl: string, keyFile: string, fileDir: string): string {
  return djangoSessionLocation(`/${engine}/`, { databaseUrl, keyFile, engine }, [
    ...(engine === "file" ? [`NodeAuthDjangoOption session_file_path ${fileDir}`] : []),
    "Require valid-user",
  ]);
}

/** Each oracle's SESSION_FILE_PATH. */
const fileDirs = new Map<DjangoOracle, string>();
const fileDirOf = (oracle: DjangoOracle): string => fileDirs.get(oracle) ?? "";

const temp = mkdtempSync("/tmp/anp-session-matrix-");
const untrackTemp = trackDirectory(temp);
const servers: ApacheServer[] = [];
printErrorLogOnFailure(() => servers);
let dbs: Database[] = [];

beforeAll(async () => {
  chmodSync(temp, 0o755);
  const keyDir = join(temp, "key");
  mkdirSync(keyDir, { mode: 0o700 });
  writeFileSync(join(keyDir, "secret_key"), `${SECRET_KEY}\n`, { mode: 0o600 });
  dbs = await databases(join(temp, "sqlite"));
}, 240_000);

afterAll(async () => {
  for (const server of servers) await server.stop();
  for (const db of dbs) await db.cleanup();
  rmSync(temp, { recursive: true, force: true });
  untrackTemp();
}, 120_000);

describe.each(["SQLite", "PostgreSQL", "MariaDB"])("AuthType DjangoSession against Django 3.2 on %s", (name) => {
  test("every engine: 200 with Django's cookie, 401 without, after a logout, set_password, is_active=False, expiry, tampering, an unlisted backend", async () => {
    const db = dbs.find((d) => d.name === name)!;
    if (db.name === "SQLite") mkdirSync(join(temp, "sqlite"), { recursive: true, mode: 0o777 });
    const fileDir = join(temp, `files-${name}`);
    mkdirSync(fileDir, { recursive: true });
    const oracle = await startDjango({ databaseUrl: db.url, env: { DJANGO_SECRET_KEY: SECRET_KEY, DJANGO_SESSION_FILE_PATH: fileDir } });
    fileDirs.set(oracle, fileDir);
    try {
      const keyFile = join(temp, "key", "secret_key");
      const server = await startApache({
        conf: ENGINES.map((engine) => location(engine, db.url, keyFile, fileDir)).join("\n"),
        files: Object.fromEntries(ENGINES.map((engine) => [`${engine}/file.txt`, `${engine} file\n`])),
      });
      servers.push(server);
      if (db.name === "SQLite") execChmod(join(temp, "sqlite"));
      const status = async (engine: Engine, cookie: string | null) =>
        (await server.request(`/${engine}/file.txt`, { headers: cookie === null ? [] : [["Cookie", `sessionid=${cookie}`]] })).status;
      const results: Record<string, Record<string, number>> = {};
      for (const [index, engine] of ENGINES.entries()) {
        const user = `u${index}`;
        await oracle.createUser({ username: user, password: "pw" });
        const fresh = () => SESSION_ORACLE.login(oracle, engine, user, "pw");
        const row: Record<string, number> = {};
        const cookie = await fresh();
        row.cookie = await status(engine, cookie);
        row.none = await status(engine, null);
        row.tampered = await status(engine, `${cookie.slice(0, -1)}${cookie.endsWith("a") ? "b" : "a"}`);
        await SESSION_ORACLE.logout(oracle, engine, cookie);
        // signed_cookies: a logout only clears the browser's copy, in Django too (the cookie stays valid).
        row.logout = await status(engine, cookie);
        const beforePassword = await fresh();
        await oracle.setPassword(user, "pw2");
        row.set_password = await status(engine, beforePassword);
        await oracle.setPassword(user, "pw");
        const beforeInactive = await fresh();
        await oracle.setActive(user, false);
        row.inactive = await status(engine, beforeInactive);
        await oracle.setActive(user, true);
        row.expired = await status(engine, await SESSION_ORACLE.expired(oracle, engine, user, "pw"));
        const otherBackend = await SESSION_ORACLE.login(oracle, engine, user, "pw", "django.contrib.auth.backends.AllowAllUsersModelBackend");
        row.unlisted_backend = await status(engine, otherBackend);
        results[engine] = row;
      }
      const expected = (engine: Engine) => ({
        cookie: 200,
        none: 401,
        tampered: 401,
        logout: engine === "signed_cookies" ? 200 : 401,
        set_password: 401,
        inactive: 401,
        expired: 401,
        unlisted_backend: 401,
      });
      expect(results).toEqual(Object.fromEntries(ENGINES.map((engine) => [engine, expected(engine)])));
    } finally {
      await oracle.close();
    }
  }, 240_000);
});

/** SQLite: www-data's worker reads the database Django (as root) made. */
function execChmod(dir: string): void {
  chmodSync(dir, 0o755);
  chmodSync(join(dir, "db.sqlite3"), 0o644);
}
