// The file engine (loadFileSession) on real files in a temporary directory: Django's key rule checked
// before any path is made, no symlink followed, only a regular file of bounded size read, and expiry as
// Django's file engine computes it (the stored _session_expiry, else the file's mtime plus the cookie age).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DB_SESSION_SALT, MAX_ENCODED_SESSION_CHARS, dumps, loadFileSession, sessionFilePath, type SessionSettings } from "../../src/django/session/index.js";
import { defaultSessionSettings } from "../support/session-settings.js";

const work = mkdtempSync(join(tmpdir(), "anp-session-file-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SECRET = "file-engine-secret-key";
const NOW_MS = 1_735_689_600_000;
const LOGIN = { _auth_user_id: "42", _auth_user_backend: "django.contrib.auth.backends.ModelBackend", _auth_user_hash: "x" };

let dirCount = 0;
function settingsFor(overrides: Partial<SessionSettings> = {}): SessionSettings {
  const dir = join(work, `store-${dirCount++}`);
  mkdirSync(dir);
  return defaultSessionSettings(SECRET, {
    engine: "file",
    filePath: dir,
    backends: [{ path: LOGIN._auth_user_backend, allowsInactive: false }],
    ...overrides,
  });
}

/** Writes the session file for `key` as Django would, with the given mtime (ms). */
function writeSession(s: SessionSettings, key: string, session: unknown, mtimeMs = NOW_MS, secret = SECRET): string {
  const path = join(s.filePath!, s.cookieName + key);
  writeFileSync(path, dumps(session, secret, DB_SESSION_SALT, true, mtimeMs / 1000));
  utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
  return path;
}

const KEY = "abcdefghijklmnopqrstuvwxyz012345";

describe("file sessions: reading", () => {
  it("loads a valid session file", async () => {
    const s = settingsFor();
    writeSession(s, KEY, LOGIN);
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: true, session: LOGIN });
  });

  it("answers no such session for a missing file", async () => {
    expect(await loadFileSession(KEY, settingsFor(), NOW_MS)).toEqual({ ok: false, reason: "no such session" });
  });

  it("refuses a file signed with another key", async () => {
    const s = settingsFor();
    writeSession(s, KEY, LOGIN, NOW_MS, "another-key");
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "bad signature" });
  });

  it("treats an empty file (Django's placeholder) as no session", async () => {
    const s = settingsFor();
    writeFileSync(join(s.filePath!, s.cookieName + KEY), "");
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "empty session file" });
  });

  it("refuses a file with a non-ASCII byte, as Django's ASCII read fails", async () => {
    const s = settingsFor();
    const path = writeSession(s, KEY, LOGIN);
    writeFileSync(path, Buffer.concat([Buffer.from("\xe9", "latin1"), Buffer.from(dumps(LOGIN, SECRET, DB_SESSION_SALT, true, NOW_MS / 1000))]));
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "session file is not ASCII" });
  });

  it("refuses a file larger than the bound without reading it", async () => {
    const s = settingsFor();
    const path = join(s.filePath!, s.cookieName + KEY);
    writeFileSync(path, "");
    truncateSync(path, MAX_ENCODED_SESSION_CHARS + 1);
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "session data too large" });
  });
});

