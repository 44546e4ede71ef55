// What the session library is told about the Django project, and what each Django series does with it.
// The rules that differ by version (3.2's SHA-1 leniencies, 4.1's SECRET_KEY_FALLBACKS) are decided here
// once, so the signing and session code asks "may I" instead of comparing version strings.
import { DjangoConfigError } from "../../errors.js";

export type SessionEngine = "db" | "cached_db" | "signed_cookies" | "file";
export const SESSION_ENGINES: readonly SessionEngine[] = ["db", "cached_db", "signed_cookies", "file"];

/** An AUTHENTICATION_BACKENDS entry that may log a session in; `allowsInactive` as Django's class defines. */
export interface SessionBackend {
  path: string;
  allowsInactive: boolean;
}

export interface SessionSettings {
  /** SECRET_KEY. */
  secretKey: string;
  /** SECRET_KEY_FALLBACKS, honoured only for django_version >= 4.1. */
  fallbackKeys: readonly string[];
  /** As the django_version option: '3.2' | '4.0' | ... | '6.1'. */
  djangoVersion: string;
  /** 3.2's DEFAULT_HASHING_ALGORITHM; must be 'sha256' from 4.0 on. */
  hashingAlgorithm: "sha256" | "sha1";
  engine: SessionEngine;
  /** SESSION_COOKIE_NAME (default 'sessionid'). */
  cookieName: string;
  /** SESSION_COOKIE_AGE in seconds (default 1209600). */
  cookieAge: number;
  /** SESSION_FILE_PATH (engine 'file'). */
  filePath: string | null;
  /** AUTHENTICATION_BACKENDS that may log a session in. */
  backends: readonly SessionBackend[];
}

/** A decoded session: a null-prototype object, so keys such as `__proto__` are plain data. */
export type SessionDict = Readonly<Record<string, unknown>>;

/** The reason is a short log text: never a key, never session content. */
export type SessionDecodeResult = { ok: true; session: SessionDict } | { ok: false; reason: string };

/** The version-dependent rules, derived once from the settings. */
export interface VersionRules {
  /** The algorithm new signatures and session auth hashes use (3.2: DEFAULT_HASHING_ALGORITHM). */
  algorithm: "sha256" | "sha1";
  /** 3.2: a SHA-1 signature or session auth hash is accepted beside the configured algorithm. */
  legacySha1: boolean;
  /** 3.2: session data that fails the signature is tried in the pre-3.1 format. */
  legacySessionFormat: boolean;
  /**
   * A text _session_expiry (set_expiry's datetime as isoformat) is read as a time. Taken from 5.0 on, the
   * first series this library is sure reads it; where an older series would fail on it, so does this check.
   */
  isoExpiry: boolean;
  /** SECRET_KEY_FALLBACKS (and Signer's fallback_keys) exist: 4.1 on. */
  fallbacks: boolean;
  /** The keys tried, in order: SECRET_KEY, then SECRET_KEY_FALLBACKS from 4.1 on. */
  keys: readonly string[];
}

const VERSION_RE = /^(\d+)\.(\d+)$/;
/** The oldest series the worker models; the newest is whatever the option parser admits. */
const OLDEST: readonly [number, number] = [3, 2];

function parseVersion(version: string): [number, number] {
  const m = VERSION_RE.exec(version);
  if (!m) throw new DjangoConfigError("django_version", `expected MAJOR.MINOR, got ${JSON.stringify(version)}`);
  const parsed: [number, number] = [Number(m[1]), Number(m[2])];
  if (compare(parsed, OLDEST) < 0) throw new DjangoConfigError("django_version", `sessions of Django ${version} are not supported (3.2 or later)`);
  return parsed;
}

function compare(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/** The rules for `s`; throws DjangoConfigError for settings no Django version has. */
export function versionRules(s: SessionSettings): VersionRules {
  const version = parseVersion(s.djangoVersion);
  const is32 = compare(version, [3, 2]) === 0;
  if (s.hashingAlgorithm !== "sha256" && !(is32 && s.hashingAlgorithm === "sha1")) {
    throw new DjangoConfigError("hashing_algorithm", "sha1 exists only as Django 3.2's DEFAULT_HASHING_ALGORITHM");
  }
  const fallbacks = compare(version, [4, 1]) >= 0;
  return {
    algorithm: s.hashingAlgorithm,
    legacySha1: is32,
    legacySessionFormat: is32,
    isoExpiry: compare(version, [5, 0]) >= 0,
    fallbacks,
    keys: fallbacks ? [s.secretKey, ...s.fallbackKeys] : [s.secretKey],
  };
}

/**
 * Checks settings once, when a handler is made, so a request never meets a configuration error:
 * the version and algorithm, a non-empty SECRET_KEY, the engine, the cookie age, a file path for the
 * file engine, and at least one backend.
 */
export function checkSessionSettings(s: SessionSettings): void {
  versionRules(s);
  if (s.secretKey.length === 0 || s.fallbackKeys.some((k) => k.length === 0)) {
    throw new DjangoConfigError("secret_key_file", "SECRET_KEY and its fallbacks must not be empty");
  }
  if (!SESSION_ENGINES.includes(s.engine)) throw new DjangoConfigError("session_engine", `unknown engine ${JSON.stringify(s.engine)}`);
  if (!Number.isSafeInteger(s.cookieAge)) throw new DjangoConfigError("session_cookie_age", "expected an integer number of seconds");
  if (s.cookieName.length === 0) throw new DjangoConfigError("session_cookie_name", "must not be empty");
  if (s.engine === "file" && (s.filePath === null || !s.filePath.startsWith("/"))) {
    throw new DjangoConfigError("session_file_path", "the file engine needs an absolute SESSION_FILE_PATH");
  }
  if (s.backends.length === 0) throw new DjangoConfigError("authentication_backends", "no backend may log a session in");
}

/**
 * The keys a Signer(key=, fallback_keys=) of this version tries: `key` or SECRET_KEY, then (4.1 on)
 * `fallbackKeys` or SECRET_KEY_FALLBACKS. Sessions always pass neither, so they use the settings' keys.
 */
export function signingKeys(s: SessionSettings, key: string | null = null, fallbackKeys: readonly string[] | null = null): readonly string[] {
  const rules = versionRules(s);
  const first = key || s.secretKey;
  return rules.fallbacks ? [first, ...(fallbackKeys ?? s.fallbackKeys)] : [first];
}
