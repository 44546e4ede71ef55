// MD5PasswordHasher and SHA1PasswordHasher: `<alg>$<salt>$<hex(H(salt ‖ password))>`, salt and password as
// UTF-8 bytes. Verification re-encodes with the stored salt and compares whole strings, as Django does.
import { createHash } from "node:crypto";
import { MalformedHashError } from "../../errors.js";
import { codePointLength, constantTimeEqual, randomString, SALT_LENGTH, saltIsWeak, assertEncodableSalt } from "./encoding.js";
import type { PasswordHasher } from "./types.js";

export class SaltedDigestHasher implements PasswordHasher {
  readonly algorithm: "md5" | "sha1";

  constructor(algorithm: "md5" | "sha1") {
    this.algorithm = algorithm;
  }

  salt(): string {
    return randomString(SALT_LENGTH);
  }

  async encode(password: Buffer, salt: string): Promise<string> {
    assertEncodableSalt(salt);
    return this.#encodeWith(password, salt);
  }

  #encodeWith(password: Buffer, salt: string): string {
    const digest = createHash(this.algorithm).update(Buffer.from(salt, "utf8")).update(password).digest("hex");
    return `${this.algorithm}$${salt}$${digest}`;
  }

  /** Django's decode: split into 3 fields at the first two `$`. */
  #salt(encoded: string): string {
    const first = encoded.indexOf("$");
    const second = encoded.indexOf("$", first + 1);
    if (first < 0 || second < 0) throw new MalformedHashError(this.algorithm, "expected 3 fields separated by $");
    if (encoded.slice(0, first) !== this.algorithm) throw new MalformedHashError(this.algorithm, "wrong algorithm prefix");
    return encoded.slice(first + 1, second);
  }

  async verify(password: Buffer, encoded: string): Promise<boolean> {
    const salt = this.#salt(encoded);
    // Django's encode asserts a non-empty salt, so `md5$$<hex>` (when not 37 long, i.e. not unsalted_md5)
    // raises there and never verifies.
    if (salt === "") throw new MalformedHashError(this.algorithm, "empty salt");
    const again = this.#encodeWith(password, salt);
    return constantTimeEqual(again, encoded);
  }

  mustUpdate(encoded: string): boolean {
    return saltIsWeak(codePointLength(this.#salt(encoded)));
  }

  async hardenRuntime(): Promise<void> {}
}
