// The session keys of a `type=django` spec (NodeAuthDjangoOption; native/mod/config.c checks the same values
// with the same messages, test/vectors/django-options.json holds both to them). The secret key itself never
// travels in the spec: secret_key_file names a file httpd's parent reads as root and hands the worker in the
// bootstrap (SECRET_FILE); the handler takes the content from there and never opens the file itself.
import { DjangoConfigError } from "../errors.js";
import { integerOption, onOffOption } from "../option-values.js";
import type { SessionBackend, SessionEngine, SessionSettings } from "./session/index.js";

export const SESSION_KEYS = [
  "secret_key_file",
  "session_engine",
  "session_cookie_name",
  "session_cookie_age",
  "session_file_path",
  "authentication_backends",
  "hashing_algorithm",
  "use_tz",
  "time_zone",
] as const;

export const DEFAULT_SESSION_COOKIE_AGE = 1209600;
export const MAX_SESSION_COOKIE_AGE = 315360000;
export const DEFAULT_AUTHENTICATION_BACKEND = "django.contrib.auth.backends.ModelBackend";
/** Django's backends whose user_can_authenticate admits inactive users; every other is taken as ModelBackend. */
const ALLOW_INACTIVE_BACKENDS = new Set(["django.contrib.auth.backends.AllowAllUsersModelBackend", "django.contrib.auth.backends.AllowAllUsersRemoteUserBackend"]);

/** The session settings of a spec, before the secret's content is known. */
export interface SessionOptions {
  /** The path of secret_key_file; null when the spec names none (then no session can be checked). */
  readonly secretKeyFile: string | null;
  readonly engine: SessionEngine;
  readonly cookieName: string;
  readonly cookieAge: number;
  readonly filePath: string | null;
  readonly backends: readonly SessionBackend[];
  readonly hashingAlgorithm: "sha256" | "sha1";
  /** USE_TZ (default on): django_session.expire_date holds UTC; off: TIME_ZONE's local time (MySQL, SQLite). */
  readonly useTz: boolean;
  /** TIME_ZONE, a tz database name; read only with use_tz off (then required), to know what "now" is there. */
  readonly timeZone: string | null;
}

const ENGINES: readonly string[] = ["db", "cached_db", "signed_cookies", "file"];
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const TIME_ZONE = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/;
const DOTTED_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

function engineOption(value: string | undefined): SessionEngine {
  if (value === undefined) return "db";
  if (value === "cache") {
    throw new DjangoConfigError("session_engine", "the cache engine keeps sessions pickled in a cache server, which cannot be read safely outside Python; use cached_db");
  }
  if (!ENGINES.includes(value)) throw new DjangoConfigError("session_engine", `expected db, cached_db, signed_cookies or file, got "${value}"`);
  return value as SessionEngine;
}

function backendsOption(value: string | undefined): SessionBackend[] {
  // Trimmed of ASCII spaces only, as config.c trims.
  const paths = (value ?? DEFAULT_AUTHENTICATION_BACKEND).split(",").map((piece) => piece.replace(/^ +| +$/g, ""));
  if (paths.some((path) => !DOTTED_PATH.test(path))) {
    throw new DjangoConfigError("authentication_backends", "expected comma-separated dotted paths of backend classes (e.g. django.contrib.auth.backends.ModelBackend)");
  }
  return paths.map((path) => ({ path, allowsInactive: ALLOW_INACTIVE_BACKENDS.has(path) }));
}

function hashingOption(value: string | undefined, djangoVersion: string): "sha256" | "sha1" {
  if (value === undefined) return "sha256";
  if (value !== "sha256" && value !== "sha1") {
    throw new DjangoConfigError("hashing_algorithm", `expected sha256 or sha1 (sha1 with django_version 3.2 only), got "${value}"`);
  }
  // Django 4.0 removed DEFAULT_HASHING_ALGORITHM: sha1 signing exists only in 3.2.
  if (value === "sha1" && djangoVersion !== "3.2") {
    throw new DjangoConfigError("hashing_algorithm", `sha1 is Django 3.2's DEFAULT_HASHING_ALGORITHM only, and django_version is ${djangoVersion}`);
  }
  return value;
}

