// Every error class of the worker, in one place, on the ground floor (it imports nothing). Each has a
// stable `code` that callers and tests branch on, never the message, and says whether its message may
// be echoed to the module as it is (`safeToEcho`). Any error becomes an ERROR answer whose REASON is the
// message when the worker worded it itself from what it knows (codes, keys, ids, types), which cannot
// hold the password; any other error's REASON is a fixed wording and its code (failureReason in
// src/worker/dispatcher.ts), because a handler, a driver or a script may have put anything it had in
// hand into its message.

/** The base class: a stable code, a name, and whether the message is the worker's own wording. */
export class AnpError extends Error {
  readonly code: string = "ERR_ANP";
  /** True when the worker words the message itself from what it knows (no password can be in it), so it may be answered as it is. */
  readonly safeToEcho: boolean = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AnpError";
  }
}

// ---- protocol -------------------------------------------------------------------------------------

export type ProtocolErrorCode = "E_TOO_LARGE" | "E_MALFORMED";

/**
 * A frame or message that breaks the wire protocol. The codes are the C codec's (anp_result) so both
 * sides name the same failure alike. The worker answers ERROR carrying `requestId` and then closes the
 * connection (docs/protocol.md, "Connection life" 3).
 */
export class ProtocolError extends AnpError {
  override readonly code: ProtocolErrorCode;
  override readonly safeToEcho = true;
  /** The bad frame's request id, or 0 when its header could not be read (bad length prefix). */
  readonly requestId: number;
  constructor(code: ProtocolErrorCode, message: string, requestId = 0) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.requestId = requestId;
  }
}

// ---- native addon ---------------------------------------------------------------------------------

/** The addon could not do what was asked (e.g. a socket without a file descriptor). */
export class AddonError extends AnpError {
  override readonly code: "E_NO_FD";
  constructor(code: "E_NO_FD", message: string) {
    super(message);
    this.name = "AddonError";
    this.code = code;
  }
}

// ---- handler specs, the registry, handler ids ------------------------------------------------------

/** A spec that cannot be used; `key` names the offending key (or line) so the ERROR reason points at it. */
export class SpecError extends AnpError {
  override readonly code = "ERR_ANP_SPEC";
  override readonly safeToEcho = true;
  readonly key: string;
  constructor(key: string, message: string) {
    super(`handler spec: ${key}: ${message}`);
    this.name = "SpecError";
    this.key = key;
  }
}

/** No factory could make a handler of this type (e.g. the Django handler module failed to load). */
export class HandlerUnavailableError extends AnpError {
  override readonly code = "ERR_ANP_HANDLER_UNAVAILABLE";
  /** Raised when a handler is made, before it sees any password. */
  override readonly safeToEcho = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HandlerUnavailableError";
  }
}

/** The registry is full: a misbehaving peer cannot make the worker keep handlers without bound. */
export class TooManyHandlersError extends AnpError {
  override readonly code = "ERR_ANP_TOO_MANY_HANDLERS";
  override readonly safeToEcho = true;
  constructor(limit: number) {
    super(`more than ${limit} distinct handler specs`);
    this.name = "TooManyHandlersError";
  }
}

/**
 * A handler id the connection's table refuses: out of range, defined again with another spec text, or
 * used without a definition. The request answers ERROR; the connection stays up.
 */
export class HandlerIdError extends AnpError {
  override readonly code = "ERR_ANP_HANDLER_ID";
  override readonly safeToEcho = true;
  readonly id: number;
  constructor(id: number, message: string) {
    super(message);
    this.name = "HandlerIdError";
    this.id = id;
  }
}

/** A handler that broke its contract with the worker (e.g. a built-in handler bug); answers ERROR. */
export class HandlerContractError extends AnpError {
  override readonly code = "ERR_ANP_HANDLER_CONTRACT";
  override readonly safeToEcho = true;
  constructor(message: string) {
    super(message);
    this.name = "HandlerContractError";
  }
}

// ---- script handlers ------------------------------------------------------------------------------

/** The script could not be found, read or evaluated. */
export class ScriptLoadError extends AnpError {
  override readonly code = "ERR_ANP_SCRIPT_LOAD";
  /** Loading happens before the script sees any password, so its message cannot hold one. */
  override readonly safeToEcho = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ScriptLoadError";
  }
}

