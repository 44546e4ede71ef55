// The contract between the worker and a handler, whichever kind: a user's mod_wsgi-style script
// (src/handlers/script.ts) or the built-in Django handler (src/django/handler.ts).
// The worker decodes a request, calls one method, and encodes the answer; a handler never sees the wire.
import type { ClientInfo, LockoutPolicy } from "../brute-force/types.js";
import type { GenerationStamp } from "../cache/generations-table.js";

/**
 * What a grant was read under (docs/protocol.md "Stamps"): the built-in Django handler with change_feed on
 * gives them, at most MAX_STAMPS; script handlers never do. The module keeps such a grant only while they hold.
 */
export type GrantStamps = readonly GenerationStamp[];

/** What the worker knows about the request being checked. */
export interface CheckContext {
  /**
   * CGI-style variables from the module (mod_wsgi's environ for auth scripts), plus `mod_authnz_node.*`
   * keys. The module sends them only to script handlers; any other handler sees an empty environ.
   */
  readonly environ: Readonly<Record<string, string>>;
  /** User name: UTF-8 when the bytes are valid UTF-8, otherwise Latin-1 (mod_wsgi's choice). */
  readonly user: string;
  /** The user name exactly as the client sent it. */
  readonly userBytes: Buffer;
  /** Aborted when the request's deadline passes or its connection closes. */
  readonly signal: AbortSignal;
  /** Who is trying (CHECK_PASSWORD from a protocol 4 module); null when the request carried no CLIENT_IP. */
  readonly client: ClientInfo | null;
}

export type PasswordVerdict =
  | {
      readonly kind: "granted";
      /** httpd's user becomes this name (mod_wsgi lets a script rename). */
      readonly user?: string;
      /** The user's stamp, when the grant may be kept (see GrantStamps). */
      readonly stamps?: GrantStamps;
    }
  | { readonly kind: "denied" }
  | { readonly kind: "not_found" };

/** A user's Django flags, for `Require node-staff` and `Require node-superuser` (USER_FLAGS). */
export interface UserFlags {
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
}

/** What the worker knows about a session check: no user yet, no environ, no client (never throttled). */
export interface SessionContext {
  /** Aborted when the request's deadline passes or its connection closes. */
  readonly signal: AbortSignal;
}

/**
 * checkSession's answer. `granted`: the session is a logged-in user, named by its USERNAME_FIELD value
 * (httpd's user becomes it), with the user's flags. `anonymous`: Django would see an anonymous user for
 * this cookie; `reason` is a short log text that never holds the key or the session's content.
 */
export type SessionVerdict =
  | {
      readonly kind: "granted";
      readonly user: string;
      readonly flags: UserFlags;
      /** The session's and its user's stamps (GrantStamps); a signed cookie's, its user's only. */
      readonly stamps?: GrantStamps;
      /** With stamps, and only with them: how long after the check the grant may be kept at most, in ms (VALID_FOR). */
      readonly validForMs?: number;
    }
  | { readonly kind: "anonymous"; readonly reason: string };

/** What a password check asks beyond the verdict (the location's Require lines, folded in). */
export interface AuthorizationAsk {
  /** Whether the granted user's groups are wanted (all of them; the worker matches the wanted names). */
  readonly groups: boolean;
  /** Permission names ("app_label.codename"), each once; which of them the granted user holds is wanted. */
  readonly permissions: readonly string[];
}

/**
 * checkPasswordAndAuthorize's answer. When granted: `groups` is every group of the user (when asked),
 * `permissions` the asked names the user holds (when any were asked). Otherwise both may be left out.
 */
export interface PasswordAndAuthorization {
  readonly verdict: PasswordVerdict;
  readonly groups?: readonly string[];
  readonly permissions?: readonly string[];
}

/**
 * A handler answers some of the operations; a missing method means that operation answers ERROR
 * ("handler has no X"). Every method may throw: the worker answers ERROR and logs the reason.
 */
/** What a handler tells the admin status: numbers only, so no user name, password or hash can be in it. */
export type HandlerStatus = Readonly<Record<string, number | Readonly<Record<string, number>>>>;

export interface Handler {
  /** Optional: its pool and cache counters for the admin status (cheap: read, never computed per request). */
  status?(): HandlerStatus;
  checkPassword?(ctx: CheckContext, password: string, passwordBytes: Buffer): Promise<PasswordVerdict>;
  /** The user's groups; an unknown or inactive user has none. */
  groupsForUser?(ctx: CheckContext): Promise<readonly string[]>;
  /**
   * Optional: checkPassword and, when it grants, what `ask` wants of the same user, from one read of the
   * user's data (the built-in Django handler: one user read and one groups or permissions query). The
   * worker (src/worker/fold.ts) calls it for a CHECK_PASSWORD that folds groups and/or permissions in,
   * when this handler answers all of it (no group handler, or the group handler is this one). The answer
   * must equal checkPassword, then groupsForUser and hasPermission(ctx, [name]) per name; it must not
   * rename the user. Without it the worker makes those calls itself.
   */
  checkPasswordAndAuthorize?(
    ctx: CheckContext,
    password: string,
    passwordBytes: Buffer,
    ask: AuthorizationAsk,
  ): Promise<PasswordAndAuthorization>;
  /**
   * Optional: the login session whose cookie value is `sessionKey` (CHECK_SESSION). Without it the worker
   * answers CHECK_SESSION with ERROR ("handler has no checkSession"): script handlers have none. Database
   * and other failures throw (ERROR); only a session Django would call anonymous is `anonymous`.
   */
  checkSession?(sessionKey: string, ctx: SessionContext): Promise<SessionVerdict>;
  /**
   * Optional: the flags of `ctx.user`, for a granted CHECK_PASSWORD that asked for them (WANT_USER_FLAGS);
   * null for a user that is not there (the worker then answers ERROR: the user was just granted).
   */
  userFlags?(ctx: CheckContext): Promise<UserFlags | null>;
  /** Whether the user holds at least one of `permissions` ("app_label.codename"). */
  hasPermission?(ctx: CheckContext, permissions: readonly string[]): Promise<boolean>;
  /** Hex MD5 of `user:realm:password`, or null for no such user. */
  getRealmHash?(ctx: CheckContext, realm: string): Promise<string | null>;
  /** true allow, false refuse, null no opinion. */
  allowAccess?(environ: Readonly<Record<string, string>>, host: string, signal: AbortSignal): Promise<boolean | null>;
  /**
   * Optional: the lockouts this handler's configuration adds to the worker's own throttle (the Django
   * handler: django-axes, django-defender). The worker asks them before checkPassword and tells them the
   * outcome after; see src/brute-force/types.ts.
   */
  readonly lockoutPolicies?: readonly LockoutPolicy[];
  /** Releases pools and files; called when the worker stops. */
  close(): Promise<void>;
}

/** A handler spec (docs/protocol.md, "Handler specs"), parsed into its keys. */
export type HandlerSpec = Readonly<Record<string, string>>;
