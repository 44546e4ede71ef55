// Hasher configuration: Django's PASSWORD_HASHERS as algorithm names plus each hasher's parameters, and
// one preset per Django version. Options are plain data; `resolveOptions` validates them once per call and
// fills the gaps from the newest preset, so the hashers themselves never see a missing parameter.
import { HasherOptionError } from "../../errors.js";

/** Every hasher Django has shipped since 1.4, by its `algorithm` attribute. */
export const ALGORITHMS = [
  "pbkdf2_sha256",
  "pbkdf2_sha1",
  "argon2",
  "bcrypt_sha256",
  "bcrypt",
  "scrypt",
  "md5",
  "sha1",
  "unsalted_md5",
  "unsalted_sha1",
  "crypt",
] as const;

export type AlgorithmName = (typeof ALGORITHMS)[number];

export function isAlgorithmName(name: string): name is AlgorithmName {
  return (ALGORITHMS as readonly string[]).includes(name);
}

export interface Pbkdf2Params {
  readonly iterations: number;
}

/** Django's Argon2PasswordHasher attributes (type argon2id and version 19 are fixed there). */
export interface Argon2Params {
  readonly timeCost: number;
  readonly memoryCost: number;
  readonly parallelism: number;
  /**
   * Not a Django setting but argon2-cffi's DEFAULT_HASH_LENGTH, which Django uses: 16 bytes up to argon2-cffi
   * 21.1 (Debian 12's python3-argon2, under Django 3.2), 32 from 21.2 (December 2021). It sets the length of
   * new hashes and, through must_update, which stored ones get upgraded.
   */
  readonly hashLength: number;
}

export interface BcryptParams {
  /** log2 of the work factor (Django's `rounds`). */
  readonly rounds: number;
}

/** Django's ScryptPasswordHasher attributes: work_factor (N), block_size (r), parallelism (p), maxmem. */
export interface ScryptParams {
  readonly workFactor: number;
  readonly blockSize: number;
  readonly parallelism: number;
  /** Bytes; 0 means OpenSSL's default limit (32 MiB), which is what Django uses and Node's default too. */
  readonly maxmem: number;
}

export interface HasherParams {
  readonly pbkdf2_sha256: Pbkdf2Params;
  readonly pbkdf2_sha1: Pbkdf2Params;
  readonly argon2: Argon2Params;
  readonly bcrypt_sha256: BcryptParams;
  readonly bcrypt: BcryptParams;
  readonly scrypt: ScryptParams;
}

/**
 * What plain bcrypt does with passwords over 72 bytes. "truncate" is Django 3.2 with Debian's python3-bcrypt
 * 3.2 (and every bcrypt before 5.0): only the first 72 bytes count. "reject" follows bcrypt >= 5.0, which raises
 * (so Django raises and mod_wsgi answers 500); here verification gives false and makePassword throws.
 */
export type BcryptOverlongPolicy = "truncate" | "reject";

export interface HasherOptions {
  /** Django's PASSWORD_HASHERS by algorithm name: the enabled hashers, the first one preferred. */
  readonly hashers?: readonly AlgorithmName[];
  /** Per-algorithm parameters; each given field overrides the preset's value. */
  readonly params?: { readonly [A in keyof HasherParams]?: Partial<HasherParams[A]> };
  readonly bcryptOverlongPasswords?: BcryptOverlongPolicy;
}

export interface MakePasswordOptions extends HasherOptions {
  /** Algorithm to hash with; default the preferred one (the first of `hashers`). */
  readonly hasher?: AlgorithmName;
  /**
   * Salt text (22 characters of [a-zA-Z0-9] drawn at random when absent). For bcrypt and bcrypt_sha256 it is a
   * bcrypt salt string (`$2b$12$` + 22 characters), as in Django.
   */
  readonly salt?: string;
}

/** Options with every field present and checked. */
export interface ResolvedOptions {
  readonly hashers: readonly AlgorithmName[];
  readonly params: HasherParams;
  readonly bcryptOverlongPasswords: BcryptOverlongPolicy;
}

export const DJANGO_VERSIONS = ["3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1"] as const;
export type DjangoVersion = (typeof DJANGO_VERSIONS)[number];

const PBKDF2_ITERATIONS: Record<DjangoVersion, number> = {
  "3.2": 260_000,
  "4.0": 320_000,
  "4.1": 390_000,
  "4.2": 600_000,
  "5.0": 720_000,
  "5.1": 870_000,
  "5.2": 1_000_000,
  "6.0": 1_200_000,
  "6.1": 1_500_000,
};

/**
 * Django `version`'s defaults: its default PASSWORD_HASHERS and the parameters of its hasher classes.
 * Django 3.2 has no scrypt hasher; its preset still carries 4.0's scrypt parameters so that naming "scrypt" in
 * `hashers` on top of it behaves like a 4.0 ScryptPasswordHasher. The argon2 hash length follows the
 * argon2-cffi that usually runs under that version: 16 for 3.2 (Debian 12), 32 from 4.0.
 */
