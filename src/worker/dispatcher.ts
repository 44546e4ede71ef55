// Turns one decoded request into one answer: finds the handler(s), calls the operation's method and
// maps its result onto the status table of docs/protocol.md. Anything unexpected is ERROR, never a grant.
import { Kind, Status } from "../protocol/constants.js";
import type { HandlerRegistry } from "../handlers/registry.js";
import type { CheckContext, Handler, PasswordVerdict } from "../handlers/types.js";
import { errorAnswer, scrubSecret, type Answer } from "./answer.js";
import { signalOf, type RequestSignal } from "./deadline.js";
import { RequestContext, type WireText, type WorkerRequest } from "./request.js";

/** A handler that broke its contract with the worker (e.g. a built-in handler bug); answers ERROR. */
export class HandlerContractError extends Error {
  readonly code = "ERR_ANP_HANDLER_CONTRACT";
  constructor(message: string) {
    super(message);
    this.name = "HandlerContractError";
  }
}

const HEX_MD5 = /^[0-9a-f]{32}$/;

/** httpd compares group names as apr_table_get does (mod_wsgi parity): ASCII case-insensitively. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The handler's groups that the request asked for, in the handler's spelling, each once. */
export function matchGroups(userGroups: readonly string[], wanted: readonly string[]): string[] {
  const wantedKeys = new Set(wanted.map(asciiLower));
  const seen = new Set<string>();
  const matched: string[] = [];
  for (const group of userGroups) {
    const key = asciiLower(group);
    if (wantedKeys.has(key) && !seen.has(key)) {
      seen.add(key);
      matched.push(group);
    }
  }
  return matched;
}

function need<T>(method: T | undefined, name: string): T {
  if (method === undefined) throw new HandlerContractError(`handler has no ${name}`);
  return method;
}

function checkGroups(groups: unknown): readonly string[] {
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === "string")) {
    throw new HandlerContractError("groupsForUser must resolve to an array of strings");
  }
  return groups as readonly string[];
}

/** A handler's held subset of `wanted`: strings it was asked about, each once, in the order asked. */
function checkHeldPermissions(held: unknown, wanted: readonly string[], method: string): string[] {
  if (!Array.isArray(held) || !held.every((name) => typeof name === "string")) {
    throw new HandlerContractError(`${method} must resolve to an array of strings`);
  }
  const heldSet = new Set(held as string[]);
  for (const name of heldSet) {
    if (!wanted.includes(name)) throw new HandlerContractError(`${method} answered a permission that was not asked for`);
  }
  return wanted.filter((name) => heldSet.has(name));
}

function checkVerdict(verdict: unknown): PasswordVerdict {
  const v = verdict as Partial<PasswordVerdict & { user: unknown }> | null;
  if (v?.kind === "denied" || v?.kind === "not_found") return v as PasswordVerdict;
  if (v?.kind === "granted" && (v.user === undefined || (typeof v.user === "string" && v.user !== ""))) return v as PasswordVerdict;
  throw new HandlerContractError("checkPassword must resolve to a granted, denied or not_found verdict");
}

export class Dispatcher {
  readonly #registry: HandlerRegistry;

  constructor(registry: HandlerRegistry) {
    this.#registry = registry;
  }

