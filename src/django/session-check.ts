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

const anonymous = (reason: string): SessionVerdict => ({ kind: "anonymous", reason });

export class SessionCheck {
  readonly #options: SessionCheckOptions;
  readonly #now: () => number;

  constructor(options: SessionCheckOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** get_user's answer for the session whose cookie value is `sessionKey`. */
  async check(sessionKey: string): Promise<SessionVerdict> {
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
    return { kind: "granted", user: name, flags: { isStaff: truthy(row.is_staff), isSuperuser: truthy(row.is_superuser) } };
  }

  /** Step 1: the session dict, per engine. */
  async #load(key: string, settings: SessionSettings): Promise<SessionDecodeResult> {
    if (!isValidSessionKey(key, settings.engine)) return { ok: false, reason: "invalid session key" };
    switch (settings.engine) {
      case "signed_cookies":
        return loadSignedCookieSession(key, settings, Math.floor(this.#now() / 1000));
      case "file":
        return loadFileSession(key, settings, this.#now());
      case "db":
      case "cached_db":
        return this.#loadRow(key, settings);
    }
  }

  /** SessionStore.load of the db engines: the row unexpired at now, its session_data decoded. */
  async #loadRow(key: string, settings: SessionSettings): Promise<SessionDecodeResult> {
    const { database, statements } = this.#options;
    const rows = await database.query(statements.sessionByKey, [key, this.#nowValue(database.dialect.name)]);
    const data = rows[0]?.session_data;
    if (data === undefined) return { ok: false, reason: "no such session, or expired" };
    if (typeof data !== "string") throw new UserRowError("django_session.session_data is not text for this session");
    return decodeSessionData(data, settings);
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

  /** Django's timezone.now() as expire_date's column compares it (queries.ts sessionTimeValue). */
  #nowValue(dialect: "postgres" | "mysql" | "sqlite"): string {
    const now = new Date(this.#now());
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
