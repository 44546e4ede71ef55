// The Django session library: what the worker needs to decide, read-only, whether a session cookie is a
// logged-in user, as Django 3.2 to 6.1 would (docs/django.md, "Sessions: what the worker checks"). It
// imports only the errors module and Node's built-ins (eslint.config.js LAYERS).
export type { SessionBackend, SessionDecodeResult, SessionDict, SessionEngine, SessionSettings, VersionRules } from "./settings.js";
export { SESSION_ENGINES, checkSessionSettings, signingKeys, versionRules } from "./settings.js";
export { sign, signatureCheck, timestampSign, timestampUnsign, unsign, type SignatureCheck, type UnsignFailure, type UnsignResult } from "./signer.js";
export { FAILURE_REASONS, decodePayload, dumps, loads, type LoadsFailure, type LoadsResult } from "./payload.js";
export { base64Hmac, constantTimeEqualText, saltedHmac, type HashAlgorithm } from "./crypto.js";
export { base62Decode, base62Encode } from "./base62.js";
export { inflateBounded } from "./inflate.js";
export { parseJsonSafe, pythonJsonDumps } from "./json.js";
export { DB_SESSION_SALT, LEGACY_SESSION_KEY_SALT, decodeSessionData } from "./session-data.js";
export { SIGNED_COOKIES_SALT, loadSignedCookieSession } from "./signed-cookies.js";
export { expiryAgeSeconds, loadFileSession, sessionFilePath } from "./file.js";
export {
  BACKEND_SESSION_KEY,
  HASH_SESSION_KEY,
  MAX_SESSION_KEY_CHARS,
  SESSION_AUTH_HASH_SALT,
  SESSION_KEY,
  backendAdmits,
  isValidSessionKey,
  sessionAuthHash,
  sessionHashMatches,
  sessionLogin,
} from "./auth.js";
export { MAX_INFLATED_SESSION_BYTES } from "./inflate.js";
export { MAX_ENCODED_SESSION_CHARS } from "./payload.js";
