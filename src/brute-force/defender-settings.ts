// django-defender's settings as NodeAuthDjangoOption keys (the `defender*` keys of a type=django spec), each
// named after the DEFENDER_* setting it mirrors and defaulting as django-defender's defender/config.py does,
// so an operator copies the site's values across. Problems are DjangoConfigErrors naming the key, worded as
// native/mod/config.c words them (test/vectors/django-options.json holds both sides to it). A URL is never
// quoted back: it may hold the Redis password.
import { DjangoConfigError } from "../errors.js";
import { integerOption, onOffOption } from "../option-values.js";

/** The spec keys this file reads; src/django/config.ts admits them and config.c's option table lists them. */
export const DEFENDER_SPEC_KEYS = [
  "defender",
  "defender_redis_url",
  "defender_login_failure_limit",
  "defender_cooloff_time",
  "defender_cache_prefix",
  "defender_lockout_by_ip_and_username",
  "defender_disable_ip_lockout",
  "defender_disable_username_lockout",
] as const;

/** honour: refuse whom the site's django-defender has blocked; record: that, and count Apache's failures too. */
export type DefenderMode = "honour" | "record";

/** Where the site's Redis is: what redis-py's from_url takes from a redis:// or rediss:// URL. */
export interface RedisLocation {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  /** rediss://: TLS, the server's certificate checked against Node's public CAs. */
  readonly tls: boolean;
}

export interface DefenderSettings {
  readonly mode: DefenderMode;
  readonly redis: RedisLocation;
  /** DEFENDER_LOGIN_FAILURE_LIMIT: blocked when a counter EXCEEDS this (the limit-th failure is still allowed). */
  readonly failureLimit: number;
  /** DEFENDER_COOLOFF_TIME in seconds: the counters' and the blocks' TTL; 0: neither expires. */
  readonly cooloffSeconds: number;
  /** DEFENDER_CACHE_PREFIX. */
  readonly prefix: string;
  /** DEFENDER_LOCK_OUT_BY_IP_AND_USERNAME: blocked only when the address AND the user are. */
  readonly lockoutByIpAndUsername: boolean;
  /** DEFENDER_DISABLE_IP_LOCKOUT. */
  readonly disableIpLockout: boolean;
  /** DEFENDER_DISABLE_USERNAME_LOCKOUT. */
  readonly disableUsernameLockout: boolean;
}

/** django-defender's own default (its README: DEFENDER_REDIS_URL). */
export const DEFAULT_DEFENDER_REDIS_URL = "redis://localhost:6379/0";
export const DEFAULT_DEFENDER_FAILURE_LIMIT = 3;
export const DEFAULT_DEFENDER_COOLOFF_SECONDS = 300;
export const DEFAULT_DEFENDER_PREFIX = "defender";
export const MAX_DEFENDER_FAILURE_LIMIT = 1_000_000;
/** A year: far past any sensible cooloff, and inside what the module's integer check reads (9 digits). */
export const MAX_DEFENDER_COOLOFF_SECONDS = 31_536_000;

const URL_PROBLEM = "expected a redis:// or rediss:// URL, or file:/abs/path of a file that holds one";
const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const PREFIX_PROBLEM = "expected 1 to 64 characters from A-Z a-z 0-9 _ . : -";

/** The defender settings of a type=django spec; null when `defender` is off or absent (the other keys are still checked). */
export function parseDefenderSpec(spec: Readonly<Record<string, string>>): DefenderSettings | null {
  const mode = parseMode(spec.defender);
  const settings: DefenderSettings = {
    mode: mode ?? "honour",
    redis: parseRedisUrl(spec.defender_redis_url ?? DEFAULT_DEFENDER_REDIS_URL),
    failureLimit: integerOption("defender_login_failure_limit", spec.defender_login_failure_limit, DEFAULT_DEFENDER_FAILURE_LIMIT, 0, MAX_DEFENDER_FAILURE_LIMIT),
    cooloffSeconds: integerOption("defender_cooloff_time", spec.defender_cooloff_time, DEFAULT_DEFENDER_COOLOFF_SECONDS, 0, MAX_DEFENDER_COOLOFF_SECONDS),
    prefix: parsePrefix(spec.defender_cache_prefix),
    lockoutByIpAndUsername: onOffOption("defender_lockout_by_ip_and_username", spec.defender_lockout_by_ip_and_username, false),
    disableIpLockout: onOffOption("defender_disable_ip_lockout", spec.defender_disable_ip_lockout, false),
    disableUsernameLockout: onOffOption("defender_disable_username_lockout", spec.defender_disable_username_lockout, false),
  };
  return mode === null ? null : settings;
}

function parseMode(value: string | undefined): DefenderMode | null {
  if (value === undefined || value === "off") return null;
  if (value === "honour" || value === "record") return value;
  throw new DjangoConfigError("defender", `expected off, honour or record, got "${value}"`);
}

/**
 * redis://[[user]:password@]host[:port][/db] and rediss://, as redis-py's from_url reads them (the password
 * percent-decoded). A `file:` value never reaches here: the worker puts the file's content in its place
 * (docs/protocol.md, "Bootstrap"). Query parameters are refused rather than half-honoured.
 */
export function parseRedisUrl(text: string): RedisLocation {
  const key = "defender_redis_url";
  if (!/^rediss?:\/\//i.test(text) || hasSpaceOrControl(text)) throw new DjangoConfigError(key, URL_PROBLEM);
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new DjangoConfigError(key, URL_PROBLEM, { cause: error });
  }
  if (url.search !== "" || url.hash !== "") throw new DjangoConfigError(key, "the URL takes no parameters");
  const host = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new DjangoConfigError(key, "the URL names no host");
  const port = url.port === "" ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, "");
  if (!/^\d{0,5}$/.test(path) || Number(path) > 65535) throw new DjangoConfigError(key, "the URL's path must be a database number (/0, /1, ...)");
  return {
    host,
    port,
    username: url.username === "" ? undefined : decodeURIComponent(url.username),
    password: url.password === "" ? undefined : decodeURIComponent(url.password),
    db: path === "" ? 0 : Number(path),
    tls: url.protocol.toLowerCase() === "rediss:",
  };
}

/** Where the Redis is, for logs and reasons: never the user name or password. */
export function describeRedis(location: RedisLocation): string {
  const host = location.host.includes(":") ? `[${location.host}]` : location.host;
  return `${location.tls ? "rediss" : "redis"}://${host}:${location.port}/${location.db}`;
}

function hasSpaceOrControl(text: string): boolean {
  return [...text].some((c) => c.codePointAt(0)! <= 0x20 || c === "\x7f" || /\s/.test(c));
}

function parsePrefix(value: string | undefined): string {
  if (value === undefined) return DEFAULT_DEFENDER_PREFIX;
  if (!PREFIX_PATTERN.test(value)) throw new DjangoConfigError("defender_cache_prefix", PREFIX_PROBLEM);
  return value;
}
