// The worker's one-trip fold (docs/protocol.md, "Folding authorization into CHECK_PASSWORD"): a
// CHECK_PASSWORD that carries GROUP_HANDLER_ID and/or PERMISSION fields is answered with the verdict and,
// when granted, the user's groups and the held permissions, so the module needs no second trip. The rules
// here are the TypeScript half of test/vectors/fold.json; native/anp_fold.c holds the C half.
//
// "Same handler" is decided once, by the ids: GROUP_HANDLER_ID === HANDLER_ID (the module gives one id
// per distinct spec text). Then a handler with checkPasswordAndAuthorize answers everything in one call;
// otherwise the fold composes checkPassword, groupsForUser and hasPermission per name.
import { HandlerContractError } from "../errors.js";
import type { CheckContext, Handler, PasswordVerdict, SessionContext, SessionVerdict, UserFlags } from "../handlers/types.js";
import { MAX_STAMPS, Status, USER_FLAG_STAFF, USER_FLAG_SUPERUSER } from "../protocol/constants.js";
import type { StampValue } from "../protocol/fields.js";
import type { Answer } from "./answer.js";
import type { WireText } from "./request.js";

/** httpd compares group names as apr_table_get does (mod_wsgi parity): ASCII case-insensitively. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * groupMatch: the user's groups that equal a wanted name ignoring ASCII case only, in the user's
 * spelling and order, each once (the first spelling wins).
 */
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

/**
 * heldPermissions: a handler's held names checked against those asked: an array of strings, each asked
 * for. Returns them deduplicated, in the order asked; anything else breaks the contract (never a grant).
 */
export function heldPermissions(asked: readonly string[], held: unknown, method: string): string[] {
  if (!Array.isArray(held) || !held.every((name) => typeof name === "string")) {
    throw new HandlerContractError(`${method} must resolve to an array of strings`);
  }
  const heldSet = new Set(held as string[]);
  for (const name of heldSet) {
    if (!asked.includes(name)) throw new HandlerContractError(`${method} answered a permission that was not asked for`);
  }
  return asked.filter((name) => heldSet.has(name));
}

export function checkVerdict(verdict: unknown, method: string): PasswordVerdict {
  const v = verdict as Partial<PasswordVerdict & { user: unknown }> | null;
  if (v?.kind === "denied" || v?.kind === "not_found") return v as PasswordVerdict;
  if (v?.kind === "granted" && (v.user === undefined || (typeof v.user === "string" && v.user !== ""))) return v as PasswordVerdict;
  throw new HandlerContractError(`${method} must resolve to a granted, denied or not_found verdict`);
}

export function checkGroups(groups: unknown, method: string): readonly string[] {
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === "string")) {
    throw new HandlerContractError(`${method} must resolve to an array of strings`);
  }
  return groups as readonly string[];
}

export function need<T>(method: T | undefined, name: string): T {
  if (method === undefined) throw new HandlerContractError(`handler has no ${name}`);
  return method;
}

/** Makes the CheckContext of a user name (the one sent, or the one a handler granted under). */
export type ContextFor = (user: string, userBytes: Buffer) => CheckContext;

/** A CHECK_PASSWORD as the fold sees it. */
export interface PasswordCheck {
  readonly user: WireText;
  readonly password: WireText;
  /** The password's handler. */
  readonly handler: Handler;
  /** The group handler when GROUP_HANDLER_ID came; `handler` itself when the ids are equal. */
  readonly groupHandler: Handler | null;
  /** GROUP_HANDLER_ID === HANDLER_ID (or no group handler): one handler answers everything. */
  readonly sameHandler: boolean;
  /** GROUP fields: the groups a Require line wants (none: every group of the user is answered). */
  readonly wantedGroups: readonly string[];
  /** PERMISSION fields: the location's Require node-permission names. */
  readonly permissions: readonly string[];
  /** WANT_USER_FLAGS: a grant carries the (possibly renamed) user's flags, asked of `handler`. */
  readonly wantUserFlags: boolean;
}

/** A CHECK_SESSION as the fold sees it: the same fold as a password check's, after the session check. */
export interface SessionCheck {
  readonly sessionKey: string;
  /** The session's handler (it names the user). */
  readonly handler: Handler;
  readonly groupHandler: Handler | null;
  /** GROUP_HANDLER_ID === HANDLER_ID (or no group handler): one handler answers everything. */
  readonly sameHandler: boolean;
  readonly wantedGroups: readonly string[];
  readonly permissions: readonly string[];
  readonly wantUserFlags: boolean;
}

type GrantAnswer = { status: Status; user?: string; groups?: string[]; permissions?: string[]; userFlags?: number; stamps?: readonly StampValue[]; validForMs?: number };

/**
 * A verdict's stamps, checked: none, or at most MAX_STAMPS of { epoch, slot, generation } with u64 bigints and
 * a u32 slot. Anything else breaks the contract (the module would keep the grant on the stamps' word).
 */
