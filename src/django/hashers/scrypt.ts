// ScryptPasswordHasher (Django 4.0+): `scrypt$<N>$<salt>$<r>$<p>$<b64(64-byte key)>`, padded base64, the salt
// text used as its UTF-8 bytes. Django passes maxmem=0, i.e. OpenSSL's 32 MiB limit; Node's default limit is
// the same 32 MiB checked by the same OpenSSL formula, so a stored hash Django cannot compute (e.g. N=2^15
// with r=8) fails here too instead of allocating more.
import { scrypt } from "node:crypto";
import { MalformedHashError } from "../../errors.js";
import { base64Padded, constantTimeEqual, randomString, SALT_LENGTH, assertEncodableSalt } from "./encoding.js";
import type { ScryptParams } from "./options.js";
import type { PasswordHasher } from "./types.js";

const KEY_LENGTH = 64;

export interface DecodedScrypt {
  readonly workFactor: number;
  readonly salt: string;
  readonly blockSize: number;
  readonly parallelism: number;
  readonly hash: string;
}

const DECIMAL = /^[1-9][0-9]{0,9}$/;

/** Django's decode: exactly 6 fields separated by `$`. */
export function decodeScrypt(encoded: string): DecodedScrypt {
  const fields = encoded.split("$");
  if (fields.length !== 6) throw new MalformedHashError("scrypt", "expected 6 fields separated by $");
  const [algorithm, n, salt, r, p, hash] = fields as [string, string, string, string, string, string];
  if (algorithm !== "scrypt") throw new MalformedHashError("scrypt", "wrong algorithm prefix");
  // As with PBKDF2: forms Django's int() would accept but "%d" would not write back can never verify.
  if (!DECIMAL.test(n) || !DECIMAL.test(r) || !DECIMAL.test(p)) throw new MalformedHashError("scrypt", "N, r and p must be decimal integers");
  return { workFactor: Number(n), salt, blockSize: Number(r), parallelism: Number(p), hash };
}

function scryptAsync(password: Buffer, salt: Buffer, params: Omit<ScryptParams, "maxmem"> & { maxmem: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const options = { N: params.workFactor, r: params.blockSize, p: params.parallelism, ...(params.maxmem > 0 ? { maxmem: params.maxmem } : {}) };
    // Node throws synchronously for parameters OpenSSL refuses (memory limit, N not a power of 2).
    try {
      scrypt(password, salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

export class ScryptHasher implements PasswordHasher {
  readonly algorithm = "scrypt";
  readonly #params: ScryptParams;

  constructor(params: ScryptParams) {
    this.#params = params;
  }

  salt(): string {
    return randomString(SALT_LENGTH);
  }

  encode(password: Buffer, salt: string): Promise<string> {
    return this.#encodeWith(password, salt, this.#params);
  }

  async #encodeWith(password: Buffer, salt: string, params: ScryptParams): Promise<string> {
    assertEncodableSalt(salt);
    const key = await scryptAsync(password, Buffer.from(salt, "utf8"), params);
    return `scrypt$${params.workFactor}$${salt}$${params.blockSize}$${params.parallelism}$${base64Padded(key)}`;
  }

  async verify(password: Buffer, encoded: string): Promise<boolean> {
    const d = decodeScrypt(encoded);
    if (d.salt === "") throw new MalformedHashError("scrypt", "empty salt");
    let again: string;
    try {
      again = await this.#encodeWith(password, d.salt, { ...d, maxmem: this.#params.maxmem });
    } catch (error) {
      throw new MalformedHashError("scrypt", "parameters refused by OpenSSL", { cause: error });
    }
    return constantTimeEqual(again, encoded);
  }

  mustUpdate(encoded: string): boolean {
    const d = decodeScrypt(encoded);
    const p = this.#params;
    return d.workFactor !== p.workFactor || d.blockSize !== p.blockSize || d.parallelism !== p.parallelism;
  }

  /** Django does nothing here. */
  async hardenRuntime(): Promise<void> {}
}
