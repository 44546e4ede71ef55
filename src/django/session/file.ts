// The file engine: one file per session, SESSION_FILE_PATH/<SESSION_COOKIE_NAME><key>, holding the same
// text as the db column. The key is checked against Django's character rule before any path is made,
// the file is opened without following a symlink and without blocking on a FIFO, and only a regular
// file of bounded size is read. Expiry is Django's: the stored _session_expiry, else the file's mtime
// plus SESSION_COOKIE_AGE.
import { constants, promises as fs } from "node:fs";
import { join } from "node:path";
import { isValidSessionKey } from "./auth.js";
import { MAX_ENCODED_SESSION_CHARS } from "./payload.js";
import { decodeSessionData } from "./session-data.js";
import { versionRules, type SessionDecodeResult, type SessionDict, type SessionSettings } from "./settings.js";

/** A cookie name is an RFC 6265 token: it can never hold '/' or NUL, so it cannot move the path. */
const COOKIE_NAME_RE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** The session file's path, or null when the key or the cookie name could move it. */
export function sessionFilePath(key: string, s: SessionSettings): string | null {
  if (!isValidSessionKey(key, "file") || !COOKIE_NAME_RE.test(s.cookieName) || s.filePath === null) return null;
  // A key of 8 or more [a-z0-9] after a token: one path component, never "." or "..".
  return join(s.filePath, s.cookieName + key);
}

type FileRead = { ok: true; text: string; mtimeMs: number } | { ok: false; reason: string };

async function readSessionFile(path: string): Promise<FileRead> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, reason: "no such session" };
    if (code === "ELOOP") return { ok: false, reason: "session file is a symlink" };
    return { ok: false, reason: `session file unreadable (${code ?? "error"})` };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { ok: false, reason: "session file is not a regular file" };
    if (st.size > MAX_ENCODED_SESSION_CHARS) return { ok: false, reason: "session data too large" };
    const bytes = await handle.readFile();
    if (bytes.length > MAX_ENCODED_SESSION_CHARS) return { ok: false, reason: "session data too large" };
    // Django opens the file as ASCII text: any other byte fails its read.
    if (bytes.some((b) => b > 0x7f)) return { ok: false, reason: "session file is not ASCII" };
    return { ok: true, text: bytes.toString("latin1"), mtimeMs: st.mtimeMs };
  } finally {
    await handle.close();
  }
}

/** Reads and checks the session file of `key`; expiry as Django's file engine computes it at `nowMs`. */
export async function loadFileSession(key: string, s: SessionSettings, nowMs: number): Promise<SessionDecodeResult> {
  const rules = versionRules(s);
  const path = sessionFilePath(key, s);
  if (path === null) return { ok: false, reason: "invalid session key" };
  const read = await readSessionFile(path);
  if (!read.ok) return read;
  // An empty file is Django's placeholder while a session is being created: an empty session.
  if (read.text.length === 0) return { ok: false, reason: "empty session file" };
  const decoded = decodeSessionData(read.text, s);
  const session: SessionDict = decoded.ok ? decoded.session : Object.create(null);
  const age = expiryAgeSeconds(Object.hasOwn(session, "_session_expiry") ? session._session_expiry : undefined, read.mtimeMs, nowMs, s.cookieAge, rules.isoExpiry);
  if (age === null) return { ok: false, reason: "unreadable session expiry" };
  if (age <= 0) return { ok: false, reason: "expired" };
  return decoded;
}

/** Python's truthiness for a JSON value. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

// An aware ISO 8601 time as datetime.isoformat() writes it; a naive one is in the Django server's local
// zone, which the worker cannot know, so it is unreadable here.
const AWARE_ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * SessionBase.get_expiry_age as the file engine calls it: a falsy stored expiry means mtime plus the
 * cookie age; a number is the age itself; an ISO text (4.0 on) is a time. Whole seconds rounded down,
 * as timedelta's days * 86400 + seconds; null where Django would fail (another type, a naive time).
 */
export function expiryAgeSeconds(stored: unknown, mtimeMs: number, nowMs: number, cookieAge: number, isoExpiry: boolean): number | null {
  if (!truthy(stored)) return Math.floor((mtimeMs + cookieAge * 1000 - nowMs) / 1000);
  if (typeof stored === "number") return stored;
  if (stored === true) return 1;
  if (typeof stored === "string" && isoExpiry && AWARE_ISO_RE.test(stored)) {
    const at = Date.parse(stored);
    return Number.isNaN(at) ? null : Math.floor((at - nowMs) / 1000);
  }
  return null;
}
