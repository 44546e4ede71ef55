// Typed errors of the Django handler. The worker turns any of them into an ERROR answer whose reason is
// the message: none of them ever carries a password, and database URLs appear only with the password
// masked. A DatabaseError is never turned into "no such user": a lookup that failed is not a miss.

/** A handler spec or option that cannot be used; `key` names the spec key (or option) at fault. */
export class DjangoConfigError extends Error {
  readonly code = "ERR_DJANGO_CONFIG";
  readonly key: string;
  constructor(key: string, problem: string, options?: ErrorOptions) {
    super(`django handler: ${key}: ${problem}`, options);
    this.name = "DjangoConfigError";
    this.key = key;
  }
}

/** The database could not answer: connection refused or lost, timeout, SQL error, missing table. */
export class DatabaseError extends Error {
  readonly code: string = "ERR_DATABASE";
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
export class UserRowError extends Error {
  readonly code = "ERR_DJANGO_USER_ROW";
  constructor(message: string) {
    super(message);
    this.name = "UserRowError";
  }
}
