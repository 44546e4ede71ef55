// The Django handler's session check (CHECK_SESSION): whether a session cookie is a logged-in user, as
// django.contrib.auth.get_user decides it, read-only:
//   1. the session dict: db / cached_db read django_session's row by key with expire_date after now (for
//      cached_db the row is what Django's cache is filled from and what logout deletes, so it is
//      authoritative); signed_cookies decode the cookie itself; file reads SESSION_FILE_PATH/<name><key>;
//   2. the user id and backend it holds, the backend listed (sessionLogin);
//   3. the user row by primary key (ModelBackend.get_user), admitted by the backend's inactive rule;
//   4. the session auth hash against the row's password field.
// At most two indexed reads (the session row, the user row), no password hashing. A database failure
// rejects (DatabaseError): the worker answers ERROR, never DENIED. Reasons never hold the key or content.
import type { SessionVerdict } from "../handlers/types.js";
import { sessionKeyHash } from "./change-feed/events.js";
import { DjangoConfigError, UserRowError } from "../errors.js";
import { truthy, type Database, type Row } from "./database/index.js";
import type { Statements } from "./queries.js";
import type { UserModelMapping } from "./user-model.js";
import { utcText } from "./axes-queries.js";
import {
  backendAdmits,
  decodeSessionData,
  isValidSessionKey,
  loadFileSession,
  loadSignedCookieSession,
  sessionHashMatches,
  sessionLogin,
  type SessionDecodeResult,
  type SessionSettings,
} from "./session/index.js";

export interface SessionCheckOptions {
  readonly database: Database;
  readonly statements: Pick<Statements, "sessionByKey" | "userById">;
  readonly mapping: UserModelMapping;
  /** The session settings, or why this handler cannot check sessions (then every check is an error). */
  readonly settings: SessionSettings | string;
  /** USE_TZ; with it off, TIME_ZONE (session-options.ts has checked it is set and known). */
  readonly useTz: boolean;
  readonly timeZone: string | null;
  /** The clock (tests); default Date.now. */
  readonly now?: () => number;
}

/**
 * How long a stamped session grant may be kept at most (VALID_FOR, docs/protocol.md "Stamps"). A session ends
 * at its expire_date (or its signed cookie's age) with no change for the feed to report: a db session's grant
 * is kept until a millisecond before its expire_date if that comes sooner, and a signed cookie that ends within
 * this is not stamped at all (the module asks the worker for it every time).
 */
export const SESSION_VALID_FOR_MS = 60_000;

/** What a granted session was read from, for its stamps (the handler's tracker). */
export interface SessionBasis {
  /** The user's primary key as text: the slot the user's changes move. */
  readonly userKey: string;
  /** The change feed's key of the session row (sessionKeyHash); null for a signed cookie, which has no row. */
  readonly sessionKey: string | null;
  /** VALID_FOR: 1..SESSION_VALID_FOR_MS, ending before the session does. */
  readonly validForMs: number;
}

/** A check's verdict, and for a grant that may be stamped (kept 1 ms or more), what it was read from. */
export interface SessionInspection {
  readonly verdict: SessionVerdict;
  readonly basis: SessionBasis | null;
}

/** A session dict, and how long from now it may be kept (0: not at all). */
type LoadedSession = SessionDecodeResult & { readonly validForMs?: number };

const anonymous = (reason: string): SessionInspection => ({ verdict: { kind: "anonymous", reason }, basis: null });

export class SessionCheck {
  readonly #options: SessionCheckOptions;
  readonly #now: () => number;

