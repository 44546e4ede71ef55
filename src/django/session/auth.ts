// What makes a session a logged-in user (django.contrib.auth.get_user): the stored user id and backend,
// the backend listed in AUTHENTICATION_BACKENDS, a user the backend admits, and a session auth hash that
// matches the user's password field. Nothing here writes to the session: where Django would rotate a
// fallback-key hash, this check only accepts it.
import { constantTimeEqualText, saltedHmac, type HashAlgorithm } from "./crypto.js";
import { versionRules, type SessionBackend, type SessionDict, type SessionEngine, type SessionSettings } from "./settings.js";

export const SESSION_KEY = "_auth_user_id";
export const BACKEND_SESSION_KEY = "_auth_user_backend";
export const HASH_SESSION_KEY = "_auth_user_hash";
/** AbstractBaseUser.get_session_auth_hash's key salt. */
export const SESSION_AUTH_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";

/** Generated keys are 32 of these; the file engine accepts nothing else in a key. */
const FILE_KEY_RE = /^[a-z0-9]+$/;
/** Printable ASCII: a key with anything else cannot be in the table (and some drivers fail on NUL). */
const DB_KEY_RE = /^[\x21-\x7e]+$/;
/** The longest key looked up at all: django_session.session_key is varchar(40). */
export const MAX_SESSION_KEY_CHARS = 40;

/**
 * SessionBase._validate_session_key: at least 8 characters. The file engine also refuses any character
 * outside [a-z0-9] (its guard against path tricks); the db engines' column holds at most 40 characters,
 * and a key that could not be in it (control characters, non-ASCII) is no session rather than a query.
 * signed_cookies keys are the signed session itself, so only the length floor applies.
 */
export function isValidSessionKey(key: string, engine: SessionEngine): boolean {
  if (key.length < 8) return false;
  if (engine === "file") return FILE_KEY_RE.test(key);
  if (engine === "db" || engine === "cached_db") return key.length <= MAX_SESSION_KEY_CHARS && DB_KEY_RE.test(key);
  return true;
}

/** get_user's steps 1-2: the stored user id and backend, only when that backend is listed. */
export function sessionLogin(d: SessionDict, s: SessionSettings): { userId: string; backend: SessionBackend } | null {
  const userId = Object.hasOwn(d, SESSION_KEY) ? d[SESSION_KEY] : undefined;
  const path = Object.hasOwn(d, BACKEND_SESSION_KEY) ? d[BACKEND_SESSION_KEY] : undefined;
  // login() stores the primary key as a string (str(user.pk)); anything else was not written by it.
  if (typeof userId !== "string" || userId.length === 0 || typeof path !== "string") return null;
  const backend = s.backends.find((b) => b.path === path);
  return backend ? { userId, backend } : null;
}

/** get_session_auth_hash for `passwordField` under `secret`, as hex. */
export function sessionAuthHash(passwordField: string, secret: string, algorithm: HashAlgorithm): string {
  return saltedHmac(SESSION_AUTH_HASH_SALT, passwordField, secret, algorithm).toString("hex");
}

/**
 * get_user's step 4: the stored _auth_user_hash, non-empty, against the hash of the user's password
 * field under SECRET_KEY, then (4.1 on) each fallback key; 3.2 uses DEFAULT_HASHING_ALGORITHM and also
 * accepts the SHA-1 hash, under SECRET_KEY only.
 */
export function sessionHashMatches(d: SessionDict, passwordField: string, s: SessionSettings): boolean {
  const rules = versionRules(s);
  const stored = Object.hasOwn(d, HASH_SESSION_KEY) ? d[HASH_SESSION_KEY] : undefined;
  if (typeof stored !== "string" || stored.length === 0) return false;
  let matched = false;
  // Every candidate is compared, so the time taken does not say which key matched.
  for (const key of rules.keys) {
    if (constantTimeEqualText(stored, sessionAuthHash(passwordField, key, rules.algorithm))) matched = true;
    if (rules.legacySha1 && constantTimeEqualText(stored, sessionAuthHash(passwordField, key, "sha1"))) matched = true;
  }
  return matched;
}

/**
 * get_user's step 3, the part that depends on the backend: may it return this user? ModelBackend
 * refuses an inactive user (`isActive` false); AllowAllUsersModelBackend-style backends do not. A user
 * model without is_active (`isActive` null) counts as active, as ModelBackend's getattr default says.
 */
export function backendAdmits(backend: SessionBackend, isActive: boolean | null): boolean {
  return backend.allowsInactive || isActive !== false;
}
