// django-defender's lockouts, read from (and, in record mode, written to) the site's own Redis, so a client
// the Django site has blocked is refused by Apache too, on every host, and failures through Apache count
// against the same keys. The rules are django-defender's (defender/utils.py, cited per function below):
//
// - keys: `<prefix>:failed:ip:<ip>` and `<prefix>:failed:username:<user>` are counters, `<prefix>:blocked:ip:<ip>`
//   and `<prefix>:blocked:username:<user>` hold "blocked" while blocked; the user is lowercased
//   (lower_username) after the login form's cut and strip (username_from_request);
// - the check (is_already_locked) reads the blocked keys only, never the counters: blocked by address OR by
//   user, or by address AND user with DEFENDER_LOCK_OUT_BY_IP_AND_USERNAME; a disabled side is never blocked;
// - a failure (record_failed_attempt) increments each enabled side's counter with the cooloff as its TTL
//   (increment_key) and, when the count EXCEEDS the limit, sets that side's blocked key with the cooloff
//   as its TTL (block_ip, block_username); a cooloff of 0 means neither expires;
// - a success (reset_failed_attempts) deletes the user's counter and block, and the address's unless
//   blocks are by address and user (a shared address keeps its block), with defender's approx_lockouts
//   cache entries for them.
//
// Redis down, refusing, or slower than the request's deadline rejects, so the worker answers ERROR (500):
// a lockout store that cannot be read never lets a password be tried.
import { Redis } from "ioredis";
import type { WorkerLogId } from "../log.js";
import { DatabaseError, DeadlineError } from "../errors.js";
import { describeRedis, type DefenderSettings } from "./defender-settings.js";
import { NOT_LOCKED, type CheckOutcome, type ClientInfo, type LockoutDecision, type LockoutPolicy } from "./types.js";

export type DefenderLogLevel = "warn" | "info" | "debug";

export interface DefenderPolicyOptions {
  /** Where events go (the handler's logger); never a password, never the Redis URL's credentials. */
  readonly log?: (level: DefenderLogLevel, id: WorkerLogId, message: string) => void;
  /** Longest wait for one Redis command or connection, whatever the request's own deadline (default 5000 ms). */
  readonly commandTimeoutMs?: number;
}

/** The longest Retry-After the protocol carries; a block with no TTL (cooloff 0) is answered with it. */
const MAX_RETRY_AFTER_SECONDS = 86_400;
/** django-defender's username_from_request keeps the first 255 characters of the form's field. */
const USERNAME_MAX_CHARS = 255;
/** The characters Python's str.strip() removes (str.isspace), which JavaScript's trim() does not all remove. */
const PY_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "gu");

/**
 * The user name as django-defender keys it: the login form's value cut to 255 characters and stripped
 * (username_from_request), then lowercased (lower_username); null when nothing is left, which defender
 * neither counts nor checks.
 */
export function defenderUsername(user: string): string | null {
  const cut = Array.from(user).slice(0, USERNAME_MAX_CHARS).join("");
  const name = cut.replace(PY_STRIP, "").toLowerCase();
  return name === "" ? null : name;
}

/** The Redis keys django-defender uses for `ip` and the keyed user name (get_*_cache_key, get_approx_lockouts_cache_key). */
export function defenderKeys(prefix: string, ip: string, username: string | null) {
  return {
    failedIp: `${prefix}:failed:ip:${ip}`,
    blockedIp: `${prefix}:blocked:ip:${ip}`,
    failedUser: username === null ? null : `${prefix}:failed:username:${username}`,
    blockedUser: username === null ? null : `${prefix}:blocked:username:${username}`,
    approxIp: `${prefix}:approx_lockouts:ip:${ip}:user:`,
    approxUser: username === null ? null : `${prefix}:approx_lockouts:ip::user:${username}`,
    approxBoth: `${prefix}:approx_lockouts:ip:${ip}:user:${username ?? ""}`,
  };
}

/** One blocked key's state as read: whether it blocks (redis-py's GET is truthy), and its PTTL. */
interface BlockState {
  readonly blocked: boolean;
  readonly pttlMs: number;
}