describe("file sessions: no path tricks", () => {
  it("refuses a symlink in place of the session file, even to a valid session", async () => {
    const s = settingsFor();
    const real = writeSession(s, "zzzzzzzzzzzzzzzz", LOGIN);
    symlinkSync(real, join(s.filePath!, s.cookieName + KEY));
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "session file is a symlink" });
  });

  it("refuses a directory in place of the session file", async () => {
    const s = settingsFor();
    mkdirSync(join(s.filePath!, s.cookieName + KEY));
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "session file is not a regular file" });
  });

  it("refuses a key that would climb out of the store, though a valid session waits there", async () => {
    const s = settingsFor();
    // <store>/sessionid/../victimsession resolves to <store>/victimsession, which holds a valid session.
    mkdirSync(join(s.filePath!, "sessionid"));
    writeFileSync(join(s.filePath!, "victimsession"), dumps(LOGIN, SECRET, DB_SESSION_SALT, true, NOW_MS / 1000));
    expect(await loadFileSession("/../victimsession", s, NOW_MS)).toEqual({ ok: false, reason: "invalid session key" });
  });

  it.each([
    ["a slash", "abcdefgh/ijkl"],
    ["a parent reference", "..abcdefgh"],
    ["a NUL", "abcdefgh\u0000ijkl"],
    ["upper case", "ABCDEFGHIJKL"],
    ["fewer than 8 characters", "abcdefg"],
    ["a dot", "abcdefgh.ijkl"],
  ])("makes no path for a key with %s", (_name, key) => {
    expect(sessionFilePath(key, settingsFor())).toBeNull();
  });

  it.each([["a slash", "session/id"], ["a NUL", "session\u0000id"], ["a space (not a cookie token)", "session id"]])("makes no path for a cookie name with %s", (_name, cookieName) => {
    expect(sessionFilePath(KEY, settingsFor({ cookieName }))).toBeNull();
  });

  it("makes <SESSION_FILE_PATH>/<cookie name><key>", () => {
    const s = settingsFor({ cookieName: "appsession" });
    expect(sessionFilePath(KEY, s)).toBe(join(s.filePath!, `appsession${KEY}`));
  });
});

describe("file sessions: expiry as Django computes it", () => {
  const AGE = 1_209_600;

  it("without _session_expiry: valid until mtime + SESSION_COOKIE_AGE, whole seconds rounded down", async () => {
    const s = settingsFor();
    writeSession(s, KEY, LOGIN, NOW_MS - AGE * 1000 + 1500);
    expect((await loadFileSession(KEY, s, NOW_MS)).ok).toBe(true);
    writeSession(s, KEY, LOGIN, NOW_MS - AGE * 1000 + 999);
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "expired" });
    writeSession(s, KEY, LOGIN, NOW_MS - AGE * 1000);
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "expired" });
  });

  it("a number in _session_expiry is the age itself, whatever the mtime (Django's get_expiry_age)", async () => {
    const s = settingsFor();
    writeSession(s, KEY, { ...LOGIN, _session_expiry: 300 }, NOW_MS - 10 * AGE * 1000);
    expect((await loadFileSession(KEY, s, NOW_MS)).ok).toBe(true);
    writeSession(s, KEY, { ...LOGIN, _session_expiry: -1 }, NOW_MS);
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "expired" });
  });

  it("a _session_expiry of 0 falls back to the mtime rule", async () => {
    const s = settingsFor();
    writeSession(s, KEY, { ...LOGIN, _session_expiry: 0 }, NOW_MS - 2 * AGE * 1000);
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "expired" });
  });

  it("an aware ISO time in _session_expiry (5.0 on) is the expiry itself", async () => {
    const s = settingsFor();
    writeSession(s, KEY, { ...LOGIN, _session_expiry: "2025-01-01T00:00:02+00:00" }, NOW_MS - 10 * AGE * 1000);
    expect((await loadFileSession(KEY, s, NOW_MS)).ok).toBe(true);
    writeSession(s, KEY, { ...LOGIN, _session_expiry: "2024-12-31T23:59:59.500000+00:00" }, NOW_MS);
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "expired" });
  });

  it.each([
    ["a naive ISO time (the Django server's zone is unknown here)", "5.2", "2030-01-01T00:00:00"],
    ["an ISO time on 4.2", "4.2", "2030-01-01T00:00:00+00:00"],
    ["a list", "5.2", [1]],
    ["an object", "5.2", { at: 1 }],
  ])("refuses %s in _session_expiry", async (_name, djangoVersion, expiry) => {
    const s = settingsFor({ djangoVersion });
    writeSession(s, KEY, { ...LOGIN, _session_expiry: expiry });
    expect(await loadFileSession(KEY, s, NOW_MS)).toEqual({ ok: false, reason: "unreadable session expiry" });
  });
});
