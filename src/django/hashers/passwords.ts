// Django's check_password/verify_password and make_password over the hashers. Verification never throws for
// anything about the stored value: an unusable, empty, unknown, disabled, malformed or unsupported hash gives
// `valid: false` (with the reason), and in each of those cases the preferred hasher runs once on a random
// string, so that the answer takes about as long as a real check (Django's fix for CVE-2024-39329, extended
// here to malformed values, where Django raises).
import { HasherError, HasherOptionError } from "../../errors.js";
import { passwordBytes, randomString } from "./encoding.js";
import { createHasher, preferredHasher } from "./hasher-set.js";
import { identifyEnabled } from "./identify.js";
import { isAlgorithmName, resolveOptions, type AlgorithmName, type HasherOptions, type MakePasswordOptions, type ResolvedOptions } from "./options.js";
import type { PasswordHasher } from "./types.js";

/** Django's UNUSABLE_PASSWORD_PREFIX. */
export const UNUSABLE_PASSWORD_PREFIX = "!";
/** Django's UNUSABLE_PASSWORD_SUFFIX_LENGTH; also the length of the random string of the timing-parity run. */
const UNUSABLE_PASSWORD_SUFFIX_LENGTH = 40;

/** Why a verification gave false for another reason than a wrong password. */
export type VerifyFailure = "unusable" | "unknown-algorithm" | "disabled-algorithm" | "malformed" | "unsupported" | "unhashable-password";

export interface VerifyResult {
  /** The password matches. */
  readonly valid: boolean;
  /** Django's must_update: the stored hash should be replaced by one from the preferred hasher and parameters. */
  readonly mustUpdate: boolean;
  /** Set when `valid` is false for a reason other than a wrong password. */
  readonly failure?: VerifyFailure;
  /** The typed error behind `failure`, when there is one (never carries the password). */
  readonly error?: HasherError;
}

/** Django's is_password_usable: anything but a `!`-prefixed value (even "" or garbage) counts as usable. */
export function isPasswordUsable(encoded: string | null | undefined): boolean {
  return encoded === null || encoded === undefined || !encoded.startsWith(UNUSABLE_PASSWORD_PREFIX);
}

/** Django's make_password(None): `!` and 40 random characters. */
export function makeUnusablePassword(): string {
  return UNUSABLE_PASSWORD_PREFIX + randomString(UNUSABLE_PASSWORD_SUFFIX_LENGTH);
}

/** Django's make_password(get_random_string(40)) with the preferred hasher; errors are irrelevant here. */
async function runPreferredOnce(options: ResolvedOptions): Promise<void> {
  const hasher = preferredHasher(options);
  try {
    await hasher.encode(Buffer.from(randomString(UNUSABLE_PASSWORD_SUFFIX_LENGTH), "ascii"), hasher.salt());
  } catch {
    // Only the time spent matters (the preferred hasher could be crypt without the native addon).
  }
}

function failureOf(error: HasherError): VerifyFailure {
  switch (error.code) {
    case "ERR_HASHER_UNKNOWN":
      return "unknown-algorithm";
    case "ERR_HASHER_DISABLED":
      return "disabled-algorithm";
    case "ERR_HASHER_UNSUPPORTED":
      return "unsupported";
    case "ERR_HASHER_PASSWORD":
      return "unhashable-password";
    default:
      return "malformed";
  }
}

/**
 * Checks `password` against the stored `encoded` value as Django's verify_password does, returning whether it
 * matches and whether the stored value must be upgraded. Throws only for invalid `options` (HasherOptionError).
 */
export async function verifyPassword(password: string | Buffer, encoded: string, options?: HasherOptions): Promise<VerifyResult> {
  const resolved = resolveOptions(options);
  if ((typeof password !== "string" && !Buffer.isBuffer(password)) || typeof encoded !== "string" || !isPasswordUsable(encoded)) {
    await runPreferredOnce(resolved);
    return { valid: false, mustUpdate: false, failure: "unusable" };
  }
  let algorithm;
  try {
    algorithm = identifyEnabled(encoded, resolved);
  } catch (error) {
    await runPreferredOnce(resolved);
    return { valid: false, mustUpdate: false, failure: failureOf(error as HasherError), error: error as HasherError };
  }
  const hasher = createHasher(algorithm, resolved);
  const preferred = preferredHasher(resolved);
  const bytes = passwordBytes(password);
  try {
    const hasherChanged = hasher.algorithm !== preferred.algorithm;
    const mustUpdate = mustUpdateWith(preferred, algorithm, encoded);
    const valid = await hasher.verify(bytes, encoded);
    if (!valid && !hasherChanged && mustUpdate) await hasher.hardenRuntime(bytes, encoded);
    return { valid, mustUpdate };
  } catch (caught) {
    // Django raises for these (or, for a few malformed argon2 strings, answers False); the worker must not
    // raise, so they become false. The stored value was not computed, so the preferred hasher runs instead:
    // a broken or odd hash must not answer faster than a real check and so reveal itself.
    const error = caught instanceof HasherError ? caught : new HasherError(`${algorithm}: hashing failed`, { cause: caught });
    await runPreferredOnce(resolved);
    return { valid: false, mustUpdate: false, failure: failureOf(error), error };
  } finally {
    // Wipe our own UTF-8 copy; a Buffer given by the caller is the caller's to wipe.
    if (typeof password === "string") bytes.fill(0);
  }
}

/**
 * Django's must_update in verify_password: another hasher than the preferred one, or the preferred one's
 * own must_update (parameters, salt). Throws a HasherError where the preferred hasher cannot read `encoded`.
 */
export function mustUpdateWith(preferred: PasswordHasher, algorithm: AlgorithmName, encoded: string): boolean {
  return algorithm !== preferred.algorithm || preferred.mustUpdate(encoded);
}

/** verifyPassword's `valid` alone: Django's check_password without a setter. */
export async function checkPassword(password: string | Buffer, encoded: string, options?: HasherOptions): Promise<boolean> {
  return (await verifyPassword(password, encoded, options)).valid;
}

/**
 * Django's make_password: the encoded hash of `password` with `options.hasher` (default: the preferred one),
 * `options.salt` (default: a fresh one) and the configured parameters. Unlike Django, the hasher need not be
 * in `options.hashers`. Throws HasherOptionError for a bad salt or option, UnhashablePasswordError,
 * UnsupportedHasherError for crypt when the native addon is not loaded.
 */
export async function makePassword(password: string | Buffer, options?: MakePasswordOptions): Promise<string> {
  if (typeof password !== "string" && !Buffer.isBuffer(password)) {
    throw new HasherOptionError("password", "must be a string or a Buffer (use makeUnusablePassword() for none)");
  }
  const resolved = resolveOptions(options);
  const name = options?.hasher ?? resolved.hashers[0];
  if (name === undefined || !isAlgorithmName(name)) throw new HasherOptionError("hasher", `unknown algorithm ${JSON.stringify(name)}`);
  const hasher = createHasher(name, resolved);
  const salt = options?.salt ?? hasher.salt();
  if (typeof salt !== "string") throw new HasherOptionError("salt", "must be a string");
  const bytes = passwordBytes(password);
  try {
    return await hasher.encode(bytes, salt);
  } finally {
    // Wipe our own UTF-8 copy; a Buffer given by the caller is the caller's to wipe.
    if (typeof password === "string") bytes.fill(0);
  }
}
