// Turns one decoded request into one answer, for one connection: applies the request's handler
// definitions to the connection's table, finds the handler(s) by id, calls the operation's method and
// maps its result onto the status table of docs/protocol.md. Anything unexpected is ERROR, never a grant.
import { AnpError, DatabaseError, HandlerContractError, ScriptThrewError } from "../errors.js";
import type { LockoutPolicy } from "../brute-force/types.js";
import type { HandlerRegistry } from "../handlers/registry.js";
import type { CheckContext, Handler } from "../handlers/types.js";
import { Kind, Status } from "../protocol/constants.js";
import { errorAnswer, type Answer } from "./answer.js";
import { signalOf, type RequestSignal } from "./deadline.js";
import { checkPassword, checkSession, groupsOf, matchGroups, need, type ContextFor } from "./fold.js";
import { HandlerTable } from "./handler-table.js";
import { checkUnderLockouts } from "./lockout.js";
import { RequestContext, type WorkerRequest } from "./request.js";

const HEX_MD5 = /^[0-9a-f]{32}$/;

function booleanAnswer(result: unknown, method: string, noOpinion = false): Answer {
  if (result === true) return { status: Status.GRANTED };
  if (result === false) return { status: Status.DENIED };
  if (noOpinion && result === null) return { status: Status.USER_NOT_FOUND };
  throw new HandlerContractError(`${method} must resolve to true${noOpinion ? ", false or null" : " or false"}`);
}

export class Dispatcher {
  /** The connection's handler ids. */
  readonly #handlers: HandlerTable;
  /** The worker's own lockout policies (the native throttle), asked before each handler's. */
  readonly #policies: readonly LockoutPolicy[];
  readonly #onLockout: () => void;

  /** One per connection: handler ids are defined per connection; the policies are the worker's. */
  constructor(registry: HandlerRegistry, policies: readonly LockoutPolicy[] = [], onLockout: () => void = () => {}) {
    this.#handlers = new HandlerTable(registry);
    this.#policies = policies;
    this.#onLockout = onLockout;
  }

  /** Short text naming the handler of `id` on this connection, for log lines. */
  describeHandler(id: number): string {
    return this.#handlers.describe(id);
  }

  /**
   * The answer for `req`. Rejects (and the caller answers ERROR) when a definition or id is refused, or
   * a handler throws or breaks its contract; never resolves to a grant unless a handler positively
   * granted. The definitions are applied before the first await, so requests see them in frame order.
   */
  async dispatch(req: WorkerRequest, deadline: AbortSignal | RequestSignal): Promise<Answer> {
    this.#handlers.define(req.definitions);
    const handler = await this.#handler(req.handlerId);
    deadline.throwIfAborted();
    // ctx.environ and ctx.signal are getters (RequestContext): the environ is decoded, and the request's
    // AbortSignal made, only when a handler reads them.
    const ctx: ContextFor = (user, userBytes) => new RequestContext(req, deadline, user, userBytes);
    switch (req.kind) {
      case Kind.CHECK_PASSWORD:
        return this.#checkPassword(req, handler, ctx, deadline);
      case Kind.GROUPS_FOR_USER: {
        if (req.user === null) throw new HandlerContractError("GROUPS_FOR_USER without USER");
        const matched = matchGroups(await groupsOf(handler, ctx(req.user.text, req.user.bytes)), req.groups);
        return matched.length > 0 ? { status: Status.GRANTED, groups: matched } : { status: Status.DENIED };
      }
      case Kind.HAS_PERMISSION: {
        if (req.user === null) throw new HandlerContractError("HAS_PERMISSION without USER");
        const hasPermission = need(handler.hasPermission, "hasPermission").bind(handler);
        return booleanAnswer(await hasPermission(ctx(req.user.text, req.user.bytes), req.permissions), "hasPermission");
      }
      case Kind.GET_REALM_HASH:
        return this.#realmHash(req, handler, ctx);
      case Kind.ALLOW_ACCESS: {
        if (req.host === null) throw new HandlerContractError("ALLOW_ACCESS without HOST");
        const allowAccess = need(handler.allowAccess, "allowAccess").bind(handler);
        return booleanAnswer(await allowAccess(req.environ, req.host, signalOf(deadline)), "allowAccess", true);
      }
      case Kind.CHECK_SESSION:
        return this.#checkSession(req, handler, ctx, deadline);
    }
  }

