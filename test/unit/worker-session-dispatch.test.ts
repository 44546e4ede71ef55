// The dispatcher's CHECK_SESSION (src/worker/dispatcher.ts, src/worker/fold.ts checkSession) and the user
// flags of version 6, in process: the handler's session check names the user, the fold adds groups and
// permissions exactly as for a password check, USER_FLAGS only when asked, no lockout policy is asked, a
// handler without a session check (a script handler) answers ERROR, and a broken verdict is never a grant.
import { describe, expect, it } from "vitest";
import type { ClientInfo, LockoutDecision, LockoutPolicy } from "../../src/brute-force/types.js";
import type { CheckContext, Handler, PasswordVerdict, SessionContext, SessionVerdict, UserFlags } from "../../src/handlers/types.js";
import { ANSWER_BIT, Kind, Status, Tag } from "../../src/protocol/constants.js";
import { decodeFrame } from "../../src/protocol/codec.js";
import { textOf, u8Of } from "../../src/protocol/fields.js";
import { encodeAnswer, type Answer } from "../../src/worker/answer.js";
import { Dispatcher, failureAnswer } from "../../src/worker/dispatcher.js";
import { handledBy } from "../support/handler-ids.js";
import { registryOf } from "../support/handler-registry.js";
import { checkPasswordRequest } from "../support/worker-request.js";

const SESSIONS = "type=script\npath=session-handler";
const GROUPS = "type=script\npath=session-groups";
const PLAIN = "type=script\npath=session-less";
const KEY = "q4d0xk2w5c3v8n1b7m6z9l0p2o4i8u7y";

/** A handler with one session (KEY, user alice, staff) and alice's groups and one permission. */
class SessionHandler implements Handler {
  readonly sessionCalls: Array<[string, SessionContext]> = [];
  readonly groupCalls: string[] = [];
  verdict: unknown = { kind: "granted", user: "alice", flags: { isStaff: true, isSuperuser: false } };
  async checkSession(sessionKey: string, ctx: SessionContext): Promise<SessionVerdict> {
    this.sessionCalls.push([sessionKey, ctx]);
    return sessionKey === KEY ? (this.verdict as SessionVerdict) : { kind: "anonymous", reason: "no such session" };
  }
  async checkPassword(ctx: CheckContext, password: string): Promise<PasswordVerdict> {
    if (ctx.user === "bob") return password === "pw" ? { kind: "granted", user: "robert" } : { kind: "denied" };
    return password === "pw" ? { kind: "granted" } : { kind: "denied" };
  }
  async userFlags(ctx: CheckContext): Promise<UserFlags | null> {
    return ctx.user === "robert" ? { isStaff: true, isSuperuser: true } : ctx.user === "alice" ? { isStaff: false, isSuperuser: false } : null;
  }
  async groupsForUser(ctx: CheckContext): Promise<readonly string[]> {
    this.groupCalls.push(ctx.user);
    return ctx.user === "alice" ? ["Staff", "editors"] : [];
  }
  async hasPermission(ctx: CheckContext, permissions: readonly string[]): Promise<boolean> {
    return ctx.user === "alice" && permissions.includes("blog.add_post");
  }
  async close(): Promise<void> {}
}

/** A policy that locks everyone and counts how often it is asked. */
class LockAll implements LockoutPolicy {
  readonly name = "lock-all";
  asked = 0;
  async check(): Promise<LockoutDecision> {
    this.asked++;
    return { locked: true, retryAfterSeconds: 60, reason: "lock-all", scope: "address" };
  }
  async record(): Promise<void> {}
}

const CLIENT: ClientInfo = { ip: "192.0.2.1", userAgent: null, accept: null, path: "/" };

function setup() {
  const handler = new SessionHandler();
  const groupHandler = new SessionHandler();
  const lock = new LockAll();
  const plain: Handler = { checkPassword: async () => ({ kind: "granted" }), close: async () => {} };
  const dispatcher = new Dispatcher(registryOf({ "session-handler": handler, "session-groups": groupHandler, "session-less": plain }), [lock]);
  const ask = async (over: Parameters<typeof checkPasswordRequest>[0], signal: AbortSignal = new AbortController().signal): Promise<Answer> => {
    try {
      return await dispatcher.dispatch(checkPasswordRequest(over), signal);
    } catch (err) {
      return failureAnswer(err);
    }
  };
  const session = (key: string, over: Parameters<typeof checkPasswordRequest>[0] = {}, signal?: AbortSignal) =>
    ask({ kind: Kind.CHECK_SESSION, user: null, password: null, sessionKey: key, ...handledBy(SESSIONS), ...over }, signal);
  return { handler, groupHandler, lock, ask, session };
}

/** The answer as the module reads it: through the codec, which refuses what the module must not see. */
function onTheWire(answer: Answer, kind: number = Kind.CHECK_SESSION) {
  const decoded = decodeFrame(encodeAnswer(kind, 1, answer))!.message;
  expect(decoded.kind).toBe(kind | ANSWER_BIT);
  return decoded;
}

