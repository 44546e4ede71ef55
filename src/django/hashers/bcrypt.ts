// BCryptSHA256PasswordHasher and BCryptPasswordHasher: `<alg>$` + the bcrypt string (`$2b$12$<22 salt><31 hash>`).
// bcrypt_sha256 feeds bcrypt the 64 ASCII hex digits of SHA-256(password); plain bcrypt feeds the raw bytes.
// Verification passes the whole stored bcrypt string as the salt and compares whole strings, as Django does.
//
// Django 3.2 runs on pyca/bcrypt 3.2 (Debian's python3-bcrypt), whose hashpw: refuses NUL bytes, cuts the input
// to 72 bytes (for every prefix, so $2a$ never hits the old 8-bit length wraparound), and computes `$2y$` as
// `$2b$` but keeps the stored prefix in its output. The `bcrypt` npm package does none of the three by itself,
// so they are done here before and after calling it.
import { createHash } from "node:crypto";
import bcrypt from "bcrypt";
import { HasherOptionError, MalformedHashError, UnhashablePasswordError } from "../../errors.js";
import { constantTimeEqual } from "./encoding.js";
import type { BcryptOverlongPolicy, BcryptParams } from "./options.js";
import type { PasswordHasher } from "./types.js";

/** bcrypt keys Blowfish with at most 72 bytes. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

/** `$2a$`, `$2b$` or `$2y$`, two-digit cost, then 22 characters of bcrypt's base64 (the salt), then anything. */
const BCRYPT_SALT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{22}/;

export interface DecodedBcrypt {
  readonly prefix: "$2a$" | "$2b$" | "$2y$";
  readonly workFactor: number;
  /** The first 29 characters: prefix, cost and salt. */
  readonly salt: string;
}

export function decodeBcrypt(algorithm: string, data: string): DecodedBcrypt {
  const match = BCRYPT_SALT.exec(data);
  if (!match) throw new MalformedHashError(algorithm, "not a $2a$/$2b$/$2y$ bcrypt string");
  const workFactor = Number(match[1]);
  if (workFactor < 4 || workFactor > 31) throw new MalformedHashError(algorithm, `cost ${workFactor} out of 4..31`);
  return { prefix: data.slice(0, 4) as DecodedBcrypt["prefix"], workFactor, salt: data.slice(0, 29) };
}

export class BcryptHasher implements PasswordHasher {
  readonly algorithm: "bcrypt_sha256" | "bcrypt";
  readonly #rounds: number;
  readonly #overlong: BcryptOverlongPolicy;

  constructor(algorithm: "bcrypt_sha256" | "bcrypt", params: BcryptParams, overlong: BcryptOverlongPolicy) {
    this.algorithm = algorithm;
    this.#rounds = params.rounds;
    this.#overlong = overlong;
  }

  /** Django uses bcrypt.gensalt(rounds), which writes the `$2b$` prefix. */
  salt(): string {
    return bcrypt.genSaltSync(this.#rounds, "b");
  }

  /** The bytes bcrypt sees. */
  #input(password: Buffer): Buffer {
    if (this.algorithm === "bcrypt_sha256") {
      return Buffer.from(createHash("sha256").update(password).digest("hex"), "ascii");
    }
    if (password.includes(0)) throw new UnhashablePasswordError(this.algorithm, "password contains a NUL byte");
    if (password.length > BCRYPT_MAX_PASSWORD_BYTES) {
      if (this.#overlong === "reject") {
        throw new UnhashablePasswordError(this.algorithm, `password longer than ${BCRYPT_MAX_PASSWORD_BYTES} bytes`);
      }
      return password.subarray(0, BCRYPT_MAX_PASSWORD_BYTES);
    }
    return password;
  }

  /** pyca/bcrypt's hashpw(password, salt): `salt` may be a bare salt or a whole stored bcrypt string. */
  async #hashpw(password: Buffer, salt: string): Promise<string> {
    const decoded = decodeBcrypt(this.algorithm, salt);
    const computed = await bcrypt.hash(this.#input(password), decoded.prefix === "$2y$" ? `$2b$${salt.slice(4)}` : salt);
    return decoded.prefix + computed.slice(4);
  }

  async encode(password: Buffer, salt: string): Promise<string> {
    if (!BCRYPT_SALT.test(salt)) throw new HasherOptionError("salt", "must be a bcrypt salt ($2b$<cost>$ + 22 characters)");
    return `${this.algorithm}$${await this.#hashpw(password, salt)}`;
  }

  async verify(password: Buffer, encoded: string): Promise<boolean> {
    const data = this.#data(encoded);
    const again = `${this.algorithm}$${await this.#hashpw(password, data)}`;
    return constantTimeEqual(again, encoded);
  }

  mustUpdate(encoded: string): boolean {
    return decodeBcrypt(this.algorithm, this.#data(encoded)).workFactor !== this.#rounds;
  }

  /** Django re-runs encode 2^(configured - stored rounds) - 1 times (BCryptPasswordHasher inherits this). */
  async hardenRuntime(password: Buffer, encoded: string): Promise<void> {
    const decoded = decodeBcrypt(this.algorithm, this.#data(encoded));
    for (let extra = 2 ** (this.#rounds - decoded.workFactor) - 1; extra > 0; extra--) {
      await this.#hashpw(password, decoded.salt);
    }
  }

  #data(encoded: string): string {
    const prefix = `${this.algorithm}$`;
    if (!encoded.startsWith(prefix)) throw new MalformedHashError(this.algorithm, "wrong algorithm prefix");
    const data = encoded.slice(prefix.length);
    // Django encodes the stored string as ASCII before using it as a salt, and raises on anything else.
    if (!/^[\x20-\x7e]*$/.test(data)) throw new MalformedHashError(this.algorithm, "non-ASCII bcrypt string");
    return data;
  }
}