/**
 * is_already_locked over the blocked keys' states (null: that side is disabled or has no user), and how
 * long until the lock lifts: all blocking keys must expire under OR, either one under AND.
 */
export function defenderDecision(settings: DefenderSettings, ip: BlockState | null, user: BlockState | null): LockoutDecision {
  const ipBlocked = ip?.blocked === true;
  const userBlocked = user?.blocked === true;
  const locked = settings.lockoutByIpAndUsername ? ipBlocked && userBlocked : ipBlocked || userBlocked;
  if (!locked) return NOT_LOCKED;
  const waits = [ip, user].filter((s): s is BlockState => s?.blocked === true).map((s) => retryAfterOf(s.pttlMs));
  const seconds = settings.lockoutByIpAndUsername ? Math.min(...waits) : Math.max(...waits);
  // A blocked address refuses every user from it, unless a lock needs the address and the user together.
  const scope = ipBlocked && !settings.lockoutByIpAndUsername ? "address" : "user";
  return { locked: true, retryAfterSeconds: seconds, reason: "defender", scope };
}

/** PTTL: -1 is a key without expiry (cooloff 0: until someone unblocks it), -2 one that just expired. */
function retryAfterOf(pttlMs: number): number {
  if (pttlMs === -1) return MAX_RETRY_AFTER_SECONDS;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(pttlMs / 1000)));
}

export class DefenderPolicy implements LockoutPolicy {
  readonly name = "defender";
  readonly settings: DefenderSettings;
  readonly #redis: Redis;
  readonly #description: string;
  readonly #log: (level: DefenderLogLevel, id: WorkerLogId, message: string) => void;
  /** Whether the current outage has been logged (one warning per outage, not one per reconnect). */
  #reported = false;
  #closed = false;

