// Argon2PasswordHasher: "argon2" + the PHC string argon2-cffi writes,
// `argon2$argon2id$v=19$m=102400,t=2,p=8$<b64 salt>$<b64 hash>`, base64 unpadded, the salt field being the
// base64 of Django's ASCII salt text. Verification reads type, version and costs from the stored string (as
// argon2-cffi's PasswordHasher.verify does), recomputes the raw hash with the `argon2` package and compares
// the bytes. A missing `v=` field means version 0x10, the form written before argon2 1.3. The hash length
// Django writes and expects is argon2-cffi's DEFAULT_HASH_LENGTH, which depends on the installed argon2-cffi
// (16 bytes up to 21.1, e.g. Debian 12's python3-argon2; 32 from 21.2): `params.argon2.hashLength`.
import { hash as argon2Hash } from "argon2";
import { MalformedHashError } from "../../errors.js";
import { base64Unpadded, constantTimeEqual, decodeBase64Unpadded, randomString, SALT_LENGTH, saltIsWeak } from "./encoding.js";
import type { Argon2Params } from "./options.js";
import type { PasswordHasher } from "./types.js";

const TYPES = { argon2d: 0, argon2i: 1, argon2id: 2 } as const;
type Argon2Variety = keyof typeof TYPES;

/** The version argon2-cffi's extract_parameters reports for a hash without `v=` (not a real version number). */
const VERSIONLESS_REPORTED = 18;
const CURRENT_VERSION = 0x13;

export interface DecodedArgon2 {
  readonly variety: Argon2Variety;
  /** The version used to compute: 0x10 or 0x13 (or what `v=` says). */
  readonly version: number;
  /** The version argon2-cffi reports, which is what Django compares in must_update. */
  readonly reportedVersion: number;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const PHC = /^argon2\$(argon2id|argon2i|argon2d)\$(?:v=(\d{1,10})\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$([^$]*)\$([^$]*)$/;

export function decodeArgon2(encoded: string): DecodedArgon2 {
  const match = PHC.exec(encoded);
  if (!match) throw new MalformedHashError("argon2", "not argon2$<type>$[v=<n>$]m=<n>,t=<n>,p=<n>$<salt>$<hash>");
  const [, variety, versionText, m, t, p, saltText, hashText] = match as unknown as [string, Argon2Variety, string | undefined, string, string, string, string, string];
  const salt = decodeBase64Unpadded(saltText);
  const hash = decodeBase64Unpadded(hashText);
  if (!salt || !hash) throw new MalformedHashError("argon2", "salt or hash is not unpadded base64");
  // The reference implementation's limits (ARGON2_MIN_SALT_LENGTH, ARGON2_MIN_OUTLEN); argon2-cffi refuses
  // such strings too.
  if (salt.length < 8 || hash.length < 4) throw new MalformedHashError("argon2", "salt or hash too short");
  const version = versionText === undefined ? 0x10 : Number(versionText);
  if (version !== 0x10 && version !== 0x13) throw new MalformedHashError("argon2", `unknown version ${version}`);
  const decoded = {
    variety,
    version,
    reportedVersion: versionText === undefined ? VERSIONLESS_REPORTED : version,
    memoryCost: Number(m),
    timeCost: Number(t),
    parallelism: Number(p),
    salt,
    hash,
  };
  if (decoded.timeCost < 1 || decoded.parallelism < 1 || decoded.parallelism > 2 ** 24 - 1 || decoded.memoryCost < 8 * decoded.parallelism) {
    throw new MalformedHashError("argon2", "costs out of range");
  }
  if (decoded.memoryCost > 2 ** 32 - 1 || decoded.timeCost > 2 ** 32 - 1) throw new MalformedHashError("argon2", "costs out of range");
  return decoded;
}

export class Argon2Hasher implements PasswordHasher {
  readonly algorithm = "argon2";
  readonly #params: Argon2Params;

  constructor(params: Argon2Params) {
    this.#params = params;
  }

  salt(): string {
    return randomString(SALT_LENGTH);
  }

  async encode(password: Buffer, salt: string): Promise<string> {
    const saltBytes = Buffer.from(salt, "utf8");
    const { timeCost, memoryCost, parallelism } = this.#params;
    const hash = await argon2Hash(password, {
      raw: true,
      salt: saltBytes,
      timeCost,
      memoryCost,
      parallelism,
      hashLength: this.#params.hashLength,
      type: TYPES.argon2id,
      version: CURRENT_VERSION,
    });
    return `argon2$argon2id$v=${CURRENT_VERSION}$m=${memoryCost},t=${timeCost},p=${parallelism}$${base64Unpadded(saltBytes)}$${base64Unpadded(hash)}`;
  }

  async verify(password: Buffer, encoded: string): Promise<boolean> {
    const decoded = decodeArgon2(encoded);
    const again = await argon2Hash(password, {
      raw: true,
      salt: decoded.salt,
      timeCost: decoded.timeCost,
      memoryCost: decoded.memoryCost,
      parallelism: decoded.parallelism,
      hashLength: decoded.hash.length,
      type: TYPES[decoded.variety],
      version: decoded.version,
    });
    return constantTimeEqual(again, decoded.hash);
  }

  /** Django compares argon2-cffi Parameters (type, version, hash length, costs) and checks the salt's strength. */
  mustUpdate(encoded: string): boolean {
    const d = decodeArgon2(encoded);
    const p = this.#params;
    const sameParameters =
      d.variety === "argon2id" &&
      d.reportedVersion === CURRENT_VERSION &&
      d.hash.length === p.hashLength &&
      d.timeCost === p.timeCost &&
      d.memoryCost === p.memoryCost &&
      d.parallelism === p.parallelism;
    // Django decodes the salt as latin-1, so its length in characters is its length in bytes.
    return !sameParameters || saltIsWeak(d.salt.length);
  }

  /** Django does nothing here: argon2's cost is too complex to top up. */
  async hardenRuntime(): Promise<void> {}
}