export function checkStamps(stamps: unknown, method: string): readonly StampValue[] | undefined {
  if (stamps === undefined) return undefined;
  const isU64 = (n: unknown): boolean => typeof n === "bigint" && n >= 0n && n < 1n << 64n;
  const fit = (s: Partial<StampValue> | null): boolean => isU64(s?.epoch) && isU64(s?.generation) && Number.isInteger(s?.slot) && (s?.slot ?? -1) >= 0 && (s?.slot ?? 0) <= 0xffff_ffff;
  if (!Array.isArray(stamps) || stamps.length > MAX_STAMPS || !stamps.every((s) => fit(s as Partial<StampValue> | null))) {
    throw new HandlerContractError(`${method} gave stamps that are not at most ${MAX_STAMPS} { epoch, slot, generation }`);
  }
  return stamps.length === 0 ? undefined : (stamps as readonly StampValue[]);
}

function refusal(verdict: Exclude<PasswordVerdict, { kind: "granted" }>): Answer {
  return verdict.kind === "denied" ? { status: Status.DENIED } : { status: Status.USER_NOT_FOUND };
}

function groupsAnswer(groups: readonly string[], wanted: readonly string[]): string[] {
  return wanted.length > 0 ? matchGroups(groups, wanted) : [...groups];
}

/** USER_FLAGS' bit mask of `flags`. */
export function userFlagBits(flags: UserFlags): number {
  return (flags.isStaff ? USER_FLAG_STAFF : 0) | (flags.isSuperuser ? USER_FLAG_SUPERUSER : 0);
}

function checkUserFlags(flags: unknown, method: string): UserFlags {
  const f = flags as Partial<UserFlags> | null;
  if (typeof f?.isStaff === "boolean" && typeof f.isSuperuser === "boolean") return f as UserFlags;
  throw new HandlerContractError(`${method} must give flags as { isStaff, isSuperuser } booleans`);
}

/** The answer to a CHECK_PASSWORD, with the groups and permissions it asked for folded into a grant. */
export async function checkPassword(check: PasswordCheck, contextFor: ContextFor): Promise<Answer> {
  const askGroups = check.groupHandler !== null;
  const asked = check.permissions.length > 0 ? [...new Set(check.permissions)] : check.permissions;
  const answer =
    (askGroups || asked.length > 0) && check.sameHandler && check.handler.checkPasswordAndAuthorize !== undefined
      ? await combined(check, askGroups, asked, contextFor(check.user.text, check.user.bytes))
      : await composed(check, askGroups, asked, contextFor);
  if (!check.wantUserFlags || answer.status !== Status.GRANTED) return answer;
  const finalUser = answer.user ?? check.user.text;
  const ctx = contextFor(finalUser, finalUser === check.user.text ? check.user.bytes : Buffer.from(finalUser, "utf8"));
  const userFlagsOf = need(check.handler.userFlags, "userFlags").bind(check.handler);
  const flags: unknown = await userFlagsOf(ctx);
  // The user was granted a moment ago: gone now is a race or a broken handler, never "no flags".
  if (flags === null) throw new HandlerContractError("userFlags found no such user right after the grant");
  return { ...answer, userFlags: userFlagBits(checkUserFlags(flags, "userFlags")) };
}

function checkSessionVerdict(verdict: unknown): SessionVerdict {
  const v = verdict as Partial<{ kind: unknown; user: unknown; reason: unknown; flags: unknown; stamps: unknown; validForMs: unknown }> | null;
  if (v?.kind === "anonymous" && typeof v.reason === "string") return v as SessionVerdict;
  if (v?.kind === "granted" && typeof v.user === "string" && v.user !== "") {
    const granted = { kind: "granted", user: v.user, flags: checkUserFlags(v.flags, "checkSession") } as const;
    const stamps = checkStamps(v.stamps, "checkSession");
    const validForMs = v.validForMs;
    if (stamps === undefined && validForMs === undefined) return granted;
    // A session runs out with no change to report: stamps without a bound (or a bound without stamps) break the contract.
    if (stamps === undefined || !Number.isInteger(validForMs) || (validForMs as number) < 1 || (validForMs as number) > 0xffff_ffff) {
      throw new HandlerContractError("checkSession must give stamps together with validForMs, an integer of 1..2^32-1 ms");
    }
    return { ...granted, stamps, validForMs: validForMs as number };
  }
  throw new HandlerContractError("checkSession must resolve to a granted verdict with a user name and flags, or an anonymous one with a reason");
}

/**
 * The answer to a CHECK_SESSION: the handler's session check, then the fold as a password check's
 * composed path makes it (groups and permissions of the session's user, asked of the group handler when
 * there is one), and the user's flags when asked. An anonymous session is DENIED with its short reason.
 */
