// The worker's side of STAMP and VALID_FOR (docs/protocol.md "Stamps"): the fold passes a handler's stamps on
// only when one handler read everything the grant says (no other group handler, no renamed user), checks their
// shape (and, for a session, that they come with VALID_FOR), and the answer encoder writes them beside GRANTED only.
import { describe, expect, it } from "vitest";
import type { CheckContext, Handler, PasswordVerdict, SessionVerdict } from "../../src/handlers/types.js";
import { decodeFrame, fieldsOf, readStamp, Kind, Status, Tag } from "../../src/protocol/index.js";
import { HandlerContractError } from "../../src/errors.js";
import { encodeAnswer } from "../../src/worker/answer.js";
import { checkPassword, checkSession, type PasswordCheck, type SessionCheck } from "../../src/worker/fold.js";
import { checkPasswordRequest, wireText } from "../support/worker-request.js";
import { handledBy } from "../support/handler-ids.js";
import { HandlerRegistry } from "../../src/handlers/registry.js";
import { Dispatcher } from "../../src/worker/dispatcher.js";
import type { LockoutPolicy } from "../../src/brute-force/types.js";

const STAMP = { epoch: 5n, slot: 77, generation: 9n };

function stamping(verdict: PasswordVerdict): Handler {
  return {
    checkPassword: async () => verdict,
    groupsForUser: async () => ["staff"],
    hasPermission: async () => true,
    close: async () => {},
  };
}

const contextFor = (user: string, userBytes: Buffer): CheckContext =>
  ({ user, userBytes, environ: {}, signal: new AbortController().signal, client: null }) as CheckContext;

function passwordCheck(handler: Handler, over: Partial<PasswordCheck> = {}): PasswordCheck {
  return { user: wireText("ann"), password: wireText("pw"), handler, groupHandler: null, sameHandler: true, wantedGroups: [], permissions: [], wantUserFlags: false, ...over };
}

describe("the fold and stamps", () => {
  it("passes a grant's stamps on when one handler answers everything", async () => {
    const handler = stamping({ kind: "granted", stamps: [STAMP] });
    expect((await checkPassword(passwordCheck(handler), contextFor)).stamps).toEqual([STAMP]);
    const withGroups = await checkPassword(passwordCheck(handler, { groupHandler: handler }), contextFor);
    expect(withGroups).toMatchObject({ status: Status.GRANTED, groups: ["staff"], stamps: [STAMP] });
  });

  it("drops them when another handler answers the groups, or the user was renamed", async () => {
    const handler = stamping({ kind: "granted", stamps: [STAMP] });
    const other = stamping({ kind: "granted" });
    const folded = await checkPassword(passwordCheck(handler, { groupHandler: other, sameHandler: false }), contextFor);
    expect(folded.status).toBe(Status.GRANTED);
    expect(folded.stamps).toBeUndefined();
    const renamed = await checkPassword(passwordCheck(stamping({ kind: "granted", user: "bob", stamps: [STAMP] })), contextFor);
    expect(renamed.stamps).toBeUndefined();
  });

  it("refuses stamps of the wrong shape (a broken contract is an ERROR, never a kept grant)", async () => {
    for (const stamps of [[STAMP, STAMP, STAMP], [{ epoch: 1, slot: 0, generation: 0n }], [{ epoch: 1n, slot: -1, generation: 0n }], "x"]) {
      const handler = stamping({ kind: "granted", stamps } as unknown as PasswordVerdict);
      await expect(checkPassword(passwordCheck(handler), contextFor)).rejects.toThrow(HandlerContractError);
    }
  });
});

function sessionCheck(verdict: SessionVerdict, over: Partial<SessionCheck> = {}): SessionCheck {
  const handler: Handler = { checkSession: async () => verdict, groupsForUser: async () => ["staff"], close: async () => {} };
  return { sessionKey: "k".repeat(32), handler, groupHandler: null, sameHandler: true, wantedGroups: [], permissions: [], wantUserFlags: false, ...over };
}