  /**
   * The answer for `req`. Rejects (and the caller answers ERROR) when a handler throws or breaks its
   * contract; never resolves to a grant unless a handler positively granted.
   */
  async dispatch(req: WorkerRequest, deadline: AbortSignal | RequestSignal): Promise<Answer> {
    const handler = await this.#registry.get(req.handlerSpec);
    deadline.throwIfAborted();
    // ctx.environ and ctx.signal are getters (RequestContext): the environ is decoded, and the request's
    // AbortSignal made, only when a handler reads them; the Django handler reads neither on a cached check.
    const ctx = (user: string, userBytes: Buffer): CheckContext => new RequestContext(req, deadline, user, userBytes);
    const user = req.user;
    switch (req.kind) {
      case Kind.CHECK_PASSWORD: {
        if (user === null || req.password === null) throw new HandlerContractError("CHECK_PASSWORD without USER or PASSWORD");
        if (req.permissions.length > 0 && req.groupHandlerSpec === null && handler.checkPasswordWithPermissions !== undefined) {
          // The same handler answers the check and the Require node-permission names: one read of the user.
          return this.#checkWithPermissions(handler, req, ctx(user.text, user.bytes), req.password);
        }
        const answer = await this.#checkPassword(handler, req, user, req.password, ctx, deadline);
        if (answer.status !== Status.GRANTED || req.permissions.length === 0) return answer;
        // Fold the location's Require node-permission names in: the module decides each line from the
        // held subset, with no second trip. The group handler answers them when there is one (as in authz).
        const permissionHandler = req.groupHandlerSpec === null ? handler : await this.#registry.get(req.groupHandlerSpec);
        deadline.throwIfAborted();
        const finalUser = answer.user ?? user.text;
        const permissions = await this.#permissionsHeld(
          permissionHandler,
          ctx(finalUser, finalUser === user.text ? user.bytes : Buffer.from(finalUser, "utf8")),
          req.permissions,
        );
        return { ...answer, permissions };
      }
      case Kind.GROUPS_FOR_USER: {
        if (user === null) throw new HandlerContractError("GROUPS_FOR_USER without USER");
        const groups = await this.#groupsOf(handler, ctx(user.text, user.bytes));
        const matched = matchGroups(groups, req.groups);
        return matched.length > 0 ? { status: Status.GRANTED, groups: matched } : { status: Status.DENIED };
      }
      case Kind.HAS_PERMISSION: {
        if (user === null) throw new HandlerContractError("HAS_PERMISSION without USER");
        const hasPermission = need(handler.hasPermission, "hasPermission").bind(handler);
        const result: unknown = await hasPermission(ctx(user.text, user.bytes), req.permissions);
        if (result === true) return { status: Status.GRANTED };
        if (result === false) return { status: Status.DENIED };
        throw new HandlerContractError("hasPermission must resolve to true or false");
      }
      case Kind.GET_REALM_HASH: {
        if (user === null || req.realm === null) throw new HandlerContractError("GET_REALM_HASH without USER or REALM");
        const getRealmHash = need(handler.getRealmHash, "getRealmHash").bind(handler);
        const hash: unknown = await getRealmHash(ctx(user.text, user.bytes), req.realm);
        if (hash === null) return { status: Status.USER_NOT_FOUND };
        const lower = typeof hash === "string" ? hash.toLowerCase() : "";
        if (!HEX_MD5.test(lower)) throw new HandlerContractError("getRealmHash must resolve to 32 hex digits or null");
        return { status: Status.GRANTED, hash: lower };
      }
      case Kind.ALLOW_ACCESS: {
        if (req.host === null) throw new HandlerContractError("ALLOW_ACCESS without HOST");
        const allowAccess = need(handler.allowAccess, "allowAccess").bind(handler);
        const result: unknown = await allowAccess(req.environ, req.host, signalOf(deadline));
        if (result === true) return { status: Status.GRANTED };
        if (result === false) return { status: Status.DENIED };
        if (result === null) return { status: Status.USER_NOT_FOUND };
        throw new HandlerContractError("allowAccess must resolve to true, false or null");
      }
    }
  }

  /** CHECK_PASSWORD's verdict, with the user's groups folded in when the request named a group handler. */
  async #checkPassword(
    handler: Handler,
    req: WorkerRequest,
    user: WireText,
    password: WireText,
    ctx: (user: string, userBytes: Buffer) => CheckContext,
    deadline: AbortSignal | RequestSignal,
  ): Promise<Answer> {
    if (req.groupHandlerSpec !== null && handler.checkPasswordWithGroups !== undefined) {
      // The same handler answers both: let it read the user and the groups together.
      const groupHandler = await this.#registry.get(req.groupHandlerSpec);
      deadline.throwIfAborted();
      if (groupHandler === handler) return this.#checkWithGroups(handler, req, ctx(user.text, user.bytes), password);
    }
    const checkPassword = need(handler.checkPassword, "checkPassword").bind(handler);
    const verdict = checkVerdict(await checkPassword(ctx(user.text, user.bytes), password.text, password.bytes));
    if (verdict.kind === "denied") return { status: Status.DENIED };
    if (verdict.kind === "not_found") return { status: Status.USER_NOT_FOUND };
    const finalUser = verdict.user ?? user.text;
    const answer: Answer = verdict.user === undefined ? { status: Status.GRANTED } : { status: Status.GRANTED, user: verdict.user };
    if (req.groupHandlerSpec === null) return answer;
    // Fold the (possibly renamed) user's groups into the grant, so the module needs no second trip.
    const groupHandler = await this.#registry.get(req.groupHandlerSpec);
    deadline.throwIfAborted();
    const groups = await this.#groupsOf(groupHandler, ctx(finalUser, finalUser === user.text ? user.bytes : Buffer.from(finalUser, "utf8")));
    return { ...answer, groups: req.groups.length > 0 ? matchGroups(groups, req.groups) : [...groups] };
  }

  /**
   * The names of `wanted` the user holds, each once, each decided on its own (each Require line is): by the
   * handler's permissionsHeld in one call when it has one, else hasPermission asked per name.
   */
  async #permissionsHeld(handler: Handler, context: CheckContext, wanted: readonly string[]): Promise<string[]> {
    const names = [...new Set(wanted)];
    if (handler.permissionsHeld !== undefined) {
      return checkHeldPermissions(await handler.permissionsHeld(context, names), names, "permissionsHeld");
    }
    const hasPermission = need(handler.hasPermission, "hasPermission").bind(handler);
    const held = await Promise.all(
      names.map(async (name) => {
        const result: unknown = await hasPermission(context, [name]);
        if (result !== true && result !== false) throw new HandlerContractError("hasPermission must resolve to true or false");
        return result;
      }),
    );
    return names.filter((_, i) => held[i]);
  }

  async #checkWithPermissions(handler: Handler, req: WorkerRequest, context: CheckContext, password: WireText): Promise<Answer> {
    const checkPasswordWithPermissions = need(handler.checkPasswordWithPermissions, "checkPasswordWithPermissions").bind(handler);
    const wanted = [...new Set(req.permissions)];
    const result = (await checkPasswordWithPermissions(context, password.text, password.bytes, wanted)) as {
      verdict?: unknown;
      permissions?: unknown;
    } | null;
    const verdict = checkVerdict(result?.verdict);
    if (verdict.kind === "denied") return { status: Status.DENIED };
    if (verdict.kind === "not_found") return { status: Status.USER_NOT_FOUND };
    if (verdict.user !== undefined && verdict.user !== context.user) {
      throw new HandlerContractError("checkPasswordWithPermissions must not rename the user");
    }
    return { status: Status.GRANTED, permissions: checkHeldPermissions(result?.permissions, wanted, "checkPasswordWithPermissions") };
  }

  async #checkWithGroups(handler: Handler, req: WorkerRequest, context: CheckContext, password: WireText): Promise<Answer> {
    const checkPasswordWithGroups = need(handler.checkPasswordWithGroups, "checkPasswordWithGroups").bind(handler);
    const result = (await checkPasswordWithGroups(context, password.text, password.bytes)) as { verdict?: unknown; groups?: unknown } | null;
    const verdict = checkVerdict(result?.verdict);
    if (verdict.kind === "denied") return { status: Status.DENIED };
    if (verdict.kind === "not_found") return { status: Status.USER_NOT_FOUND };
    if (verdict.user !== undefined && verdict.user !== context.user) {
      throw new HandlerContractError("checkPasswordWithGroups must not rename the user");
    }
    const groups = checkGroups(result?.groups);
    return { status: Status.GRANTED, groups: req.groups.length > 0 ? matchGroups(groups, req.groups) : [...groups] };
  }

  async #groupsOf(handler: Handler, ctx: CheckContext): Promise<readonly string[]> {
    const groupsForUser = need(handler.groupsForUser, "groupsForUser").bind(handler);
    return checkGroups(await groupsForUser(ctx));
  }
}

/**
 * Errors whose messages the worker writes itself from what it knows (codes, keys, types, never values
 * a handler had in hand), so they cannot hold the password and need no scrubbing. Scrubbing them would
 * only garble them when the password is short ("deadline e[password]ceeded" for a password "x").
 */
const WORKER_WORDED_ERRORS: ReadonlySet<string> = new Set([
  "ERR_ANP_DEADLINE",
  "ERR_ANP_SHUTTING_DOWN",
  "ERR_ANP_HANDLER_CONTRACT",
  "ERR_ANP_SPEC",
  "ERR_ANP_TOO_MANY_HANDLERS",
  "ERR_ANP_SCRIPT_MISSING",
  "ERR_ANP_SCRIPT_RESULT",
]);

/** The ERROR answer for a failed request: the error's message, with any trace of the password removed. */
export function failureAnswer(err: unknown, req: Pick<WorkerRequest, "password"> | null): Answer {
  if (!(err instanceof Error)) return errorAnswer(`non-error thrown: ${typeof err}`);
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && WORKER_WORDED_ERRORS.has(code)) return errorAnswer(err.message);
  return errorAnswer(scrubSecret(err.message, req?.password ?? null));
}
