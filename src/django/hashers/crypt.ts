// CryptPasswordHasher (Django 1.4 to 4.2): `crypt$$<13-character DES crypt(3)>`, the salt being the first two
// characters of the crypt output. No maintained npm package computes traditional DES crypt (the one candidate,
// unix-crypt-td-js, is an unmaintained pure-JS port) and writing DES here is out of scope, so this hasher is
// identified and decoded but never verifies: verification throws UnsupportedHasherError, which
// verifyPassword turns into `false` with that reason, after the same timing-parity run as for an unknown hash.
import { MalformedHashError, UnsupportedHasherError } from "../../errors.js";
import type { PasswordHasher } from "./types.js";

const WHY = "no maintained npm package computes DES crypt(3)";

/** Django's decode: `crypt$<salt>$<hash>`; Django writes an empty salt field and a 13-character DES hash. */
export function decodeCrypt(encoded: string): { salt: string; hash: string } {
  const fields = /^crypt\$([^$]*)\$(.*)$/s.exec(encoded);
  if (!fields) throw new MalformedHashError("crypt", "expected crypt$<salt>$<hash>");
  return { salt: fields[1] ?? "", hash: fields[2] ?? "" };
}

export class CryptHasher implements PasswordHasher {
  readonly algorithm = "crypt";

  salt(): string {
    throw new UnsupportedHasherError(this.algorithm, WHY);
  }

  async encode(): Promise<string> {
    throw new UnsupportedHasherError(this.algorithm, WHY);
  }

  async verify(_password: Buffer, encoded: string): Promise<boolean> {
    decodeCrypt(encoded);
    throw new UnsupportedHasherError(this.algorithm, WHY);
  }

  mustUpdate(): boolean {
    return false;
  }

  async hardenRuntime(): Promise<void> {}
}