  constructor(options: SessionCheckOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** get_user's answer for the session whose cookie value is `sessionKey`. */
  async check(sessionKey: string): Promise<SessionVerdict> {
    return (await this.inspect(sessionKey)).verdict;
  }

  /** check's answer, with what a grant was read from when it may be stamped (a file session never is: no feed watches files). */
  async inspect(sessionKey: string): Promise<SessionInspection> {
    const settings = this.#options.settings;
    if (typeof settings === "string") throw new DjangoConfigError("secret_key_file", settings);
    const loaded = await this.#load(sessionKey, settings);
    if (!loaded.ok) return anonymous(loaded.reason);
    const login = sessionLogin(loaded.session, settings);
    if (login === null) return anonymous("no user logged in, or the backend is not listed");
    const row = await this.#userRow(login.userId);
    if (row === null) return anonymous("no such user");
    const password = row.password;
    if (typeof password !== "string") throw new UserRowError(`${this.#options.mapping.userTable}.${this.#options.mapping.passwordColumn} is not text for this user`);
    const isActive = this.#options.mapping.isActiveColumn === null ? null : truthy(row.is_active);
    if (!backendAdmits(login.backend, isActive)) return anonymous("user inactive");
    if (!sessionHashMatches(loaded.session, password, settings)) return anonymous("session auth hash does not match (password changed or another key)");
    const name = row.username;
    if (typeof name !== "string" || name === "") throw new UserRowError(`${this.#options.mapping.userTable}.${this.#options.mapping.usernameColumn} is not text for this user`);
    const verdict: SessionVerdict = { kind: "granted", user: name, flags: { isStaff: truthy(row.is_staff), isSuperuser: truthy(row.is_superuser) } };
    const validForMs = loaded.validForMs ?? 0;
    if (validForMs < 1) return { verdict, basis: null };
    return { verdict, basis: { userKey: login.userId, sessionKey: settings.engine === "signed_cookies" ? null : sessionKeyHash(sessionKey), validForMs } };
  }

  /** Step 1: the session dict, per engine. */
  async #load(key: string, settings: SessionSettings): Promise<LoadedSession> {
    if (!isValidSessionKey(key, settings.engine)) return { ok: false, reason: "invalid session key" };
    switch (settings.engine) {
      case "signed_cookies": {
        const now = this.#now();
        const loaded = loadSignedCookieSession(key, settings, Math.floor(now / 1000));
        // Its age is checked again as of the keeping's end: a cookie that still verifies then outlives it.
        const lasts = loaded.ok && loadSignedCookieSession(key, settings, Math.floor((now + SESSION_VALID_FOR_MS) / 1000)).ok;
        return lasts ? { ...loaded, validForMs: SESSION_VALID_FOR_MS } : loaded;
      }
      case "file":
        return loadFileSession(key, settings, this.#now());
      case "db":
      case "cached_db":
        return this.#loadRow(key, settings);
    }
  }

  /** SessionStore.load of the db engines: the row unexpired at now, its session_data decoded. */
  async #loadRow(key: string, settings: SessionSettings): Promise<LoadedSession> {
    const { database, statements } = this.#options;
    const now = this.#now();
    const dialect = database.dialect.name;
    const at = this.#timeValue(dialect, now);
    const rows = await database.query(statements.sessionByKey, [at, key, at]);
    const data = rows[0]?.session_data;
    if (data === undefined) return { ok: false, reason: "no such session, or expired" };
    if (typeof data !== "string") throw new UserRowError("django_session.session_data is not text for this session");
    const decoded = decodeSessionData(data, settings);
    if (!decoded.ok) return decoded;
    // One millisecond short of the row's end, for the rounding of the database's arithmetic.
    const remaining = Number(rows[0]?.remaining_ms);
    return { ...decoded, validForMs: Number.isFinite(remaining) ? Math.max(0, Math.min(SESSION_VALID_FOR_MS, Math.floor(remaining) - 1)) : 0 };
  }

  /** Step 3's read: the user row by primary key, or null (login() stored str(pk)). */
  async #userRow(userId: string): Promise<Row | null> {
    const rows = await this.#options.database.query(this.#options.statements.userById, [userId]);
    const row = rows[0];
    // A stored id that only converts to a key (MySQL casts "5x" to 5) is not that user's: Django's
    // to_python would refuse it. The row's key as text must be the stored id.
    if (row === undefined || String(row.user_id) !== userId) return null;
    return row;
  }

  /** The instant `ms` (here Django's timezone.now()) as expire_date's column compares it (queries.ts sessionTimeValue). */
  #timeValue(dialect: "postgres" | "mysql" | "sqlite", ms: number): string {
    const now = new Date(ms);
    if (dialect === "postgres") return now.toISOString();
    if (this.#options.useTz || this.#options.timeZone === null) return utcText(now);
    return localText(now, this.#options.timeZone);
  }
}

/** `time` as naive local text in `timeZone`, in utcText's form (str() of a naive datetime, as Django writes it). */
export function localText(time: Date, timeZone: string): string {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const parts = format.formatToParts(time);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? "";
  const millis = String(time.getUTCMilliseconds()).padStart(3, "0");
  const year = part("year").padStart(4, "0");
  return `${year}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")}${millis === "000" ? "" : `.${millis}000`}`;
}
