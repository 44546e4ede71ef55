// django-axes' database handler, read from the site's own axes_accessattempt table, as a lockout policy
// for Apache Basic requests. The rules are django-axes 5.39's (Debian's python3-django-axes, for Django
// 3.2), the 6.x+ AXES_LOCKOUT_PARAMETERS being another way of writing the same parameters; each rule
// says where it comes from. The state lives in the site's database, so every host checking against it
// (and the Django site itself) sees the same lockouts: this policy is cluster-wide.
//
// An Apache request differs from a Django login in what axes can know about it: its user name is the
// Basic one; the client address is r->useragent_ip (the site must resolve the same one: ipware's proxy
// settings against mod_remoteip's); there is no GET or POST data; and it is never a request for the admin
// site, so AXES_ONLY_ADMIN_SITE (axes protects its admin login only) means axes never locks it.
import { NOT_LOCKED, type CheckOutcome, type ClientInfo, type LockoutDecision, type LockoutPolicy, type LockScope } from "../brute-force/types.js";
import { DatabaseError } from "../errors.js";
import type { Database, Row, SqlValue } from "./database/index.js";
import { buildAxesStatements, parseUtcText, utcText, type AxesStatements } from "./axes-queries.js";
import { normalizeIp, type AxesField, type AxesSettings } from "./axes-settings.js";

/** Retry-After when no cooloff ends the lock (until axes_reset, or a deny-listed address): the most the protocol carries. */
export const AXES_RETRY_AFTER_MAX_SECONDS = 86_400;

/**
 * Whom an axes lock by failures refuses: the whole address only when the lockout parameters are the
 * address alone (5.x: none of AXES_ONLY_USER_FAILURES, AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP,
 * AXES_LOCK_OUT_BY_USER_OR_IP; 6.x+: AXES_LOCKOUT_PARAMETERS = ["ip_address"]). Any other set may lock
 * only some names from the address (or, by user or user agent, not by the address at all), so it is
 * "user", which the module's memo keys by (address, user): never wider than axes.
 */
export function axesLockScope(settings: Pick<AxesSettings, "parameters">): LockScope {
  const only = settings.parameters.length === 1 ? settings.parameters[0] : undefined;
  return only !== undefined && only.length === 1 && only[0] === "ip_address" ? "address" : "user";
}

/** What axes knows of one attempt (axes/handlers/proxy.py update_request), cut to its columns' lengths. */
interface Attempt {
  readonly username: string;
  readonly ip_address: string;
  readonly user_agent: string;
  readonly http_accept: string;
  readonly path_info: string;
}

export interface AxesPolicyOptions {
  /** The Django handler's database (the same pool, the same site). */
  readonly database: Database;
  readonly settings: AxesSettings;
  /** Milliseconds since the epoch; tests pass their own clock. */
  readonly now?: () => number;
}

export class AxesPolicy implements LockoutPolicy {
  readonly name = "axes";
  readonly settings: AxesSettings;
  readonly #database: Database;
  readonly #statements: AxesStatements;
  readonly #now: () => number;

  constructor(options: AxesPolicyOptions) {
    this.settings = options.settings;
    this.#database = options.database;
    this.#now = options.now ?? Date.now;
    this.#statements = buildAxesStatements(options.database.dialect, options.settings.parameters, options.settings.cooloffMs !== null);
  }

  /**
   * axes/handlers/base.py AxesBaseHandler.is_allowed: the admin-site exemption, then the deny list, then
   * the allow list, then is_locked (failures >= AXES_FAILURE_LIMIT for any lockout parameter). In record
   * mode a refused attempt is also a failure, as axes counts it (AxesBackend raises PermissionDenied,
   * authenticate() sends user_login_failed) unless AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off.
   */
  async check(client: ClientInfo, user: string, _signal: AbortSignal): Promise<LockoutDecision> {
    const attempt = attemptOf(client, user);
    const decision = await this.#decide(attempt);
    if (decision.locked && this.settings.mode === "record" && this.settings.resetCoolOffOnFailureDuringLockout) {
      await this.#recordFailure(attempt);
      // The client's own row now carries this attempt's time, and it matches every lockout parameter: the
      // lock ends a whole cooloff from now (a client that waits Retry-After must not find it still running).
      if (this.settings.cooloffMs !== null && decision.retryAfterSeconds !== AXES_RETRY_AFTER_MAX_SECONDS) {
        return { ...decision, retryAfterSeconds: secondsUntilAfter(this.settings.cooloffMs) };
      }
    }
    return decision;
  }