/** The script does not export the function an operation needs. */
export class ScriptMissingFunctionError extends AnpError {
  override readonly code = "ERR_ANP_SCRIPT_MISSING";
  override readonly safeToEcho = true;
  readonly functionName: string;
  constructor(functionName: string) {
    super(`script exports no ${functionName}`);
    this.name = "ScriptMissingFunctionError";
    this.functionName = functionName;
  }
}

/**
 * The script's function threw (or its promise rejected). The message quotes what it threw, so it may
 * hold the password and never leaves the worker; an ERROR answer names only the function and the code.
 */
export class ScriptThrewError extends AnpError {
  override readonly code = "ERR_ANP_SCRIPT_THREW";
  readonly functionName: string;
  /** The class of what was thrown when it is one of JavaScript's own (TypeError...), else null. */
  readonly thrownClass: string | null;
  constructor(functionName: string, cause: unknown) {
    super(`${functionName} threw: ${describeThrown(cause)}`, { cause });
    this.name = "ScriptThrewError";
    this.functionName = functionName;
    this.thrownClass = builtinErrorClass(cause);
  }
}

const BUILTIN_ERRORS: readonly (new () => Error)[] = [Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, AggregateError as never];

/**
 * The name of `thrown`'s class when it is one of JavaScript's own (TypeError...), else null. Found by the
 * class's identity, not by `name`, which a script can set to anything (its password included).
 */
export function builtinErrorClass(thrown: unknown): string | null {
  if (typeof thrown !== "object" || thrown === null) return null;
  const ctor = Object.getPrototypeOf(thrown)?.constructor as unknown;
  const found = BUILTIN_ERRORS.find((builtin) => builtin === ctor);
  return found === undefined ? null : found.prototype.name;
}

/** The script's function returned something its contract does not allow (mod_wsgi: a TypeError, 500). */
export class ScriptResultError extends AnpError {
  override readonly code = "ERR_ANP_SCRIPT_RESULT";
  override readonly safeToEcho = true;
  constructor(functionName: string, expected: string, got: unknown, what = "returned") {
    super(`${functionName} ${what} ${describeValue(got)}, expected ${expected}`);
    this.name = "ScriptResultError";
  }
}

function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return describeValue(thrown);
}

