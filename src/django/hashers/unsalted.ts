// UnsaltedMD5PasswordHasher (a bare 32-character hex digest, or `md5$$` + it) and UnsaltedSHA1PasswordHasher
// (`sha1$$` + a 40-character hex digest): what very old Django stored. They never ask for an update of their
// own; they are upgraded only because the preferred hasher differs.
import { createHash } from "node:crypto";
import { HasherOptionError, MalformedHashError } from "../../errors.js";
import { constantTimeEqual } from "./encoding.js";
import type { PasswordHasher } from "./types.js";

export class UnsaltedMd5Hasher implements PasswordHasher {
  readonly algorithm = "unsalted_md5";

  salt(): string {
    return "";
  }

  /** Writes the bare form, as Django does. */
  async encode(password: Buffer, salt: string): Promise<string> {
    if (salt !== "") throw new HasherOptionError("salt", "unsalted_md5 takes no salt");
    return createHash("md5").update(password).digest("hex");
  }

  async verify(password: Buffer, encoded: string): Promise<boolean> {
    const digest = encoded.length === 37 && encoded.startsWith("md5$$") ? encoded.slice(5) : encoded;
    return constantTimeEqual(createHash("md5").update(password).digest("hex"), digest);
  }

  mustUpdate(): boolean {
    return false;
  }

  async hardenRuntime(): Promise<void> {}
}

export class UnsaltedSha1Hasher implements PasswordHasher {
  readonly algorithm = "unsalted_sha1";

  salt(): string {
    return "";
  }

  async encode(password: Buffer, salt: string): Promise<string> {
    if (salt !== "") throw new HasherOptionError("salt", "unsalted_sha1 takes no salt");
    return `sha1$$${createHash("sha1").update(password).digest("hex")}`;
  }

  async verify(password: Buffer, encoded: string): Promise<boolean> {
    if (!encoded.startsWith("sha1$$")) throw new MalformedHashError(this.algorithm, "expected sha1$$<hex>");
    return constantTimeEqual(await this.encode(password, ""), encoded);
  }

  mustUpdate(): boolean {
    return false;
  }

  async hardenRuntime(): Promise<void> {}
}
