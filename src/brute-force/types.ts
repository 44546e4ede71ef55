// The contract between the worker and what decides whether a client may try a password at all: the
// native throttle (per host, in the worker's memory), django-axes' table and django-defender's Redis keys
// (shared with the Django site, so cluster-wide). The worker asks every policy that applies before any
// handler hashes, and tells each the outcome after; a policy never sees the password.

/** Who is trying, as the module saw the request (docs/protocol.md: CLIENT_IP, USER_AGENT, HTTP_ACCEPT, PATH_INFO). */
export interface ClientInfo {
  /** `r->useragent_ip`: the address after mod_remoteip, the one the Django site must see too. */
  readonly ip: string;
  /** The User-Agent header (the module sends at most 1024 bytes of it); null when the request had none. */
  readonly userAgent: string | null;
  /** The Accept header (at most 1024 bytes); null when the request had none. */
  readonly accept: string | null;
  /** The request's path (`r->uri`, at most 1024 bytes). */
  readonly path: string | null;
}

/**
 * Whom a lock refuses: "address", every check from the client's address whatever the user; "user", only
 * this user name from this address (or narrower). The module remembers a THROTTLED answer under this
 * scope for up to a second and refuses again without asking (native/mod/throttle_memo.h), so a policy
 * that is unsure says "user": the narrower memo only saves fewer trips, the wider one would refuse
 * users the policy would not.
 */
export type LockScope = "address" | "user";

/** What a policy says before the check: go on, or refuse with HTTP 429 and Retry-After. */
export type LockoutDecision =
  | { readonly locked: false }
  | {
      readonly locked: true;
      /** Whole seconds until the client may try again (Retry-After); at least 1. */
      readonly retryAfterSeconds: number;
      /** Which rule locked, for the log line: "address", "pair", "user", "axes", "defender", "queue". Never a password. */
      readonly reason: string;
      /** Whom the lock refuses (see LockScope). */
      readonly scope: LockScope;
    };

export const NOT_LOCKED: LockoutDecision = Object.freeze({ locked: false });

/** How a password check ended, as far as lockouts care. A handler error is none of these and is not recorded. */
export type CheckOutcome = "granted" | "denied" | "not_found";

export interface LockoutPolicy {
  /** Short name for logs: "native", "axes", "defender". */
  readonly name: string;
  /**
   * Before any hashing: whether `client` may try a password for `user` now. Rejects on a backend failure
   * (the worker answers ERROR: fail closed, never an unchecked grant).
   */
  check(client: ClientInfo, user: string, signal: AbortSignal): Promise<LockoutDecision> | LockoutDecision;
  /** After a check that reached a verdict: counts a failure or honours a success (a reset where the policy's rules say so). */
  record(client: ClientInfo, user: string, outcome: CheckOutcome, signal: AbortSignal): Promise<void> | void;
  /** Releases connections; called when the worker stops. */
  close?(): Promise<void>;
}
