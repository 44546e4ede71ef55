// What a stored password value says about itself, without any password: the hasher Django would pick,
// its cost, and whether a right password would make Django replace it (must_update). Used for auditing a
// whole user table, so one HashInspector resolves the options and builds the preferred hasher once.
import { HasherError } from "../../errors.js";
import { decodeArgon2 } from "./argon2.js";
import { decodeBcrypt } from "./bcrypt.js";
import { preferredHasher } from "./hasher-set.js";
import { identifyEnabled } from "./identify.js";
import { mustUpdateWith, isPasswordUsable } from "./passwords.js";
import { decodePbkdf2 } from "./pbkdf2.js";
import { decodeScrypt } from "./scrypt.js";
import { resolveOptions, type AlgorithmName, type HasherOptions, type ResolvedOptions } from "./options.js";
import type { PasswordHasher } from "./types.js";

/**
 * - unusable: Django's make_password(None) (`!` prefix): no password can match.
 * - unknown: names no Django hasher ("" and garbage included).
 * - disabled: a Django hasher that the configured PASSWORD_HASHERS does not list (Django refuses it).
 * - malformed: an enabled hasher's name with a value it cannot read.
 * - ok: an enabled hasher, readable.
 */
export type HashState = "ok" | "unusable" | "unknown" | "disabled" | "malformed";

export interface HashSummary {
  readonly state: HashState;
  /** The algorithm Django's identify_hasher names (null for unusable and unknown values). */
  readonly algorithm: AlgorithmName | null;
  /**
   * The cost Django's decode() reports: PBKDF2 iterations, bcrypt's work factor (log2 rounds), argon2's
   * time cost, scrypt's N; null for hashers without one and for values that cannot be read.
   */
  readonly iterations: number | null;
  /** Django's must_update after a right password: only an "ok" value can be upgraded. */
  readonly mustUpdate: boolean;
}

/** The cost decode() reports for `algorithm`; throws a HasherError for a value it cannot read. */
export function iterationsOf(algorithm: AlgorithmName, encoded: string): number | null {
  switch (algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1":
      return decodePbkdf2(algorithm, encoded).iterations;
    case "bcrypt_sha256":
    case "bcrypt":
      return decodeBcrypt(algorithm, encoded.slice(algorithm.length + 1)).workFactor;
    case "argon2":
      return decodeArgon2(encoded).timeCost;
    case "scrypt":
      return decodeScrypt(encoded).workFactor;
    default:
      return null;
  }
}

/** Summarizes stored values against one set of hasher options. */
export class HashInspector {
  readonly options: ResolvedOptions;
  readonly #preferred: PasswordHasher;

  /** Throws HasherOptionError for invalid options. */
  constructor(options?: HasherOptions) {
    this.options = resolveOptions(options);
    this.#preferred = preferredHasher(this.options);
  }

  summarize(encoded: string): HashSummary {
    if (!isPasswordUsable(encoded)) return { state: "unusable", algorithm: null, iterations: null, mustUpdate: false };
    let algorithm: AlgorithmName;
    try {
      algorithm = identifyEnabled(encoded, this.options);
    } catch (error) {
      if (!(error instanceof HasherError)) throw error;
      const named = identifiedName(encoded);
      return { state: named === null ? "unknown" : "disabled", algorithm: named, iterations: null, mustUpdate: false };
    }
    try {
      const iterations = iterationsOf(algorithm, encoded);
      return { state: "ok", algorithm, iterations, mustUpdate: mustUpdateWith(this.#preferred, algorithm, encoded) };
    } catch (error) {
      if (!(error instanceof HasherError)) throw error;
      return { state: "malformed", algorithm, iterations: null, mustUpdate: false };
    }
  }
}

/** The Django hasher `encoded` names whether or not it is enabled, or null. */
function identifiedName(encoded: string): AlgorithmName | null {
  try {
    return identifyEnabled(encoded, null);
  } catch {
    return null;
  }
}

/** HashInspector's answer for one value (resolves the options each call: for a table, keep an inspector). */
export function summarizeHash(encoded: string, options?: HasherOptions): HashSummary {
  return new HashInspector(options).summarize(encoded);
}