export function djangoDefaults(version: string): ResolvedOptions {
  if (!(DJANGO_VERSIONS as readonly string[]).includes(version)) {
    throw new HasherOptionError("django version", `no preset for ${JSON.stringify(version)} (known: ${DJANGO_VERSIONS.join(", ")})`);
  }
  const v = version as DjangoVersion;
  const iterations = PBKDF2_ITERATIONS[v];
  const hashers: AlgorithmName[] = ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256"];
  if (v !== "3.2") hashers.push("scrypt");
  const scryptParallelism = ["3.2", "4.0", "4.1", "4.2", "5.0"].includes(v) ? 1 : 5;
  return {
    hashers,
    params: {
      pbkdf2_sha256: { iterations },
      pbkdf2_sha1: { iterations },
      argon2: { timeCost: 2, memoryCost: 102_400, parallelism: 8, hashLength: v === "3.2" ? 16 : 32 },
      bcrypt_sha256: { rounds: 12 },
      bcrypt: { rounds: 12 },
      scrypt: { workFactor: 2 ** 14, blockSize: 8, parallelism: scryptParallelism, maxmem: 0 },
    },
    bcryptOverlongPasswords: "truncate",
  };
}

/** The preset used when no options are given: the newest Django version. */
export const DEFAULT_DJANGO_VERSION: DjangoVersion = "6.1";

function checkPositiveInteger(option: string, value: unknown, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new HasherOptionError(option, `must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Fills `options` from the newest preset and validates it; throws HasherOptionError naming the bad field. */
export function resolveOptions(options: HasherOptions = {}): ResolvedOptions {
  const base = djangoDefaults(DEFAULT_DJANGO_VERSION);
  const hashers = options.hashers ?? base.hashers;
  if (!Array.isArray(hashers) || hashers.length === 0) {
    throw new HasherOptionError("hashers", "must be a non-empty list of algorithm names");
  }
  for (const name of hashers) {
    if (typeof name !== "string" || !isAlgorithmName(name)) {
      throw new HasherOptionError("hashers", `unknown algorithm ${JSON.stringify(name)} (known: ${ALGORITHMS.join(", ")})`);
    }
  }
  if (new Set(hashers).size !== hashers.length) {
    throw new HasherOptionError("hashers", "lists an algorithm twice");
  }
  const given = options.params ?? {};
  const p = {
    pbkdf2_sha256: { ...base.params.pbkdf2_sha256, ...given.pbkdf2_sha256 },
    pbkdf2_sha1: { ...base.params.pbkdf2_sha1, ...given.pbkdf2_sha1 },
    argon2: { ...base.params.argon2, ...given.argon2 },
    bcrypt_sha256: { ...base.params.bcrypt_sha256, ...given.bcrypt_sha256 },
    bcrypt: { ...base.params.bcrypt, ...given.bcrypt },
    scrypt: { ...base.params.scrypt, ...given.scrypt },
  };
  // Limits are those of the underlying primitives (Node's pbkdf2, the argon2 reference code, bcrypt's 4..31).
  checkPositiveInteger("params.pbkdf2_sha256.iterations", p.pbkdf2_sha256.iterations, 2 ** 31 - 1);
  checkPositiveInteger("params.pbkdf2_sha1.iterations", p.pbkdf2_sha1.iterations, 2 ** 31 - 1);
  checkPositiveInteger("params.argon2.timeCost", p.argon2.timeCost, 2 ** 32 - 1);
  checkPositiveInteger("params.argon2.memoryCost", p.argon2.memoryCost, 2 ** 32 - 1);
  checkPositiveInteger("params.argon2.parallelism", p.argon2.parallelism, 2 ** 24 - 1);
  if (checkPositiveInteger("params.argon2.hashLength", p.argon2.hashLength, 2 ** 32 - 1) < 4) {
    throw new HasherOptionError("params.argon2.hashLength", "must be at least 4");
  }
  if (p.argon2.memoryCost < 8 * p.argon2.parallelism) {
    throw new HasherOptionError("params.argon2.memoryCost", "must be at least 8 KiB per lane (8 x parallelism)");
  }
  for (const name of ["bcrypt_sha256", "bcrypt"] as const) {
    const rounds = checkPositiveInteger(`params.${name}.rounds`, p[name].rounds, 31);
    if (rounds < 4) throw new HasherOptionError(`params.${name}.rounds`, `must be from 4 to 31, got ${rounds}`);
  }
  const n = checkPositiveInteger("params.scrypt.workFactor", p.scrypt.workFactor, 2 ** 30);
  if (n < 2 || (n & (n - 1)) !== 0) {
    throw new HasherOptionError("params.scrypt.workFactor", `must be a power of 2 greater than 1, got ${n}`);
  }
  checkPositiveInteger("params.scrypt.blockSize", p.scrypt.blockSize, 2 ** 30 - 1);
  checkPositiveInteger("params.scrypt.parallelism", p.scrypt.parallelism, 2 ** 30 - 1);
  if (!Number.isSafeInteger(p.scrypt.maxmem) || p.scrypt.maxmem < 0) {
    throw new HasherOptionError("params.scrypt.maxmem", `must be 0 or a positive integer, got ${String(p.scrypt.maxmem)}`);
  }
  const policy = options.bcryptOverlongPasswords ?? base.bcryptOverlongPasswords;
  if (policy !== "truncate" && policy !== "reject") {
    throw new HasherOptionError("bcryptOverlongPasswords", `must be "truncate" or "reject", got ${JSON.stringify(policy)}`);
  }
  return { hashers: [...hashers], params: p, bcryptOverlongPasswords: policy };
}
