// The signed_cookies engine: the cookie value is the session itself, signing.dumps(dict,
// salt="django.contrib.sessions.backends.signed_cookies", compress=True) under SECRET_KEY (not the
// cookie signer's derived key). It is valid while the signature checks and its age is at most
// SESSION_COOKIE_AGE; a per-session set_expiry plays no part in Django's load either.
import { FAILURE_REASONS, loadsSession } from "./payload.js";
import { signatureCheck } from "./signer.js";
import { type SessionDecodeResult, type SessionDict, type SessionSettings } from "./settings.js";

export const SIGNED_COOKIES_SALT = "django.contrib.sessions.backends.signed_cookies";

/** The cookie value -> the dict, its age checked against cookieAge at `nowSeconds`. */
export function loadSignedCookieSession(cookie: string, s: SessionSettings, nowSeconds: number): SessionDecodeResult {
  const check = signatureCheck(s, SIGNED_COOKIES_SALT);
  const loaded = loadsSession(cookie, check, s.cookieAge, nowSeconds);
  return loaded.ok ? { ok: true, session: loaded.value as SessionDict } : { ok: false, reason: FAILURE_REASONS[loaded.failure] };
}