function absolutePath(key: string, value: string | undefined, message: string): string | null {
  if (value === undefined) return null;
  if (!value.startsWith("/") || (key === "secret_key_file" && value.includes(" "))) throw new DjangoConfigError(key, message);
  return value;
}

function timeZoneOption(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length > 64 || !TIME_ZONE.test(value)) throw new DjangoConfigError("time_zone", "expected a time zone name of the tz database (e.g. Europe/Paris)");
  return value;
}

/** The session keys of `spec`, checked as config.c checks them. */
export function parseSessionOptions(spec: Readonly<Record<string, string | undefined>>, djangoVersion: string): SessionOptions {
  const cookieName = spec["session_cookie_name"] ?? "sessionid";
  if (!COOKIE_NAME.test(cookieName)) throw new DjangoConfigError("session_cookie_name", "expected a cookie name (letters, digits and !#$%&'*+-.^_`|~)");
  return {
    secretKeyFile: absolutePath(
      "secret_key_file",
      spec["secret_key_file"],
      "expected an absolute path without spaces (a file only root can read: SECRET_KEY on its first line, SECRET_KEY_FALLBACKS on the next ones)",
    ),
    engine: engineOption(spec["session_engine"]),
    cookieName,
    cookieAge: integerOption("session_cookie_age", spec["session_cookie_age"], DEFAULT_SESSION_COOKIE_AGE, 1, MAX_SESSION_COOKIE_AGE),
    filePath: absolutePath("session_file_path", spec["session_file_path"], "expected an absolute path"),
    backends: backendsOption(spec["authentication_backends"]),
    hashingAlgorithm: hashingOption(spec["hashing_algorithm"], djangoVersion),
    useTz: onOffOption("use_tz", spec["use_tz"], true),
    timeZone: timeZoneOption(spec["time_zone"]),
  };
}

/**
 * The secret_key_file content as httpd's parent read it: SECRET_KEY on the first line, each further
 * non-empty line one of SECRET_KEY_FALLBACKS. Throws naming the key, never quoting the content.
 */
export function parseSecretKeys(content: string): { secretKey: string; fallbackKeys: string[] } {
  const lines = content.split(/\r?\n/);
  const secretKey = lines[0] ?? "";
  if (secretKey === "") throw new DjangoConfigError("secret_key_file", "its first line (the SECRET_KEY) is empty");
  return { secretKey, fallbackKeys: lines.slice(1).filter((line) => line !== "") };
}

/**
 * The settings the session library needs, or a reason why sessions cannot be checked with this spec (no
 * secret_key_file, or its content not handed over by httpd's parent: a worker started without bootstrap).
 */
export function sessionSettings(options: SessionOptions, djangoVersion: string, secretFiles: ReadonlyMap<string, string> | null): SessionSettings | string {
  if (options.secretKeyFile === null) return "no secret_key_file in this handler's options: sessions cannot be checked";
  const content = secretFiles?.get(options.secretKeyFile);
  if (content === undefined) return "secret_key_file was not passed by httpd's parent (the worker never reads it itself)";
  checkTimeZone(options);
  const { secretKey, fallbackKeys } = parseSecretKeys(content);
  return {
    secretKey,
    fallbackKeys,
    djangoVersion,
    hashingAlgorithm: options.hashingAlgorithm,
    engine: options.engine,
    cookieName: options.cookieName,
    cookieAge: options.cookieAge,
    filePath: options.filePath,
    backends: options.backends,
  };
}

/**
 * With use_tz off Django stores expire_date as TIME_ZONE's local time, so the zone must be named (config.c
 * refuses the same at configtest) and be one this Node knows; with use_tz on it is not read.
 */
function checkTimeZone(options: SessionOptions): void {
  if (options.useTz) return;
  if (options.timeZone === null) throw new DjangoConfigError("use_tz", "off stores session expiry in TIME_ZONE's local time: set time_zone to the site's TIME_ZONE");
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: options.timeZone });
  } catch {
    throw new DjangoConfigError("time_zone", `"${options.timeZone}" is not a time zone this worker's Node knows`);
  }
}
