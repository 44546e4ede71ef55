// The dispatcher's lockout step, in process: policies asked before the handler (no handler call when
// one locks, the same answer for known and unknown users), outcomes recorded after and awaited, a policy
// that rejects on check or record failing the request (ERROR, never a grant), a full hashing queue
// answered THROTTLED "queue", and no lockout at all for a request without a client.
import { describe, expect, it } from "vitest";
import type { CheckOutcome, ClientInfo, LockoutDecision, LockoutPolicy } from "../../src/brute-force/types.js";
import { HashQueueFullError } from "../../src/errors.js";
import type { CheckContext, Handler, PasswordVerdict } from "../../src/handlers/types.js";
import { Kind, Status, Tag, THROTTLE_SCOPE_ADDRESS, THROTTLE_SCOPE_USER } from "../../src/protocol/constants.js";
import { u32Of, u8Of } from "../../src/protocol/fields.js";
import { decodeFrame } from "../../src/protocol/codec.js";
import { encodeAnswer } from "../../src/worker/answer.js";
import { Dispatcher, failureAnswer } from "../../src/worker/dispatcher.js";
import { handledBy } from "../support/handler-ids.js";
import { registryOf } from "../support/handler-registry.js";
import { checkPasswordRequest, wireText } from "../support/worker-request.js";

const SPEC = "type=script\npath=lockout-counting";
const CLIENT: ClientInfo = { ip: "192.0.2.1", userAgent: "curl/8", accept: null, path: "/private/" };

class CountingHandler implements Handler {
  calls = 0;
  lockoutPolicies: LockoutPolicy[] = [];
  failWith: Error | null = null;
  async checkPassword(ctx: CheckContext, password: string): Promise<PasswordVerdict> {
    this.calls++;
    if (this.failWith !== null) throw this.failWith;
    if (ctx.user !== "alice") return { kind: "not_found" };
    return password === "pw" ? { kind: "granted" } : { kind: "denied" };
  }
  async close(): Promise<void> {}
}

class ScriptedPolicy implements LockoutPolicy {
  readonly records: Array<[string, string, CheckOutcome]> = [];
  decision: LockoutDecision = { locked: false };
  checkFails = false;
  recordFails = false;
  constructor(readonly name: string) {}
  async check(): Promise<LockoutDecision> {
    if (this.checkFails) throw new Error(`${this.name} backend down`);
    return this.decision;
  }
  async record(client: ClientInfo, user: string, outcome: CheckOutcome): Promise<void> {
    if (this.recordFails) throw new Error(`${this.name} write failed`);
    this.records.push([client.ip, user, outcome]);
  }
}

function setup() {
  const handler = new CountingHandler();
  const native = new ScriptedPolicy("native");
  const site = new ScriptedPolicy("axes");
  handler.lockoutPolicies = [site];
  const dispatcher = new Dispatcher(registryOf({ "lockout-counting": handler }), [native]);
  const ask = async (user: string, password: string, client: ClientInfo | null = CLIENT) => {
    try {
      return await dispatcher.dispatch(checkPasswordRequest({ ...handledBy(SPEC), user: wireText(user), password: wireText(password), client }), new AbortController().signal);
    } catch (err) {
      return failureAnswer(err);
    }
  };
  return { handler, native, site, ask };
}

