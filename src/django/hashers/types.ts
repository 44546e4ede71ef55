// The contract every hasher module implements, mirroring Django's BasePasswordHasher. A hasher instance is
// bound to its configured parameters (Django's class attributes), which `mustUpdate` and `hardenRuntime`
// compare the stored hash against.
import type { AlgorithmName } from "./options.js";

export interface PasswordHasher {
  readonly algorithm: AlgorithmName;
  /** A fresh salt in this hasher's form (text for most, a bcrypt salt string for bcrypt). */
  salt(): string;
  /** The encoded hash of `password` with `salt` and the configured parameters. Throws a HasherError. */
  encode(password: Buffer, salt: string): Promise<string>;
  /** Whether `password` matches `encoded`. Throws MalformedHashError where Django would raise. */
  verify(password: Buffer, encoded: string): Promise<boolean>;
  /** Django's must_update: the stored parameters or salt differ from the configured ones. */
  mustUpdate(encoded: string): boolean;
  /** Django's harden_runtime: the extra work that makes a wrong password on an old hash cost as much as a new one. */
  hardenRuntime(password: Buffer, encoded: string): Promise<void>;
}