  async #decide(attempt: Attempt): Promise<LockoutDecision> {
    const s = this.settings;
    // base.py is_admin_site: with AXES_ONLY_ADMIN_SITE, a request whose path is not the admin's is allowed.
    if (s.mode === "off" || s.onlyAdminSite) return NOT_LOCKED;
    // A blacklisted address is refused whoever it names.
    if (this.#blacklisted(attempt.ip_address)) return { locked: true, retryAfterSeconds: AXES_RETRY_AFTER_MAX_SECONDS, reason: "axes", scope: "address" };
    if (this.#whitelisted(attempt.ip_address)) return NOT_LOCKED;
    return this.#lockedByFailures(attempt);
  }

  /**
   * handlers/database.py get_failures: the largest per-parameter sum of failures_since_start over the
   * matching rows (attempts.py get_user_attempts: only rows with attempt_time >= now - cooloff when a
   * cooloff is set). Locked when it reaches the limit; the lock ends, at the latest, when the newest
   * matching row leaves the cooloff window.
   */
  async #lockedByFailures(attempt: Attempt): Promise<LockoutDecision> {
    const now = this.#now();
    const threshold = this.settings.cooloffMs === null ? null : utcText(new Date(now - this.settings.cooloffMs));
    const values: SqlValue[] = this.settings.parameters.flatMap((fields) => [
      ...fields.map((field) => attempt[field]),
      ...(threshold === null ? [] : [threshold]),
    ]);
    const rows = await this.#database.query(this.#statements.failures, values);
    let retryAfter = 0;
    for (const row of rows) {
      if (failuresOf(row) < this.settings.failureLimit) continue;
      retryAfter = Math.max(retryAfter, this.#secondsLeft(row, now));
    }
    return retryAfter === 0 ? NOT_LOCKED : { locked: true, retryAfterSeconds: retryAfter, reason: "axes", scope: axesLockScope(this.settings) };
  }

  #secondsLeft(row: Row, now: number): number {
    if (this.settings.cooloffMs === null) return AXES_RETRY_AFTER_MAX_SECONDS;
    const latest = typeof row.latest === "string" ? parseUtcText(row.latest) : null;
    if (latest === null) throw new DatabaseError(`${this.#database.description}: axes_accessattempt.attempt_time unreadable`);
    return secondsUntilAfter(latest.getTime() + this.settings.cooloffMs - now);
  }

  /**
   * Honour mode writes nothing. Record mode: a failure is handlers/database.py user_login_failed, a
   * success user_logged_in (cleaning expired rows, and with AXES_RESET_ON_SUCCESS deleting the rows that
   * match the lockout parameters); no AccessLog row is written for a success.
   */
  async record(client: ClientInfo, user: string, outcome: CheckOutcome, _signal: AbortSignal): Promise<void> {
    if (this.settings.mode !== "record") return;
    const attempt = attemptOf(client, user);
    if (outcome !== "granted") {
      await this.#recordFailure(attempt);
      return;
    }
    await this.#cleanExpired();
    if (this.settings.resetOnSuccess) {
      await this.#database.execute(this.#statements.reset, this.settings.parameters.flatMap((fields) => fields.map((field) => attempt[field])));
    }
  }

  /**
   * handlers/database.py user_login_failed: clean expired rows, skip an allow-listed client, then count
   * the failure on the (username, ip_address, user_agent) row. AXES_ONLY_USER_FAILURES' "no username, no
   * row" cannot happen: a Basic request always names a user.
   */
  async #recordFailure(attempt: Attempt): Promise<void> {
    await this.#cleanExpired();
    if (this.#whitelisted(attempt.ip_address)) return;
    const time = utcText(new Date(this.#now()));
    await this.#database.execute(this.#statements.recordFailure, [
      attempt.username,
      attempt.ip_address,
      attempt.user_agent,
      attempt.http_accept,
      attempt.path_info,
      time,
    ]);
  }

  /** attempts.py clean_expired_user_attempts: without a cooloff, nothing expires. */
  async #cleanExpired(): Promise<void> {
    if (this.settings.cooloffMs === null) return;
    await this.#database.execute(this.#statements.cleanExpired, [utcText(new Date(this.#now() - this.settings.cooloffMs))]);
  }

  /** helpers.py is_client_ip_address_whitelisted (the allow list counts only with one of the two flags). */
  #whitelisted(ip: string): boolean {
    const listed = this.settings.ipWhitelist?.includes(ip) ?? false;
    return listed && (this.settings.neverLockoutWhitelist || this.settings.onlyWhitelist);
  }

  /** helpers.py is_client_ip_address_blacklisted: on the deny list, or AXES_ONLY_WHITELIST and not on the allow list. */
  #blacklisted(ip: string): boolean {
    if (this.settings.ipBlacklist?.includes(ip) ?? false) return true;
    return this.settings.onlyWhitelist && !(this.settings.ipWhitelist?.includes(ip) ?? false);
  }
}

/**
 * helpers.py get_client_user_agent, get_client_path_info, get_client_http_accept: "<unknown>" for a
 * header the request did not carry, and the columns' lengths (255, 255, 1025 characters). The address is
 * written as Django's GenericIPAddressField writes it.
 */
function attemptOf(client: ClientInfo, user: string): Attempt & Record<AxesField, string> {
  return {
    username: user,
    ip_address: normalizeIp(client.ip),
    user_agent: cut(client.userAgent ?? "<unknown>", 255),
    http_accept: cut(client.accept ?? "<unknown>", 1025),
    path_info: cut(client.path ?? "<unknown>", 255),
  };
}

/**
 * Whole seconds until a moment `ms` from now has passed: a row stays counted while attempt_time >= now -
 * cooloff, so the lock ends only after that moment. Within Retry-After's range.
 */
function secondsUntilAfter(ms: number): number {
  return Math.min(AXES_RETRY_AFTER_MAX_SECONDS, Math.max(1, Math.floor(ms / 1000) + 1));
}

/** Python's s[:n]: the first n code points. */
function cut(text: string, length: number): string {
  const points = Array.from(text);
  return points.length <= length ? text : points.slice(0, length).join("");
}

/** SUM(failures_since_start): a bigint as text (pg), a decimal as text (MySQL), a number (SQLite), NULL for no rows. */
function failuresOf(row: Row): number {
  if (row.failures === null || row.failures === undefined) return 0;
  const failures = Number(row.failures);
  if (!Number.isFinite(failures)) throw new DatabaseError(`axes_accessattempt.failures_since_start unreadable`);
  return failures;
}
