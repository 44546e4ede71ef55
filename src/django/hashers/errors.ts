// Typed errors of the hashers library. None of them ever carries a password or a full encoded hash: an
// encoded hash is as sensitive as the password for weak algorithms, so messages name the algorithm only.

/** Base class: every error of this library has a stable `code`. */
export class HasherError extends Error {
  readonly code: string = "ERR_HASHER";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HasherError";
  }
}

/**
 * The encoded value names no hasher Django has ever shipped (Django: "Unknown password hashing algorithm").
 * `algorithm` is the name read from the value only when it has the shape of one (a `$`-terminated identifier);
 * otherwise it is null, because a value without `$` may be a plaintext password or a bare digest that
 * must not reach a log.
 */
export class UnknownHasherError extends HasherError {
  override readonly code = "ERR_HASHER_UNKNOWN";
  readonly algorithm: string | null;
  constructor(algorithm: string | null) {
    super(algorithm === null ? "stored value names no password hashing algorithm" : `unknown password hashing algorithm '${algorithm}'`);
    this.name = "UnknownHasherError";
    this.algorithm = algorithm;
  }
}

/** A hasher Django knows, but not in the enabled list (Django's PASSWORD_HASHERS). */
export class DisabledHasherError extends HasherError {
  override readonly code = "ERR_HASHER_DISABLED";
  readonly algorithm: string;
  constructor(algorithm: string) {
    super(`password hashing algorithm '${algorithm}' is not enabled (not in the hashers list)`);
    this.name = "DisabledHasherError";
    this.algorithm = algorithm;
  }
}

/** The encoded value has the hasher's prefix but not its format (where Django would raise). */
export class MalformedHashError extends HasherError {
  override readonly code = "ERR_HASH_MALFORMED";
  readonly algorithm: string;
  constructor(algorithm: string, problem: string, options?: ErrorOptions) {
    super(`malformed ${algorithm} hash: ${problem}`, options);
    this.name = "MalformedHashError";
    this.algorithm = algorithm;
  }
}

/** A hasher Django has, that this library cannot compute (DES crypt(3)). */
export class UnsupportedHasherError extends HasherError {
  override readonly code = "ERR_HASHER_UNSUPPORTED";
  readonly algorithm: string;
  constructor(algorithm: string, why: string) {
    super(`password hashing algorithm '${algorithm}' is not supported: ${why}`);
    this.name = "UnsupportedHasherError";
    this.algorithm = algorithm;
  }
}

/** An option (hasher list, parameter, salt) that Django would refuse or that cannot work. */
export class HasherOptionError extends HasherError {
  override readonly code = "ERR_HASHER_OPTION";
  readonly option: string;
  constructor(option: string, problem: string) {
    super(`hasher option ${option}: ${problem}`);
    this.name = "HasherOptionError";
    this.option = option;
  }
}

/** The password cannot be hashed by this algorithm (plain bcrypt: NUL bytes, or over 72 bytes when rejected). */
export class UnhashablePasswordError extends HasherError {
  override readonly code = "ERR_HASHER_PASSWORD";
  readonly algorithm: string;
  constructor(algorithm: string, problem: string) {
    super(`${algorithm}: ${problem}`);
    this.name = "UnhashablePasswordError";
    this.algorithm = algorithm;
  }
}
