// The db and cached_db engines' session_data column (SessionBase.decode). Both store the same text:
// signing.dumps(dict, salt="django.contrib.sessions.SessionStore", compress=True). Decoding checks no
// age: for these engines expiry is the row's expire_date, which the caller reads with the row.
import { base64Decode, constantTimeEqualText, saltedHmac } from "./crypto.js";
import { isJsonObject, parseJsonSafe } from "./json.js";
import { FAILURE_REASONS, MAX_ENCODED_SESSION_CHARS, loadsSession, looksPickled } from "./payload.js";
import { signatureCheck } from "./signer.js";
import { versionRules, type SessionDecodeResult, type SessionDict, type SessionSettings } from "./settings.js";

/** SessionBase.key_salt for the db and cached_db stores: "django.contrib.sessions." + the class name. */
export const DB_SESSION_SALT = "django.contrib.sessions.SessionStore";
/** The pre-3.1 format's MAC salt: the same words without the dot. */
export const LEGACY_SESSION_KEY_SALT = "django.contrib.sessionsSessionStore";

/** The session_data column -> the dict; a refusal is what Django decodes to {} (or fails on). */
export function decodeSessionData(data: string, s: SessionSettings): SessionDecodeResult {
  const rules = versionRules(s);
  if (data.length > MAX_ENCODED_SESSION_CHARS) return { ok: false, reason: FAILURE_REASONS["too large"] };
  const check = signatureCheck(s, DB_SESSION_SALT);
  // Decoding checks no age: Django's decode passes no max_age.
  const loaded = loadsSession(data, check, null, 0);
  if (loaded.ok) return { ok: true, session: loaded.value as SessionDict };
  // 3.2 tries the pre-3.1 format after any failure of the current one; later versions have no such format.
  if (rules.legacySessionFormat && loaded.failure !== "pickled" && loaded.failure !== "too large") {
    const legacy = decodeLegacySessionData(data, s.secretKey);
    if (legacy.ok || legacy.reason === FAILURE_REASONS.pickled) return legacy;
  }
  return { ok: false, reason: FAILURE_REASONS[loaded.failure] };
}

/**
 * Django 3.2's reading of the pre-3.1 format: base64 of `<40 hex sha1 salted_hmac>:<JSON>`, the MAC
 * made with SECRET_KEY only (3.2 has no fallbacks) and always SHA-1.
 */
export function decodeLegacySessionData(data: string, secretKey: string): SessionDecodeResult {
  const bytes = base64Decode(data);
  if (bytes === null) return { ok: false, reason: FAILURE_REASONS["bad payload"] };
  const colon = bytes.indexOf(0x3a);
  if (colon < 0) return { ok: false, reason: FAILURE_REASONS["bad payload"] };
  const mac = bytes.subarray(0, colon).toString("latin1");
  const serialized = bytes.subarray(colon + 1);
  const expected = saltedHmac(LEGACY_SESSION_KEY_SALT, serialized, secretKey, "sha1").toString("hex");
  if (!constantTimeEqualText(mac, expected)) return { ok: false, reason: FAILURE_REASONS["bad signature"] };
  if (looksPickled(serialized)) return { ok: false, reason: FAILURE_REASONS.pickled };
  const value = parseJsonSafe(serialized.toString("latin1"));
  if (!isJsonObject(value)) return { ok: false, reason: FAILURE_REASONS["bad payload"] };
  return { ok: true, session: value };
}
