// The worker's fold of groups into the password check: through a handler's checkPasswordAndAuthorize, used
// only when the group handler is the password's handler; a handler that breaks its contract fails closed.
import { describe, expect, it } from "vitest";
import { checkPasswordRequest, wireText } from "../support/worker-request.js";
import { registryOf } from "../support/handler-registry.js";
import type { AuthorizationAsk, CheckContext, Handler, PasswordAndAuthorization } from "../../src/handlers/types.js";
import { HandlerContractError } from "../../src/errors.js";
import { Dispatcher } from "../../src/worker/dispatcher.js";
import { handledBy } from "../support/handler-ids.js";
import type { WorkerRequest } from "../../src/worker/request.js";
import { Status } from "../../src/protocol/constants.js";

/** A handler with the folded operation; `fold` sets what it answers, calls counts what the worker used. */
class FoldingHandler implements Handler {
  readonly calls: string[] = [];
  constructor(readonly fold: (ctx: CheckContext, password: string) => unknown) {}
  async checkPassword(ctx: CheckContext, password: string) {
    this.calls.push("checkPassword");
    return ctx.user === "alice" && password === "pw" ? { kind: "granted" as const } : { kind: "denied" as const };
  }
  async groupsForUser(ctx: CheckContext) {
    this.calls.push("groupsForUser");
    return ctx.user === "alice" ? ["Staff", "readers"] : [];
  }
  async checkPasswordAndAuthorize(ctx: CheckContext, password: string, _bytes: Buffer, ask: AuthorizationAsk): Promise<PasswordAndAuthorization> {
    this.calls.push(`checkPasswordAndAuthorize groups=${ask.groups} [${ask.permissions.join(",")}]`);
    return this.fold(ctx, password) as PasswordAndAuthorization;
  }
  async close() {}
}

function passwordCheck(handlerSpec: string, groupHandlerSpec: string | null, groups: string[], password = "pw"): WorkerRequest {
  return checkPasswordRequest({ ...handledBy(handlerSpec, groupHandlerSpec), groups, password: wireText(password) });
}

const signal = new AbortController().signal;
const A = "type=script\npath=/a";
const B = "type=script\npath=/b";

describe("Dispatcher: groups folded through checkPasswordAndAuthorize", () => {
  const sameAsTwoCalls = async (ctx: CheckContext, password: string) => {
    const verdict = ctx.user === "alice" && password === "pw" ? { kind: "granted" as const } : { kind: "denied" as const };
    return { verdict, groups: verdict.kind === "granted" ? ["Staff", "readers"] : [] };
  };

  it("one call when GROUP_HANDLER_ID is HANDLER_ID; the answer matches the request's groups as before", async () => {
    const handler = new FoldingHandler(sameAsTwoCalls);
    const dispatcher = new Dispatcher(registryOf({ "/a": handler }));
    expect(await dispatcher.dispatch(passwordCheck(A, A, ["staff", "writers"]), signal)).toEqual({ status: Status.GRANTED, groups: ["Staff"] });
    expect(await dispatcher.dispatch(passwordCheck(A, A, []), signal)).toEqual({ status: Status.GRANTED, groups: ["Staff", "readers"] });
    expect(await dispatcher.dispatch(passwordCheck(A, A, ["staff"], "wrong"), signal)).toEqual({ status: Status.DENIED });
    expect(handler.calls).toEqual(Array(3).fill("checkPasswordAndAuthorize groups=true []"));
  });

  it("the two calls when the group handler is another one, or when there is no group handler", async () => {
    const first = new FoldingHandler(sameAsTwoCalls);
    const second = new FoldingHandler(sameAsTwoCalls);
    const dispatcher = new Dispatcher(registryOf({ "/a": first, "/b": second }));
    expect(await dispatcher.dispatch(passwordCheck(A, B, ["readers"]), signal)).toEqual({ status: Status.GRANTED, groups: ["readers"] });
    expect(first.calls).toEqual(["checkPassword"]);
    expect(second.calls).toEqual(["groupsForUser"]);
    expect(await dispatcher.dispatch(passwordCheck(A, null, []), signal)).toEqual({ status: Status.GRANTED });
    expect(first.calls).toEqual(["checkPassword", "checkPassword"]);
  });

  it.each([
    ["a malformed verdict", () => ({ verdict: { kind: "maybe" }, groups: [] })],
    ["groups that are not strings", () => ({ verdict: { kind: "granted" }, groups: [1] })],
    ["no groups at all", () => ({ verdict: { kind: "granted" } })],
    ["nothing", () => null],
    ["a renamed user", () => ({ verdict: { kind: "granted", user: "mallory" }, groups: ["Staff"] })],
  ])("a handler answering %s breaks the contract: an error (ERROR on the wire), never a grant", async (_label, fold) => {
    const dispatcher = new Dispatcher(registryOf({ "/a": new FoldingHandler(fold) }));
    await expect(dispatcher.dispatch(passwordCheck(A, A, ["staff"]), signal)).rejects.toBeInstanceOf(HandlerContractError);
  });
});
