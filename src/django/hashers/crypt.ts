// CryptPasswordHasher (Django 1.4 to 4.2): `crypt$<salt>$<crypt(3) output>`, where Django writes an empty
// salt field because the output carries its own setting. Django checks a password by calling crypt(3) with
// the stored output as the setting and comparing the result with it; so does this hasher, through the same
// C library (libxcrypt) in the native addon, so every method the system offers (traditional DES, $1$, $5$,
// $6$, $y$, $2b$...) gives the answer Django gets on this machine. Never in a Django default
// PASSWORD_HASHERS: it verifies only where `hashers` names it.
import { timingSafeEqual } from "node:crypto";
import { HasherOptionError, MalformedHashError, UnhashablePasswordError, UnsupportedHasherError } from "../../errors.js";
import { addonLoadFailure, loadAddon, type Addon } from "../../native/addon.js";
import { codePointLength, randomString } from "./encoding.js";
import type { PasswordHasher } from "./types.js";

/** Django's decode: `encoded.split("$", 2)` must give three parts; the third may itself hold `$`. */
export function decodeCrypt(encoded: string): { salt: string; hash: string } {
  const fields = /^crypt\$([^$]*)\$(.*)$/s.exec(encoded);
  if (!fields) throw new MalformedHashError("crypt", "expected crypt$<salt>$<hash>");
  return { salt: fields[1] ?? "", hash: fields[2] ?? "" };
}

type CryptAddon = Pick<Addon, "crypt" | "cryptMaxPassphrase">;

export class CryptHasher implements PasswordHasher {
  readonly algorithm = "crypt";

  /** `addon` is how the hasher reaches crypt(3); tests pass one that has none. */
  constructor(private readonly addon: () => CryptAddon | null = loadAddon) {}

  /** Django's salt(): get_random_string(2), a traditional DES salt. */
  salt(): string {
    return randomString(2);
  }

  async encode(password: Buffer, salt: string): Promise<string> {
    // Django asserts (3.2) or raises ValueError (4.x) unless the salt is 2 characters.
    if (codePointLength(salt) !== 2) throw new HasherOptionError("salt", "crypt takes a salt of exactly 2 characters");
    const addon = this.cryptAddon();
    this.checkPassword(addon, password);
    if (salt.includes("\0")) throw new HasherOptionError("salt", "must not contain a NUL character");
    const hash = await addon.crypt(password, Buffer.from(salt, "utf8"));
    // Django would store libxcrypt's failure token as if it were a hash; a refused salt is an error here.
    if (hash === null) throw new HasherOptionError("salt", "crypt(3) refuses this salt (traditional DES takes 2 of [./0-9A-Za-z])");
    return `crypt$$${hash.toString("latin1")}`;
  }

  async verify(password: Buffer, encoded: string): Promise<boolean> {
    const stored = Buffer.from(decodeCrypt(encoded).hash, "utf8");
    const addon = this.cryptAddon();
    // Python refuses a str with a NUL before crypt(3) is called, and Django lets the ValueError through.
    if (stored.includes(0)) throw new MalformedHashError("crypt", "the stored hash contains a NUL character");
    this.checkPassword(addon, password);
    const computed = await addon.crypt(password, stored);
    // A failed crypt(3) means the stored value is no setting it knows: Django's comparison can then only
    // say False, and here the caller runs the preferred hasher instead, as for any value it cannot compute.
    if (computed === null) throw new MalformedHashError("crypt", "crypt(3) refuses the stored hash as a setting");
    return computed.length === stored.length && timingSafeEqual(computed, stored);
  }

  /** Django's BasePasswordHasher.must_update: crypt has no parameters to grow. */
  mustUpdate(): boolean {
    return false;
  }

  /** Django's CryptPasswordHasher.harden_runtime does nothing. */
  async hardenRuntime(): Promise<void> {}

  private cryptAddon(): CryptAddon {
    const addon = this.addon();
    if (addon === null || typeof addon.crypt !== "function") {
      throw new UnsupportedHasherError(this.algorithm, `crypt(3) comes from the native addon, which is not loaded (${addonLoadFailure() ?? "it has no crypt: rebuild it"})`);
    }
    return addon;
  }

  /** Passwords crypt(3) cannot take: with a NUL (Python raises ValueError), or too long (crypt fails). */
  private checkPassword(addon: CryptAddon, password: Buffer): void {
    if (password.includes(0)) throw new UnhashablePasswordError(this.algorithm, "crypt(3) takes no NUL byte");
    if (password.length >= addon.cryptMaxPassphrase) {
      throw new UnhashablePasswordError(this.algorithm, `crypt(3) takes fewer than ${addon.cryptMaxPassphrase} bytes`);
    }
  }
}
