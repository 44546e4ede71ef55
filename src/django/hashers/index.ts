// Django's password hashers (django.contrib.auth.hashers) in TypeScript: the public API.
export { verifyPassword, checkPassword, makePassword, makeUnusablePassword, isPasswordUsable, UNUSABLE_PASSWORD_PREFIX } from "./passwords.js";
export type { VerifyResult, VerifyFailure } from "./passwords.js";
export { identifyHasher, algorithmOf } from "./identify.js";
export { HashInspector, summarizeHash, iterationsOf } from "./summary.js";
export type { HashState, HashSummary } from "./summary.js";
export { djangoDefaults, resolveOptions, isAlgorithmName, ALGORITHMS, DJANGO_VERSIONS, DEFAULT_DJANGO_VERSION } from "./options.js";
export type {
  AlgorithmName,
  HasherOptions,
  MakePasswordOptions,
  ResolvedOptions,
  HasherParams,
  Pbkdf2Params,
  Argon2Params,
  BcryptParams,
  ScryptParams,
  BcryptOverlongPolicy,
  DjangoVersion,
} from "./options.js";
export {
  HasherError,
  UnknownHasherError,
  DisabledHasherError,
  MalformedHashError,
  UnsupportedHasherError,
  HasherOptionError,
  UnhashablePasswordError,
} from "../../errors.js";
