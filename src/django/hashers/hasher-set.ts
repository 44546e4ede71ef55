// Builds hasher instances from resolved options: Django's get_hasher(), without the global cache.
import { Argon2Hasher } from "./argon2.js";
import { BcryptHasher } from "./bcrypt.js";
import { CryptHasher } from "./crypt.js";
import { Pbkdf2Hasher } from "./pbkdf2.js";
import { SaltedDigestHasher } from "./salted-digest.js";
import { ScryptHasher } from "./scrypt.js";
import type { AlgorithmName, ResolvedOptions } from "./options.js";
import type { PasswordHasher } from "./types.js";
import { UnsaltedMd5Hasher, UnsaltedSha1Hasher } from "./unsalted.js";

/** The hasher for `algorithm` with the parameters of `options` (whether or not it is enabled there). */
export function createHasher(algorithm: AlgorithmName, options: ResolvedOptions): PasswordHasher {
  const { params } = options;
  switch (algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1":
      return new Pbkdf2Hasher(algorithm, params[algorithm]);
    case "argon2":
      return new Argon2Hasher(params.argon2);
    case "bcrypt_sha256":
    case "bcrypt":
      return new BcryptHasher(algorithm, params[algorithm], options.bcryptOverlongPasswords);
    case "scrypt":
      return new ScryptHasher(params.scrypt);
    case "md5":
    case "sha1":
      return new SaltedDigestHasher(algorithm);
    case "unsalted_md5":
      return new UnsaltedMd5Hasher();
    case "unsalted_sha1":
      return new UnsaltedSha1Hasher();
    case "crypt":
      return new CryptHasher();
  }
}

/** The preferred hasher: the first enabled one. */
export function preferredHasher(options: ResolvedOptions): PasswordHasher {
  const first = options.hashers[0];
  if (first === undefined) throw new Error("resolved options without hashers");
  return createHasher(first, options);
}
