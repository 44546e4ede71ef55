// Django's identify_hasher: which algorithm an encoded password names. The two unsalted forms are recognised
// by shape (a bare 32-character string without `$`, `md5$$` + 32, `sha1$$` + 40); everything else is named by
// the text before its first `$`. A bare 40-character hex string is NOT unsalted_sha1.
import { DisabledHasherError, UnknownHasherError } from "../../errors.js";
import { isAlgorithmName, resolveOptions, type AlgorithmName, type HasherOptions, type ResolvedOptions } from "./options.js";

/** The algorithm name Django's rules read from `encoded`, which may name no hasher at all ("" or "foo"). */
export function algorithmOf(encoded: string): string {
  // Lengths are in code points, as Python's len().
  const length = [...encoded].length;
  if ((length === 32 && !encoded.includes("$")) || (length === 37 && encoded.startsWith("md5$$"))) return "unsalted_md5";
  if (length === 46 && encoded.startsWith("sha1$$")) return "unsalted_sha1";
  const dollar = encoded.indexOf("$");
  return dollar < 0 ? encoded : encoded.slice(0, dollar);
}

/**
 * The algorithm of `encoded`. Throws UnknownHasherError when it names no Django hasher and, when options are
 * given, DisabledHasherError when that hasher is not in `options.hashers` (Django raises ValueError for both).
 */
export function identifyHasher(encoded: string, options?: HasherOptions): AlgorithmName {
  return identifyEnabled(encoded, options === undefined ? null : resolveOptions(options));
}

/** identifyHasher against already resolved options; `null` checks only that the name is a Django hasher. */
export function identifyEnabled(encoded: string, options: ResolvedOptions | null): AlgorithmName {
  const name = algorithmOf(encoded);
  if (!isAlgorithmName(name)) {
    const shaped = encoded.includes("$") && /^[A-Za-z0-9_-]{1,32}$/.test(name);
    throw new UnknownHasherError(shaped ? name : null);
  }
  if (options !== null && !options.hashers.includes(name)) throw new DisabledHasherError(name);
  return name;
}