describe("CHECK_SESSION through the dispatcher", () => {
  it("a valid session is GRANTED with the session's user, and no flags unless asked", async () => {
    const { session, handler } = setup();
    const answer = await session(KEY);
    expect(answer).toEqual({ status: Status.GRANTED, user: "alice" });
    expect(handler.sessionCalls.map(([key]) => key)).toEqual([KEY]);
    const wire = onTheWire(answer);
    expect(textOf(wire, Tag.USER)).toBe("alice");
    expect(wire.fields.some((f) => f.tag === Tag.USER_FLAGS)).toBe(false);
  });

  it("an anonymous session is DENIED with the handler's short reason, never the key", async () => {
    const { session } = setup();
    const answer = await session("not-a-session-key");
    expect(answer).toEqual({ status: Status.DENIED, reason: "no such session" });
    expect(u8Of(onTheWire(answer), Tag.STATUS)).toBe(Status.DENIED);
  });

  it("WANT_USER_FLAGS: the grant carries USER_FLAGS (0x01 staff)", async () => {
    const { session } = setup();
    const answer = await session(KEY, { wantUserFlags: true });
    expect(answer).toEqual({ status: Status.GRANTED, user: "alice", userFlags: 0x01 });
    expect(u8Of(onTheWire(answer), Tag.USER_FLAGS)).toBe(0x01);
  });

  it("folds groups (matched as for a password check) and held permissions of the session's user", async () => {
    const { session, handler } = setup();
    const answer = await session(KEY, { ...handledBy(SESSIONS, SESSIONS), groups: ["staff", "nobody"], permissions: ["blog.add_post", "blog.delete_post"] });
    expect(answer).toEqual({ status: Status.GRANTED, user: "alice", groups: ["Staff"], permissions: ["blog.add_post"] });
    expect(handler.groupCalls).toEqual(["alice"]);
    onTheWire(answer);
  });

  it("asks another group handler (GROUP_HANDLER_ID) for the groups, and not for a denied session", async () => {
    const { session, handler, groupHandler } = setup();
    expect(await session(KEY, handledBy(SESSIONS, GROUPS))).toEqual({ status: Status.GRANTED, user: "alice", groups: ["Staff", "editors"] });
    expect([handler.groupCalls, groupHandler.groupCalls]).toEqual([[], ["alice"]]);
    expect(await session("unknown-key-1234", handledBy(SESSIONS, GROUPS))).toMatchObject({ status: Status.DENIED });
    expect(groupHandler.groupCalls).toEqual(["alice"]);
  });

  it("is never asked of a lockout policy: a session is no password guess", async () => {
    const { session, ask, lock } = setup();
    expect(await session(KEY, { client: CLIENT })).toMatchObject({ status: Status.GRANTED });
    expect(lock.asked).toBe(0);
    // The same policy does lock a password check from that client.
    expect(await ask({ ...handledBy(SESSIONS), client: CLIENT })).toMatchObject({ status: Status.THROTTLED });
    expect(lock.asked).toBe(1);
  });

  it("a handler without a session check (a script handler) answers ERROR with a reason saying so", async () => {
    const { session } = setup();
    const answer = await session(KEY, handledBy(PLAIN));
    expect(answer.status).toBe(Status.ERROR);
    expect(answer.reason).toMatch(/handler has no checkSession/);
  });

  it("a broken verdict is ERROR, never a grant: no user, an empty user, flags missing or not boolean", async () => {
    const { session, handler } = setup();
    for (const verdict of [
      { kind: "granted", flags: { isStaff: false, isSuperuser: false } },
      { kind: "granted", user: "", flags: { isStaff: false, isSuperuser: false } },
      { kind: "granted", user: "alice" },
      { kind: "granted", user: "alice", flags: { isStaff: 1, isSuperuser: false } },
      { kind: "anonymous" },
      null,
    ]) {
      handler.verdict = verdict;
      const answer = await session(KEY);
      expect(answer.status, JSON.stringify(verdict)).toBe(Status.ERROR);
      expect(answer.reason).toMatch(/^checkSession must (resolve|give flags)/);
    }
  });

  it("the session check gets the request's deadline as its signal; a request already over never reaches it", async () => {
    const { session, handler } = setup();
    const controller = new AbortController();
    expect(await session(KEY, {}, controller.signal)).toMatchObject({ status: Status.GRANTED });
    expect(handler.sessionCalls[0]![1].signal).toBe(controller.signal);
    controller.abort(new Error("deadline exceeded"));
    expect(await session(KEY, {}, controller.signal)).toMatchObject({ status: Status.ERROR });
    expect(handler.sessionCalls.length).toBe(1);
  });
});

describe("WANT_USER_FLAGS on CHECK_PASSWORD", () => {
  it("a grant carries the flags of the granted user, renamed or not; no flags unless asked; none beside DENIED", async () => {
    const { ask } = setup();
    expect(await ask({ ...handledBy(SESSIONS), wantUserFlags: true })).toEqual({ status: Status.GRANTED, userFlags: 0 });
    const renamed = await ask({ ...handledBy(SESSIONS), user: { text: "bob", bytes: Buffer.from("bob") }, wantUserFlags: true });
    expect(renamed).toEqual({ status: Status.GRANTED, user: "robert", userFlags: 0x03 });
    expect(u8Of(onTheWire(renamed, Kind.CHECK_PASSWORD), Tag.USER_FLAGS)).toBe(0x03);
    expect(await ask({ ...handledBy(SESSIONS) })).toEqual({ status: Status.GRANTED });
    expect(await ask({ ...handledBy(SESSIONS), password: { text: "no", bytes: Buffer.from("no") }, wantUserFlags: true })).toEqual({ status: Status.DENIED });
  });

  it("a handler without userFlags answers ERROR, never a grant without the flags asked for", async () => {
    const { ask } = setup();
    const answer = await ask({ ...handledBy(PLAIN), wantUserFlags: true });
    expect(answer.status).toBe(Status.ERROR);
    expect(answer.reason).toMatch(/handler has no userFlags/);
  });
});
