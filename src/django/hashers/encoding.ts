// Byte-level helpers shared by the hashers: password bytes, Django's random salts, the constant-time
// comparison, and the strict base64 forms Django's formats use.
import { randomInt, timingSafeEqual } from "node:crypto";
import { HasherOptionError } from "../../errors.js";

/**
 * Django's `assert salt and "$" not in salt` before encoding: the formats separate their fields with `$`,
 * so such a salt would make a stored string that cannot be read back.
 */
export function assertEncodableSalt(salt: string): void {
  if (salt === "" || salt.includes("$")) throw new HasherOptionError("salt", "must be non-empty and contain no $");
}

/** A str password is UTF-8 encoded first (Django's `password.encode()`); a Buffer is taken as raw bytes. */
export function passwordBytes(password: string | Buffer): Buffer {
  return typeof password === "string" ? Buffer.from(password, "utf8") : password;
}

/** Django's RANDOM_STRING_CHARS. */
const SALT_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Salt length for 128 bits from 62 symbols: ceil(128 / log2(62)) = 22, as Django's BasePasswordHasher.salt(). */
export const SALT_LENGTH = Math.ceil(128 / Math.log2(SALT_ALPHABET.length));

/** `length` characters drawn uniformly from [a-zA-Z0-9] (Django's get_random_string). */
export function randomString(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += SALT_ALPHABET[randomInt(SALT_ALPHABET.length)];
  return out;
}

/**
 * Django's must_update_salt: each salt character counts for log2(62) bits and 128 are expected. The length
 * is in code points, as Python's len() of a str.
 */
export function saltIsWeak(saltCharacters: number): boolean {
  return saltCharacters * Math.log2(SALT_ALPHABET.length) < 128;
}

export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Compares two values in time that depends only on their lengths (Django's constant_time_compare, i.e.
 * hmac.compare_digest, which is also constant-time only for equal lengths).
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === "string" ? Buffer.from(a, "utf8") : a;
  const right = typeof b === "string" ? Buffer.from(b, "utf8") : b;
  if (left.length !== right.length) {
    // Still spend one comparison so that a length mismatch is not an early exit.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** Standard padded base64 (Python's base64.b64encode). */
export function base64Padded(bytes: Buffer): string {
  return bytes.toString("base64");
}

/** Standard base64 without padding, as in PHC strings. */
export function base64Unpadded(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "");
}

/**
 * Decodes unpadded standard base64 strictly, as the argon2 reference decoder does: only the 64 symbols, no
 * padding, no impossible length, no stray low bits. Node's decoder accepts all of those, so the input is
 * decoded and must re-encode to itself. Returns null when it is not canonical.
 */
export function decodeBase64Unpadded(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, "base64");
  return base64Unpadded(bytes) === text ? bytes : null;
}