describe("lockouts in the dispatcher", () => {
  it("records each verdict to the worker's policies and the handler's, and answers it", async () => {
    const t = setup();
    expect(await t.ask("alice", "nope")).toEqual({ status: Status.DENIED });
    expect(await t.ask("ghost", "nope")).toEqual({ status: Status.USER_NOT_FOUND });
    expect(await t.ask("alice", "pw")).toEqual({ status: Status.GRANTED });
    const expected = [
      ["192.0.2.1", "alice", "denied"],
      ["192.0.2.1", "ghost", "not_found"],
      ["192.0.2.1", "alice", "granted"],
    ];
    expect(t.native.records).toEqual(expected);
    expect(t.site.records).toEqual(expected);
  });

  it("answers THROTTLED with the longest Retry-After and every locking rule, without calling the handler", async () => {
    const t = setup();
    t.native.decision = { locked: true, retryAfterSeconds: 20, reason: "pair", scope: "user" };
    t.site.decision = { locked: true, retryAfterSeconds: 300, reason: "axes", scope: "user" };
    const known = await t.ask("alice", "pw");
    const unknown = await t.ask("ghost", "pw");
    expect(known).toEqual({ status: Status.THROTTLED, retryAfter: 300, reason: "throttled: pair,axes", throttleScope: "user" });
    expect(unknown).toEqual(known);
    expect(t.handler.calls).toBe(0);
    expect(t.native.records).toEqual([]);
    // On the wire: STATUS 5 and RETRY_AFTER.
    const frame = decodeFrame(encodeAnswer(Kind.CHECK_PASSWORD, 9, known))?.message;
    if (frame === undefined) throw new Error("no frame");
    expect(u8Of(frame, Tag.STATUS)).toBe(Status.THROTTLED);
    expect(u32Of(frame, Tag.RETRY_AFTER)).toBe(300);
    expect(u8Of(frame, Tag.THROTTLE_SCOPE)).toBe(THROTTLE_SCOPE_USER);
  });

  it("scopes THROTTLED to the address when any locking policy locks the address, else to the user", async () => {
    const t = setup();
    t.native.decision = { locked: true, retryAfterSeconds: 20, reason: "address", scope: "address" };
    t.site.decision = { locked: true, retryAfterSeconds: 300, reason: "axes", scope: "user" };
    const both = await t.ask("alice", "pw");
    expect(both).toMatchObject({ status: Status.THROTTLED, throttleScope: "address" });
    const frame = decodeFrame(encodeAnswer(Kind.CHECK_PASSWORD, 9, both))?.message;
    if (frame === undefined) throw new Error("no frame");
    expect(u8Of(frame, Tag.THROTTLE_SCOPE)).toBe(THROTTLE_SCOPE_ADDRESS);
    t.native.decision = { locked: false };
    expect(await t.ask("alice", "pw")).toMatchObject({ status: Status.THROTTLED, throttleScope: "user" });
    t.site.decision = { locked: true, retryAfterSeconds: 300, reason: "axes", scope: "address" };
    expect(await t.ask("alice", "pw")).toMatchObject({ status: Status.THROTTLED, throttleScope: "address" });
  });

  it("fails closed when a policy's check or record rejects, the right password included", async () => {
    const t = setup();
    t.site.checkFails = true;
    expect(await t.ask("alice", "pw")).toMatchObject({ status: Status.ERROR });
    expect(t.handler.calls).toBe(0);
    t.site.checkFails = false;
    t.native.recordFails = true;
    expect(await t.ask("alice", "pw")).toMatchObject({ status: Status.ERROR });
    expect(await t.ask("alice", "nope")).toMatchObject({ status: Status.ERROR });
    expect(t.handler.calls).toBe(2);
  });

  it("a handler ERROR records nothing; a full hashing queue is THROTTLED queue, Retry-After 1", async () => {
    const t = setup();
    t.handler.failWith = new Error("database down");
    expect(await t.ask("alice", "pw")).toMatchObject({ status: Status.ERROR });
    t.handler.failWith = new HashQueueFullError(8);
    expect(await t.ask("alice", "pw")).toEqual({ status: Status.THROTTLED, retryAfter: 1, reason: "throttled: queue", throttleScope: "address" });
    expect(t.native.records).toEqual([]);
  });

  it("asks no policy for a request without a client", async () => {
    const t = setup();
    t.native.decision = { locked: true, retryAfterSeconds: 20, reason: "pair", scope: "user" };
    t.native.checkFails = true;
    expect(await t.ask("alice", "pw", null)).toEqual({ status: Status.GRANTED });
    expect(t.native.records).toEqual([]);
  });
});
