// The contract between the worker and a handler, whichever kind: a user's mod_wsgi-style script
// (src/handlers/script.ts) or the built-in Django handler (src/django/handler.ts).
// The worker decodes a request, calls one method, and encodes the answer; a handler never sees the wire.

/** What the worker knows about the request being checked. */
export interface CheckContext {
  /** CGI-style variables from the module (mod_wsgi's environ for auth scripts), plus `mod_authnz_node.*` keys. */
  readonly environ: Readonly<Record<string, string>>;
  /** User name: UTF-8 when the bytes are valid UTF-8, otherwise Latin-1 (mod_wsgi's choice). */
  readonly user: string;
  /** The user name exactly as the client sent it. */
  readonly userBytes: Buffer;
  /** Aborted when the request's deadline passes or its connection closes. */
  readonly signal: AbortSignal;
}

export type PasswordVerdict =
  | { readonly kind: "granted"; /** httpd's user becomes this name (mod_wsgi lets a script rename). */ readonly user?: string }
  | { readonly kind: "denied" }
  | { readonly kind: "not_found" };

/** checkPasswordWithGroups' answer: groups is the user's groups when granted, otherwise empty. */
export interface PasswordWithGroups {
  readonly verdict: PasswordVerdict;
  readonly groups: readonly string[];
}

/** checkPasswordWithPermissions' answer: the asked permissions the user holds when granted, otherwise none. */
export interface PasswordWithPermissions {
  readonly verdict: PasswordVerdict;
  readonly permissions: readonly string[];
}

/**
 * A handler answers some of the operations; a missing method means that operation answers ERROR
 * ("handler has no X"). Every method may throw: the worker answers ERROR and logs the reason.
 */
export interface Handler {
  checkPassword?(ctx: CheckContext, password: string, passwordBytes: Buffer): Promise<PasswordVerdict>;
  /** The user's groups; an unknown or inactive user has none. */
  groupsForUser?(ctx: CheckContext): Promise<readonly string[]>;
  /**
   * Optional: checkPassword and, when it grants, groupsForUser of the same user, from one read of the
   * user's data (the built-in Django handler: one query instead of two). The worker uses it for a
   * CHECK_PASSWORD whose GROUP_HANDLER is this same handler; the answers must equal the two calls'.
   */
  checkPasswordWithGroups?(ctx: CheckContext, password: string, passwordBytes: Buffer): Promise<PasswordWithGroups>;
  /**
   * Optional: checkPassword and, when it grants, which of `permissions` the user holds, from one read of
   * the user (the built-in Django handler). The worker uses it for a CHECK_PASSWORD that carries the
   * location's Require node-permission names and no group handler; the held names must be exactly those
   * for which hasPermission(ctx, [name]) would be true.
   */
  checkPasswordWithPermissions?(ctx: CheckContext, password: string, passwordBytes: Buffer, permissions: readonly string[]): Promise<PasswordWithPermissions>;
  /** Whether the user holds at least one of `permissions` ("app_label.codename"). */
  hasPermission?(ctx: CheckContext, permissions: readonly string[]): Promise<boolean>;
  /**
   * Optional: which of `permissions` the user holds, each decided on its own (exactly those for which
   * hasPermission(ctx, [name]) would be true), in one call instead of one per name.
   */
  permissionsHeld?(ctx: CheckContext, permissions: readonly string[]): Promise<readonly string[]>;
  /** Hex MD5 of `user:realm:password`, or null for no such user. */
  getRealmHash?(ctx: CheckContext, realm: string): Promise<string | null>;
  /** true allow, false refuse, null no opinion. */
  allowAccess?(environ: Readonly<Record<string, string>>, host: string, signal: AbortSignal): Promise<boolean | null>;
  /** Releases pools and files; called when the worker stops. */
  close(): Promise<void>;
}

/** A handler spec (docs/protocol.md, "Handler specs"), parsed into its keys. */
export type HandlerSpec = Readonly<Record<string, string>>;