  /** The handler of `id`: an array read once resolved, the registry the first time. */
  #handler(id: number): Handler | Promise<Handler> {
    return this.#handlers.resolved(id) ?? this.#handlers.resolve(id);
  }

  /** GROUP_HANDLER_ID's handler: `handler` itself when the ids are equal, null when none came. */
  async #groupHandler(req: WorkerRequest, handler: Handler, deadline: AbortSignal | RequestSignal): Promise<Handler | null> {
    const groupId = req.groupHandlerId;
    if (groupId === null) return null;
    if (groupId === req.handlerId) return handler;
    const groupHandler = await this.#handler(groupId);
    deadline.throwIfAborted();
    return groupHandler;
  }

  async #checkPassword(req: WorkerRequest, handler: Handler, ctx: ContextFor, deadline: AbortSignal | RequestSignal): Promise<Answer> {
    if (req.user === null || req.password === null) throw new HandlerContractError("CHECK_PASSWORD without USER or PASSWORD");
    const sameHandler = req.groupHandlerId === null || req.groupHandlerId === req.handlerId;
    const groupHandler = await this.#groupHandler(req, handler, deadline);
    const check = {
      user: req.user,
      password: req.password,
      handler,
      groupHandler,
      sameHandler,
      wantedGroups: req.groups,
      permissions: req.permissions,
      wantUserFlags: req.wantUserFlags,
    };
    // Without CLIENT_IP (an older module, a test's client) there is nobody to throttle.
    if (req.client === null) return checkPassword(check, ctx);
    const policies = handler.lockoutPolicies === undefined ? this.#policies : [...this.#policies, ...handler.lockoutPolicies];
    const answer = await checkUnderLockouts(policies, req.client, req.user.text, () => signalOf(deadline), () => checkPassword(check, ctx));
    // A lockout moves the epoch (the change tracker): no child answers a kept grant of a locked-out user.
    if (answer.status === Status.THROTTLED) this.#onLockout();
    return answer;
  }

  /**
   * A session check runs under the same deadline as every request (the connection's PendingRequest), but
   * under no lockout policy (the native throttle, django-axes, django-defender): those count password
   * guesses per user and address. A session key is 32 random characters from a 36-letter alphabet (or, for
   * signed_cookies, an HMAC-signed value): guessing one is not a password-guessing attack a per-user count
   * could slow, and a cookie names no user to count against until it has been checked.
   */
  async #checkSession(req: WorkerRequest, handler: Handler, ctx: ContextFor, deadline: AbortSignal | RequestSignal): Promise<Answer> {
    if (req.sessionKey === null) throw new HandlerContractError("CHECK_SESSION without SESSION_KEY");
    if (handler.checkSession === undefined) throw new HandlerContractError("handler has no checkSession (only the Django handler checks sessions)");
    const groupHandler = await this.#groupHandler(req, handler, deadline);
    const sameHandler = req.groupHandlerId === null || req.groupHandlerId === req.handlerId;
    const check = { sessionKey: req.sessionKey, handler, groupHandler, sameHandler, wantedGroups: req.groups, permissions: req.permissions, wantUserFlags: req.wantUserFlags };
    return checkSession(check, { get signal() { return signalOf(deadline); } }, ctx);
  }

  async #realmHash(req: WorkerRequest, handler: Handler, ctx: ContextFor): Promise<Answer> {
    if (req.user === null || req.realm === null) throw new HandlerContractError("GET_REALM_HASH without USER or REALM");
    const getRealmHash = need(handler.getRealmHash, "getRealmHash").bind(handler);
    const hash: unknown = await getRealmHash(ctx(req.user.text, req.user.bytes) as CheckContext, req.realm);
    if (hash === null) return { status: Status.USER_NOT_FOUND };
    const lower = typeof hash === "string" ? hash.toLowerCase() : "";
    if (!HEX_MD5.test(lower)) throw new HandlerContractError("getRealmHash must resolve to 32 hex digits or null");
    return { status: Status.GRANTED, hash: lower };
  }
}

/** A driver's code that can go into a REASON as it is: letters, digits and `_` only (ECONNREFUSED, 28P01). */
const SAFE_CODE = /^[A-Za-z0-9_]{1,40}$/;
/** A Node system error's code (EPIPE, ERR_...): the only code taken from an error of unknown origin. */
const SYSTEM_CODE = /^E[A-Z0-9_]{2,39}$/;

/**
 * The ERROR answer for a failed request. Its REASON is logged by the module, so it never quotes a
 * handler's or a driver's message: those may hold the password, and removing it from them would not do,
 * because the text around the hole tells what was removed (a password "timeout" cut out of "connection
 * timeout" is still readable). The REASON is the worker's own message when it worded it itself
 * (`safeToEcho`: codes, keys, ids, never a value a handler had in hand), otherwise a fixed wording and
 * the error's code. The driver's full message goes to the worker's log from the database layer
 * (src/django/database/logged.ts), which never has the password in hand.
 */
export function failureAnswer(err: unknown, _req?: Pick<WorkerRequest, "password"> | null): Answer {
  return errorAnswer(failureReason(err));
}

/** The REASON of failureAnswer: see there. */
export function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return `non-error thrown: ${typeof err}`;
  if (err instanceof AnpError && err.safeToEcho) return err.message;
  if (err instanceof DatabaseError) {
    const code = err.driverCode !== undefined && SAFE_CODE.test(err.driverCode) ? `${err.code} ${err.driverCode}` : err.code;
    return `database error (${code})`;
  }
  if (err instanceof ScriptThrewError) return `${err.functionName} threw${err.thrownClass === null ? "" : ` ${err.thrownClass}`} (${err.code})`;
  if (err instanceof AnpError) return `handler error (${err.code})`;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && SYSTEM_CODE.test(code) ? `handler error (${code})` : "handler error";
}
