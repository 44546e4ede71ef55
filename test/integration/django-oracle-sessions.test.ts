// The oracle's session commands are real Django: a session made by `login` is one Django's get_user
// admits, and logout, expiry, a changed password or a deactivated user make Django see it anonymous.
// Also checks where the sessions land (the django_session row, the session file) and that the oracle
// takes its secret key and file path from the environment.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DjangoOracleError, startDjango, type DjangoOracle, type DjangoSessionEngine } from "../harness/django.js";

const MODEL = "django.contrib.auth.backends.ModelBackend";
const ALL_USERS = "django.contrib.auth.backends.AllowAllUsersModelBackend";
const ENGINES: readonly DjangoSessionEngine[] = ["db", "cached_db", "signed_cookies", "file"];
const SECRET = "oracle sessions test key";

const dir = mkdtempSync("/tmp/anp-oracle-sessions-");
const sessionDir = join(dir, "sessions");
const databaseUrl = `sqlite://${join(dir, "db.sqlite3")}`;
let oracle: DjangoOracle;

beforeAll(async () => {
  mkdirSync(sessionDir);
  oracle = await startDjango({
    databaseUrl,
    pbkdf2Iterations: 10,
    env: { DJANGO_SECRET_KEY: SECRET, DJANGO_SESSION_FILE_PATH: sessionDir },
  });
});
afterAll(async () => {
  await oracle?.close();
  rmSync(dir, { recursive: true, force: true });
});

function sessionRow(key: string): unknown {
  const db = new BetterSqlite3(join(dir, "db.sqlite3"), { readonly: true });
  try {
    return db.prepare("SELECT session_key FROM django_session WHERE session_key = ?").get(key);
  } finally {
    db.close();
  }
}

describe.each(ENGINES)("oracle sessions, engine %s", (engine) => {
  const user = `u-${engine}`;
  beforeAll(async () => {
    await oracle.createUser({ username: user, password: "pw" });
    await oracle.createUser({ username: `${user}-off`, password: "pw", is_active: false });
  });

  it("logs in with the right password only", async () => {
    const cookie = await oracle.login(engine, user, "pw");
    expect(await oracle.sessionUser(engine, cookie)).toBe(user);
    expect(await oracle.sessionUser(engine, `${cookie.slice(0, -2)}xx`)).toBeNull();
    await expect(oracle.login(engine, user, "wrong")).rejects.toBeInstanceOf(DjangoOracleError);
    if (engine === "db" || engine === "cached_db") expect(sessionRow(cookie)).toBeTruthy();
    if (engine === "file") expect(existsSync(join(sessionDir, `sessionid${cookie}`))).toBe(true);
  });

  it("logs an inactive user in through AllowAllUsersModelBackend only; deactivating ends a ModelBackend session", async () => {
    await expect(oracle.login(engine, `${user}-off`, "pw", MODEL)).rejects.toBeInstanceOf(DjangoOracleError);
    const cookie = await oracle.login(engine, `${user}-off`, "pw", ALL_USERS);
    expect(await oracle.sessionUser(engine, cookie)).toBe(`${user}-off`);
    // authenticate() tries the settings' backends in order: ModelBackend refuses, AllowAllUsersModelBackend admits.
    const anyBackend = await oracle.request<{ backend: string }>("login", { engine, username: `${user}-off`, password: "pw" });
    expect(anyBackend.backend).toBe(ALL_USERS);
    expect((await oracle.request<{ backend: string }>("login", { engine, username: user, password: "pw" })).backend).toBe(MODEL);

    const active = await oracle.login(engine, user, "pw");
    await oracle.setActive(user, false);
    try {
      expect(await oracle.sessionUser(engine, active)).toBeNull();
    } finally {
      await oracle.setActive(user, true);
    }
  });

  it("logout: anonymous (a signed cookie stays valid: Django cannot revoke it)", async () => {
    const cookie = await oracle.login(engine, user, "pw");
    await oracle.logout(engine, cookie);
    expect(await oracle.sessionUser(engine, cookie)).toBe(engine === "signed_cookies" ? user : null);
    if (engine === "db" || engine === "cached_db") expect(sessionRow(cookie)).toBeUndefined();
    if (engine === "file") expect(existsSync(join(sessionDir, `sessionid${cookie}`))).toBe(false);
  });

  it("expiry: anonymous", async () => {
    if (engine === "signed_cookies") {
      const now = Math.floor(Date.now() / 1000);
      const fresh = await oracle.login(engine, user, "pw", { signedAt: now - 3600 });
      expect(await oracle.sessionUser(engine, fresh)).toBe(user);
      const old = await oracle.login(engine, user, "pw", { signedAt: now - 1_209_600 - 60 });
      expect(await oracle.sessionUser(engine, old)).toBeNull();
      await expect(oracle.expireSession(engine, fresh)).rejects.toBeInstanceOf(DjangoOracleError);
      return;
    }
    const cookie = await oracle.login(engine, user, "pw");
    await oracle.expireSession(engine, cookie);
    expect(await oracle.sessionUser(engine, cookie)).toBeNull();
  });

  it("a changed password: anonymous (the session auth hash)", async () => {
    const cookie = await oracle.login(engine, user, "pw");
    await oracle.setPassword(user, "new-pw");
    try {
      expect(await oracle.sessionUser(engine, cookie, { keep: true })).toBeNull();
      if (engine === "db" || engine === "cached_db") expect(sessionRow(cookie)).toBeTruthy();
      expect(await oracle.sessionUser(engine, cookie)).toBeNull();
    } finally {
      await oracle.setPassword(user, "pw");
    }
  });
});

describe("oracle sessions: the secret key comes from DJANGO_SECRET_KEY", () => {
  it("another key rejects a signed cookie, the same key admits it", async () => {
    await oracle.createUser({ username: "keyed", password: "pw" });
    const cookie = await oracle.login("signed_cookies", "keyed", "pw");
    const other = await startDjango({ databaseUrl, pbkdf2Iterations: 10, migrate: false, env: { DJANGO_SECRET_KEY: "another key" } });
    const same = await startDjango({ databaseUrl, pbkdf2Iterations: 10, migrate: false, env: { DJANGO_SECRET_KEY: SECRET } });
    try {
      expect(await other.sessionUser("signed_cookies", cookie)).toBeNull();
      expect(await same.sessionUser("signed_cookies", cookie)).toBe("keyed");
    } finally {
      await other.close();
      await same.close();
    }
  });
});