export async function checkSession(check: SessionCheck, sessionContext: SessionContext, contextFor: ContextFor): Promise<Answer> {
  const checkSessionOf = need(check.handler.checkSession, "checkSession").bind(check.handler);
  const verdict = checkSessionVerdict(await checkSessionOf(check.sessionKey, sessionContext));
  if (verdict.kind === "anonymous") return { status: Status.DENIED, reason: verdict.reason };
  const answer: GrantAnswer = { status: Status.GRANTED, user: verdict.user };
  if (check.wantUserFlags) answer.userFlags = userFlagBits(verdict.flags);
  // A stamp speaks for the session handler's reads: not for another handler's groups or permissions.
  if (verdict.stamps !== undefined && check.sameHandler) {
    answer.stamps = verdict.stamps;
    answer.validForMs = verdict.validForMs;
  }
  const askGroups = check.groupHandler !== null;
  const asked = check.permissions.length > 0 ? [...new Set(check.permissions)] : check.permissions;
  if (!askGroups && asked.length === 0) return answer;
  const ctx = contextFor(verdict.user, Buffer.from(verdict.user, "utf8"));
  await authorize(answer, check.groupHandler ?? check.handler, ctx, askGroups, asked, check.wantedGroups);
  return answer;
}

/** Adds the groups (when asked) and the held permissions (when any were asked) of ctx.user to a grant. */
async function authorize(answer: GrantAnswer, authorizer: Handler, ctx: CheckContext, askGroups: boolean, asked: readonly string[], wanted: readonly string[]): Promise<void> {
  if (askGroups) answer.groups = groupsAnswer(await groupsOf(authorizer, ctx), wanted);
  if (asked.length > 0) answer.permissions = await permissionsHeld(authorizer, ctx, asked);
}

/** One call answers the verdict, the groups and the held permissions, from one read of the user. */
async function combined(check: PasswordCheck, askGroups: boolean, asked: readonly string[], ctx: CheckContext): Promise<Answer> {
  const method = "checkPasswordAndAuthorize";
  const call = need(check.handler.checkPasswordAndAuthorize, method).bind(check.handler);
  const result = (await call(ctx, check.password.text, check.password.bytes, { groups: askGroups, permissions: asked })) as {
    verdict?: unknown;
    groups?: unknown;
    permissions?: unknown;
  } | null;
  const verdict = checkVerdict(result?.verdict, method);
  if (verdict.kind !== "granted") return refusal(verdict);
  if (verdict.user !== undefined && verdict.user !== ctx.user) {
    throw new HandlerContractError(`${method} must not rename the user`);
  }
  const answer: GrantAnswer = { status: Status.GRANTED };
  const stamps = checkStamps(verdict.stamps, method);
  if (stamps !== undefined) answer.stamps = stamps;
  if (askGroups) answer.groups = groupsAnswer(checkGroups(result?.groups, method), check.wantedGroups);
  if (asked.length > 0) answer.permissions = heldPermissions(asked, result?.permissions, method);
  return answer;
}

/** checkPassword, then groupsForUser and hasPermission per name for the (possibly renamed) user. */
async function composed(check: PasswordCheck, askGroups: boolean, asked: readonly string[], contextFor: ContextFor): Promise<Answer> {
  const { handler, user, password } = check;
  const checkPasswordOf = need(handler.checkPassword, "checkPassword").bind(handler);
  const verdict = checkVerdict(await checkPasswordOf(contextFor(user.text, user.bytes), password.text, password.bytes), "checkPassword");
  if (verdict.kind !== "granted") return refusal(verdict);
  const answer: GrantAnswer = { status: Status.GRANTED };
  if (verdict.user !== undefined) answer.user = verdict.user;
  // A stamp speaks for one read of one user: not for another handler's groups, nor for a renamed user.
  const stamps = checkStamps(verdict.stamps, "checkPassword");
  if (stamps !== undefined && check.sameHandler && verdict.user === undefined) answer.stamps = stamps;
  if (!askGroups && asked.length === 0) return answer;
  const finalUser = verdict.user ?? user.text;
  const ctx = contextFor(finalUser, finalUser === user.text ? user.bytes : Buffer.from(finalUser, "utf8"));
  // The group handler answers both the groups and the permissions when there is one (as in authz).
  await authorize(answer, check.groupHandler ?? handler, ctx, askGroups, asked, check.wantedGroups);
  return answer;
}

export async function groupsOf(handler: Handler, ctx: CheckContext): Promise<readonly string[]> {
  const groupsForUser = need(handler.groupsForUser, "groupsForUser").bind(handler);
  return checkGroups(await groupsForUser(ctx), "groupsForUser");
}

/** The names of `asked` (each once) the user holds, each decided on its own, as each Require line is. */
async function permissionsHeld(handler: Handler, ctx: CheckContext, asked: readonly string[]): Promise<string[]> {
  const hasPermission = need(handler.hasPermission, "hasPermission").bind(handler);
  const held = await Promise.all(
    asked.map(async (name) => {
      const result: unknown = await hasPermission(ctx, [name]);
      if (result !== true && result !== false) throw new HandlerContractError("hasPermission must resolve to true or false");
      return result;
    }),
  );
  return asked.filter((_, i) => held[i]);
}