describe("the fold, session stamps and VALID_FOR", () => {
  const flags = { isStaff: false, isSuperuser: false };
  const signal = { signal: new AbortController().signal };

  it("passes stamps and VALID_FOR on together, and drops both when another handler answers the groups", async () => {
    const verdict: SessionVerdict = { kind: "granted", user: "ann", flags, stamps: [STAMP, STAMP], validForMs: 60000 };
    expect(await checkSession(sessionCheck(verdict), signal, contextFor)).toMatchObject({ status: Status.GRANTED, stamps: [STAMP, STAMP], validForMs: 60000 });
    const other: Handler = { groupsForUser: async () => ["staff"], close: async () => {} };
    const folded = await checkSession(sessionCheck(verdict, { groupHandler: other, sameHandler: false }), signal, contextFor);
    expect(folded.status).toBe(Status.GRANTED);
    expect([folded.stamps, folded.validForMs]).toEqual([undefined, undefined]);
  });

  it("refuses stamps without VALID_FOR, VALID_FOR without stamps, and a VALID_FOR out of 1..2^32-1", async () => {
    for (const broken of [{ stamps: [STAMP] }, { validForMs: 1000 }, { stamps: [STAMP], validForMs: 0 }, { stamps: [STAMP], validForMs: 2 ** 32 }, { stamps: [STAMP], validForMs: 1.5 }]) {
      const verdict = { kind: "granted", user: "ann", flags, ...broken } as SessionVerdict;
      await expect(checkSession(sessionCheck(verdict), signal, contextFor)).rejects.toThrow(HandlerContractError);
    }
  });

  it("encodes VALID_FOR beside a granted session's stamps, and never beside a refusal", () => {
    const granted = encodeAnswer(Kind.CHECK_SESSION, 5, { status: Status.GRANTED, user: "ann", stamps: [STAMP], validForMs: 1234 });
    expect(fieldsOf(decodeFrame(granted)!.message, Tag.VALID_FOR).map((f) => f.value.readUInt32BE(0))).toEqual([1234]);
    const denied = encodeAnswer(Kind.CHECK_SESSION, 6, { status: Status.DENIED, stamps: [STAMP], validForMs: 1234 });
    expect(fieldsOf(decodeFrame(denied)!.message, Tag.VALID_FOR)).toEqual([]);
  });
});

describe("encodeAnswer and STAMP", () => {
  it("writes each stamp of a grant as a STAMP field", () => {
    const frame = encodeAnswer(Kind.CHECK_PASSWORD, 3, { status: Status.GRANTED, stamps: [STAMP, { epoch: 5n, slot: 1, generation: 0n }] });
    expect(fieldsOf(decodeFrame(frame)!.message, Tag.STAMP).map(readStamp)).toEqual([STAMP, { epoch: 5n, slot: 1, generation: 0n }]);
  });

  it("never beside another status", () => {
    const frame = encodeAnswer(Kind.CHECK_PASSWORD, 4, { status: Status.DENIED, stamps: [STAMP] });
    expect(fieldsOf(decodeFrame(frame)!.message, Tag.STAMP)).toEqual([]);
  });
});

describe("a lockout moves the epoch", () => {
  it("calls onLockout for a THROTTLED answer, and not for a grant", async () => {
    let locked = false;
    let lockouts = 0;
    const policy: LockoutPolicy = {
      name: "test",
      check: () => (locked ? { locked: true, retryAfterSeconds: 5, reason: "test", scope: "user" } : { locked: false }),
      record: () => {},
    };
    const handler = stamping({ kind: "granted", stamps: [STAMP] });
    const registry = new HandlerRegistry({ factories: { script: () => handler } });
    const dispatcher = new Dispatcher(registry, [policy], () => lockouts++);
    const client = { ip: "192.0.2.1", userAgent: null, accept: null, path: null };
    const request = checkPasswordRequest({ ...handledBy("type=script\npath=/stamps"), client });
    const signal = new AbortController().signal;
    expect((await dispatcher.dispatch(request, signal)).status).toBe(Status.GRANTED);
    expect(lockouts).toBe(0);
    locked = true;
    expect((await dispatcher.dispatch(request, signal)).status).toBe(Status.THROTTLED);
    expect(lockouts).toBe(1);
  });
});