/** A value's kind, never its content: a wrong return value may be the password itself. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (Buffer.isBuffer(value)) return "a Buffer";
  const type = typeof value;
  if (type === "object") return `an object (${(value as object).constructor?.name ?? "no prototype"})`;
  return `a ${type}`;
}

// ---- the worker -----------------------------------------------------------------------------------

/** A bad command-line flag or config-file key; the worker exits with status 2 and names it. */
export class WorkerConfigError extends AnpError {
  override readonly code = "ERR_ANP_CONFIG";
  /** The flag or config key at fault, e.g. `--socket-mode` or `config:timeoutMs`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = "WorkerConfigError";
    this.option = option;
  }
}

/** A request whose fields break the protocol (missing, repeated, or badly sized); the connection is closed. */
export class RequestError extends AnpError {
  override readonly code = "ERR_ANP_REQUEST";
  override readonly safeToEcho = true;
  constructor(message: string) {
    super(message);
    this.name = "RequestError";
  }
}

/** The request's deadline passed before its handler answered. */
export class DeadlineError extends AnpError {
  override readonly code = "ERR_ANP_DEADLINE";
  override readonly safeToEcho = true;
  constructor() {
    super("deadline exceeded");
    this.name = "DeadlineError";
  }
}

/**
 * A client address already has as many password hashes waiting as the hashing queue allows it
 * (--hash-queue); the worker answers THROTTLED (HTTP 429, Retry-After 1) at once instead of holding an
 * httpd thread until the deadline.
 */
export class HashQueueFullError extends AnpError {
  override readonly code = "ERR_ANP_HASH_QUEUE_FULL";
  override readonly safeToEcho = true;
  constructor(perAddress: number) {
    super(`hashing queue full for this client address (${perAddress} waiting)`);
    this.name = "HashQueueFullError";
  }
}

/** The worker is stopping and answers nothing new. */
export class ShuttingDownError extends AnpError {
  override readonly code = "ERR_ANP_SHUTTING_DOWN";
  override readonly safeToEcho = true;
  constructor() {
    super("worker shutting down");
    this.name = "ShuttingDownError";
  }
}

/** An answer that does not fit in one frame (e.g. thousands of groups). */
export class AnswerTooLargeError extends AnpError {
  override readonly code = "ERR_ANP_ANSWER_TOO_LARGE";
  constructor(detail: string) {
    super(`answer too large: ${detail}`);
    this.name = "AnswerTooLargeError";
  }
}

// ---- the Django handler ---------------------------------------------------------------------------
// None of these ever carries a user's password (the database never sees one), and database URLs appear
// only with the password masked; an ERROR answer still carries only their code, because the message
// quotes the driver's text. A DatabaseError is never turned into
// "no such user": a lookup that failed is not a miss.

/** A handler spec or option that cannot be used; `key` names the spec key (or option) at fault. */
export class DjangoConfigError extends AnpError {
  override readonly code = "ERR_DJANGO_CONFIG";
  /** Raised when the handler is made, from its spec, before it sees any password. */
  override readonly safeToEcho = true;
  readonly key: string;
  constructor(key: string, problem: string, options?: ErrorOptions) {
    super(`django handler: ${key}: ${problem}`, options);
    this.name = "DjangoConfigError";
    this.key = key;
  }
}

/** The database could not answer: connection refused or lost, timeout, SQL error, missing table. */
export class DatabaseError extends AnpError {
  override readonly code: string = "ERR_DATABASE";
  /** The driver's own code (e.g. ECONNREFUSED, 42P01, ER_NO_SUCH_TABLE, SQLITE_BUSY), when it gave one. */
  readonly driverCode: string | undefined;
  constructor(message: string, options?: ErrorOptions & { driverCode?: string }) {
    super(message, options);
    this.name = "DatabaseError";
    this.driverCode = options?.driverCode;
  }
}

/** The database took longer than the query timeout (a DatabaseError, so callers may treat both alike). */
export class DatabaseTimeoutError extends DatabaseError {
  override readonly code = "ERR_DATABASE_TIMEOUT";
  constructor(message: string, options?: ErrorOptions & { driverCode?: string }) {
    super(message, options);
    this.name = "DatabaseTimeoutError";
  }
}

/**
 * The user table answered something Django itself would fail on: two rows for one USERNAME_FIELD value
 * (Django raises MultipleObjectsReturned) or a NULL password (Django raises TypeError).
 */
export class UserRowError extends AnpError {
  override readonly code = "ERR_DJANGO_USER_ROW";
  constructor(message: string) {
    super(message);
    this.name = "UserRowError";
  }
}

// ---- Django's password hashers --------------------------------------------------------------------
// None of them ever carries a password or a full encoded hash: an encoded hash is as sensitive as the
// password for weak algorithms, so messages name the algorithm only.

/** Base class of the hashers' errors. */
export class HasherError extends AnpError {
  override readonly code: string = "ERR_HASHER";
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

// ---- the demo ---------------------------------------------------------------------------------------

/** An HTTP request of the demo's checks failed below HTTP (refused, reset, timed out). */
export class HttpRequestError extends AnpError {
  override readonly code = "ERR_HTTP_REQUEST";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HttpRequestError";
  }
}

/** The demo's Apache did not start. */
export class HttpdStartError extends AnpError {
  override readonly code = "ERR_HTTPD_START";
  constructor(message: string) {
    super(message);
    this.name = "HttpdStartError";
  }
}

/** The demo's Apache configuration cannot be written as asked. */
export class HttpdConfigError extends AnpError {
  override readonly code = "ERR_HTTPD_CONFIG";
  constructor(message: string) {
    super(message);
    this.name = "HttpdConfigError";
  }
}

/** The Django oracle (real Django in a child process) failed or answered nonsense. */
export class DjangoOracleError extends AnpError {
  override readonly code = "ERR_DJANGO_ORACLE";
  constructor(message: string) {
    super(message);
    this.name = "DjangoOracleError";
  }
}

// ---- the operators' command line (mod-authnz-node) -------------------------------------------------

/** A command line the CLI cannot run: unknown command or flag, a missing or bad value. Exit status 64. */
export class CliUsageError extends AnpError {
  override readonly code = "ERR_CLI_USAGE";
  override readonly safeToEcho = true;
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

/** The password could not be read (no TTY and no stdin, too long, the two entries differ, interrupted). */
export class CliPasswordError extends AnpError {
  override readonly code = "ERR_CLI_PASSWORD";
  override readonly safeToEcho = true;
  constructor(message: string) {
    super(message);
    this.name = "CliPasswordError";
  }
}
