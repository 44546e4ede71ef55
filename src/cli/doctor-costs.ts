// The cost parameters of a stored hash against those the configured django_version gives its preferred
// hasher (the hashers library's presets: nothing is restated here). A stored value with any parameter above
// the configured one was made by a newer Django than django_version says; with upgrade_hashes on, the worker
// would rewrite it with the configured, weaker parameters at the next right login (Django's must_update
// compares the parameters for equality, not order).
import { decodeArgon2 } from "../django/hashers/argon2.js";
import { decodeBcrypt } from "../django/hashers/bcrypt.js";
import type { AlgorithmName, HasherParams } from "../django/hashers/options.js";
import { decodePbkdf2 } from "../django/hashers/pbkdf2.js";
import { decodeScrypt } from "../django/hashers/scrypt.js";

/** Named costs, in the names Django's decode() gives them. */
export type Costs = Readonly<Record<string, number>>;

/** The costs `params` give `algorithm`, or null for a hasher without a cost. */
export function configuredCosts(algorithm: AlgorithmName, params: HasherParams): Costs | null {
  switch (algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1":
      return { iterations: params[algorithm].iterations };
    case "bcrypt_sha256":
    case "bcrypt":
      return { work_factor: params[algorithm].rounds };
    case "argon2":
      return { time_cost: params.argon2.timeCost, memory_cost: params.argon2.memoryCost, parallelism: params.argon2.parallelism };
    case "scrypt":
      return { work_factor: params.scrypt.workFactor, block_size: params.scrypt.blockSize, parallelism: params.scrypt.parallelism };
    default:
      return null;
  }
}

/** The costs stored in `encoded` (already identified as `algorithm`); throws a HasherError if it cannot be read. */
export function storedCosts(algorithm: AlgorithmName, encoded: string): Costs | null {
  switch (algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1":
      return { iterations: decodePbkdf2(algorithm, encoded).iterations };
    case "bcrypt_sha256":
    case "bcrypt":
      return { work_factor: decodeBcrypt(algorithm, encoded.slice(algorithm.length + 1)).workFactor };
    case "argon2": {
      const decoded = decodeArgon2(encoded);
      return { time_cost: decoded.timeCost, memory_cost: decoded.memoryCost, parallelism: decoded.parallelism };
    }
    case "scrypt": {
      const decoded = decodeScrypt(encoded);
      return { work_factor: decoded.workFactor, block_size: decoded.blockSize, parallelism: decoded.parallelism };
    }
    default:
      return null;
  }
}

/** Whether any stored parameter is above the configured one. */
export function above(stored: Costs, configured: Costs): boolean {
  return Object.entries(configured).some(([name, value]) => (stored[name] ?? 0) > value);
}

/** The per-parameter maximum of two sets of costs. */
export function highest(a: Costs | null, b: Costs): Costs {
  if (a === null) return b;
  return Object.fromEntries(Object.entries(b).map(([name, value]) => [name, Math.max(value, a[name] ?? 0)]));
}

/** `260000` for PBKDF2's one parameter, else `time_cost=3, memory_cost=102400, parallelism=8`. */
export function formatCosts(costs: Costs): string {
  const entries = Object.entries(costs);
  if (entries.length === 1 && entries[0]?.[0] === "iterations") return String(entries[0][1]);
  return entries.map(([name, value]) => `${name}=${String(value)}`).join(", ");
}
