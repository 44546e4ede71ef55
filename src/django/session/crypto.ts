// Django's MAC primitives (django.utils.crypto.salted_hmac, django.core.signing's base64 forms) and a
// constant-time comparison of texts, as Django compares signatures and session auth hashes: as the
// text itself, so two texts that decode to the same bytes but differ (base64's unused low bits) differ.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type HashAlgorithm = "sha256" | "sha1";

/** salted_hmac: the HMAC key is H(keySalt + secret), the message is `value`, both UTF-8. */
export function saltedHmac(keySalt: string, value: string | Uint8Array, secret: string, algorithm: HashAlgorithm): Buffer {
  const key = createHash(algorithm).update(keySalt + secret, "utf8").digest();
  const hmac = createHmac(algorithm, key);
  return (typeof value === "string" ? hmac.update(value, "utf8") : hmac.update(value)).digest();
}

/** URL-safe base64 without the trailing '='. */
export function base64urlEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

/**
 * URL-safe base64 without padding, to bytes; null for anything else. Stricter than Python's decoder
 * (which skips stray characters): Django only ever writes the clean form, and whatever reaches here
 * has already passed the MAC.
 */
export function base64urlDecode(text: string): Buffer | null {
  if (!BASE64URL_RE.test(text) || text.length % 4 === 1) return null;
  return Buffer.from(text, "base64url");
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with its padding, to bytes; null for anything else. */
export function base64Decode(text: string): Buffer | null {
  return BASE64_RE.test(text) ? Buffer.from(text, "base64") : null;
}

/** Equal texts, in time that depends on their lengths only (Python's hmac.compare_digest on UTF-8). */
export function constantTimeEqualText(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** The signature text Django's Signer puts after the last ':' for `value`. */
export function base64Hmac(salt: string, value: string, key: string, algorithm: HashAlgorithm): string {
  return base64urlEncode(saltedHmac(salt, value, key, algorithm));
}

// A lone surrogate has no UTF-8 form: Node would write U+FFFD for it, Python would refuse it, so a
// text with one could be made to sign-check as another text. Such input is refused before any MAC.
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE_RE.test(text);
}