  constructor(settings: DefenderSettings, options: DefenderPolicyOptions = {}) {
    this.settings = settings;
    this.#description = describeRedis(settings.redis);
    this.#log = options.log ?? (() => {});
    const timeout = options.commandTimeoutMs ?? 5000;
    const { host, port, username, password, db, tls } = settings.redis;
    this.#redis = new Redis({
      host,
      port,
      username,
      password,
      db,
      ...(tls ? { tls: {} } : {}),
      // Made with the handler (apache2 -t makes and closes handlers too): connect on first use only.
      lazyConnect: true,
      // A command waiting for a connection that has just failed fails at once instead of riding out retries.
      maxRetriesPerRequest: 0,
      commandTimeout: timeout,
      connectTimeout: timeout,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.#redis.on("error", (error: Error) => {
      if (this.#reported || this.#closed) return;
      this.#reported = true;
      this.#log("warn", "ANP0644", `django-defender: Redis ${this.#description}: ${error.message}`);
    });
    this.#redis.on("ready", () => {
      this.#reported = false;
    });
  }

  /** Where the keys are read from, without credentials. */
  get description(): string {
    return this.#description;
  }

  async check(client: ClientInfo, user: string, signal: AbortSignal): Promise<LockoutDecision> {
    const { disableIpLockout, disableUsernameLockout, prefix } = this.settings;
    const keys = defenderKeys(prefix, client.ip, defenderUsername(user));
    const ipKey = disableIpLockout ? null : keys.blockedIp;
    const userKey = disableUsernameLockout ? null : keys.blockedUser;
    const wanted = [ipKey, userKey].filter((key): key is string => key !== null);
    if (wanted.length === 0) return NOT_LOCKED;
    const transaction = this.#redis.multi();
    for (const key of wanted) transaction.get(key).pttl(key);
    const replies = await this.#exec(transaction, signal);
    const states = wanted.map((_, i) => ({ blocked: truthy(replies[2 * i]), pttlMs: Number(replies[2 * i + 1]) }));
    const ipState = ipKey === null ? null : (states.shift() ?? null);
    const userState = userKey === null ? null : (states.shift() ?? null);
    return defenderDecision(this.settings, ipState, userState);
  }

  async record(client: ClientInfo, user: string, outcome: CheckOutcome, signal: AbortSignal): Promise<void> {
    if (this.settings.mode !== "record") return;
    const keys = defenderKeys(this.settings.prefix, client.ip, defenderUsername(user));
    if (outcome === "granted") {
      await this.#reset(keys, signal);
    } else {
      await this.#fail(keys, client.ip, user, signal);
    }
  }

  /** reset_failed_attempts (with unblock_ip, unblock_username): one transaction, as defender's pipeline. */
  async #reset(keys: ReturnType<typeof defenderKeys>, signal: AbortSignal): Promise<void> {
    const transaction = this.#redis.multi();
    if (!this.settings.lockoutByIpAndUsername) transaction.del(keys.failedIp, keys.blockedIp, keys.approxIp);
    if (keys.failedUser !== null && keys.blockedUser !== null && keys.approxUser !== null) {
      transaction.del(keys.failedUser, keys.blockedUser, keys.approxUser);
    }
    transaction.del(keys.approxBoth);
    await this.#exec(transaction, signal);
  }

  /** record_failed_attempt: count each enabled side (increment_key), block the sides past the limit (block_ip, block_username). */
  async #fail(keys: ReturnType<typeof defenderKeys>, ip: string, user: string, signal: AbortSignal): Promise<void> {
    const { disableIpLockout, disableUsernameLockout, cooloffSeconds, failureLimit } = this.settings;
    const sides: Array<{ failed: string; blocked: string; what: string }> = [];
    if (!disableIpLockout) sides.push({ failed: keys.failedIp, blocked: keys.blockedIp, what: `address ${ip}` });
    if (!disableUsernameLockout && keys.failedUser !== null && keys.blockedUser !== null) {
      sides.push({ failed: keys.failedUser, blocked: keys.blockedUser, what: `user ${JSON.stringify(user)}` });
    }
    if (sides.length === 0) return;
    const counting = this.#redis.multi();
    for (const side of sides) {
      counting.incr(side.failed);
      if (cooloffSeconds > 0) counting.expire(side.failed, cooloffSeconds);
    }
    const counts = await this.#exec(counting, signal);
    const perSide = cooloffSeconds > 0 ? 2 : 1;
    const over = sides.filter((_, i) => Number(counts[i * perSide]) > failureLimit);
    if (over.length === 0) return;
    const blocking = this.#redis.multi();
    for (const side of over) {
      if (cooloffSeconds > 0) blocking.set(side.blocked, "blocked", "EX", cooloffSeconds);
      else blocking.set(side.blocked, "blocked");
    }
    await this.#exec(blocking, signal);
    const until = cooloffSeconds > 0 ? new Date(Date.now() + cooloffSeconds * 1000).toISOString() : "unblocked by hand";
    this.#log("info", "ANP0645", `django-defender: blocked ${over.map((side) => side.what).join(" and ")} until ${until} (${this.#description})`);
  }

  /**
   * Runs a transaction within the request's signal. A reply that is an error, a lost connection, a
   * command timeout, or the signal firing first all reject: the caller answers ERROR.
   */
  async #exec(transaction: ReturnType<Redis["multi"]>, signal: AbortSignal): Promise<unknown[]> {
    if (signal.aborted) throw abortReason(signal);
    const running = transaction.exec();
    // Whatever loses the race below must not surface later as an unhandled rejection.
    running.catch(() => {});
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortReason(signal));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const results = await Promise.race([running, aborted]);
      if (results === null) throw new DatabaseError(`django-defender: Redis ${this.#description}: transaction aborted`);
      return results.map(([error, value]) => {
        if (error) throw this.#failure(error);
        return value;
      });
    } catch (error) {
      if (error instanceof DatabaseError || error instanceof DeadlineError || error === signal.reason) throw error;
      throw this.#failure(error as Error);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    }
  }

  #failure(error: Error): DatabaseError {
    const code = (error as { code?: unknown }).code;
    return new DatabaseError(`django-defender: Redis ${this.#description}: ${error.message}`, {
      cause: error,
      ...(typeof code === "string" ? { driverCode: code } : {}),
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // disconnect, not quit: quit waits for Redis's answer, which a hung Redis never sends.
    this.#redis.disconnect();
  }
}

/** redis-py's GET is truthy for any non-empty value. */
function truthy(value: unknown): boolean {
  return typeof value === "string" ? value !== "" : value !== null && value !== undefined;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DeadlineError();
}
