// PBKDF2PasswordHasher and PBKDF2SHA1PasswordHasher: `<alg>$<iterations>$<salt>$<b64(dk)>`, the salt stored as
// text and used as its UTF-8 bytes, the key as long as the digest, padded base64. Verification re-encodes with
// the stored salt and iterations and compares whole strings, so any non-canonical field fails as in Django.
import { pbkdf2 } from "node:crypto";
import { promisify } from "node:util";
import { MalformedHashError } from "../../errors.js";
import { base64Padded, codePointLength, constantTimeEqual, randomString, SALT_LENGTH, saltIsWeak, assertEncodableSalt } from "./encoding.js";
import type { Pbkdf2Params } from "./options.js";
import type { PasswordHasher } from "./types.js";

const pbkdf2Async = promisify(pbkdf2);

interface Pbkdf2Variant {
  readonly algorithm: "pbkdf2_sha256" | "pbkdf2_sha1";
  readonly digest: "sha256" | "sha1";
  readonly keyLength: number;
}

const VARIANTS = {
  pbkdf2_sha256: { algorithm: "pbkdf2_sha256", digest: "sha256", keyLength: 32 },
  pbkdf2_sha1: { algorithm: "pbkdf2_sha1", digest: "sha1", keyLength: 20 },
} as const satisfies Record<string, Pbkdf2Variant>;

export interface DecodedPbkdf2 {
  readonly iterations: number;
  readonly salt: string;
  readonly hash: string;
}

/** Django's decode: split into 4 fields at `$`; iterations must be a decimal integer Node can run. */
export function decodePbkdf2(algorithm: string, encoded: string): DecodedPbkdf2 {
  const first = encoded.indexOf("$");
  const second = encoded.indexOf("$", first + 1);
  const third = second < 0 ? -1 : encoded.indexOf("$", second + 1);
  if (first < 0 || second < 0 || third < 0) throw new MalformedHashError(algorithm, "expected 4 fields separated by $");
  if (encoded.slice(0, first) !== algorithm) throw new MalformedHashError(algorithm, "wrong algorithm prefix");
  const iterationsText = encoded.slice(first + 1, second);
  // Django's int() accepts forms like "+5" or " 5", but its re-encoding ("%d") then never equals the stored
  // text, so such hashes can never verify there either; refusing them here changes no answer.
  if (!/^[1-9][0-9]{0,9}$/.test(iterationsText) || Number(iterationsText) > 2 ** 31 - 1) {
    throw new MalformedHashError(algorithm, "iterations is not a positive decimal integer");
  }
  return { iterations: Number(iterationsText), salt: encoded.slice(second + 1, third), hash: encoded.slice(third + 1) };
}

export class Pbkdf2Hasher implements PasswordHasher {
  readonly algorithm: "pbkdf2_sha256" | "pbkdf2_sha1";
  readonly #variant: Pbkdf2Variant;
  readonly #iterations: number;

  constructor(algorithm: "pbkdf2_sha256" | "pbkdf2_sha1", params: Pbkdf2Params) {
    this.algorithm = algorithm;
    this.#variant = VARIANTS[algorithm];
    this.#iterations = params.iterations;
  }

  salt(): string {
    return randomString(SALT_LENGTH);
  }

  encode(password: Buffer, salt: string): Promise<string> {
    return this.#encodeWith(password, salt, this.#iterations);
  }

  async #encodeWith(password: Buffer, salt: string, iterations: number): Promise<string> {
    assertEncodableSalt(salt);
    const key = await pbkdf2Async(password, Buffer.from(salt, "utf8"), iterations, this.#variant.keyLength, this.#variant.digest);
    return `${this.algorithm}$${iterations}$${salt}$${base64Padded(key)}`;
  }

  async verify(password: Buffer, encoded: string): Promise<boolean> {
    const decoded = decodePbkdf2(this.algorithm, encoded);
    // An empty or $-free salt cannot be re-encoded (Django asserts); such a hash can never match.
    if (decoded.salt === "") throw new MalformedHashError(this.algorithm, "empty salt");
    const again = await this.#encodeWith(password, decoded.salt, decoded.iterations);
    return constantTimeEqual(again, encoded);
  }

  mustUpdate(encoded: string): boolean {
    const decoded = decodePbkdf2(this.algorithm, encoded);
    return decoded.iterations !== this.#iterations || saltIsWeak(codePointLength(decoded.salt));
  }

  async hardenRuntime(password: Buffer, encoded: string): Promise<void> {
    const decoded = decodePbkdf2(this.algorithm, encoded);
    const extra = this.#iterations - decoded.iterations;
    if (extra > 0 && decoded.salt !== "") await this.#encodeWith(password, decoded.salt, extra);
  }
}
