// The worker's side of folding `Require node-permission` into CHECK_PASSWORD (docs/protocol.md,
// "Folding authorization into CHECK_PASSWORD"): after a grant, each requested name is asked of the
// group handler (else the password's handler) on its own, and the held ones come back as PERMISSION.
import { describe, expect, it } from "vitest";
import { checkPasswordRequest, wireText } from "../support/worker-request.js";
import { HandlerRegistry } from "../../src/handlers/registry.js";
import type { AuthorizationAsk, CheckContext, Handler, HandlerSpec } from "../../src/handlers/types.js";
import { Kind, Status, Tag } from "../../src/protocol/constants.js";
import { validateMessage } from "../../src/protocol/rules.js";
import { answerMessage } from "../../src/worker/answer.js";
import { HandlerContractError } from "../../src/errors.js";
import { Dispatcher } from "../../src/worker/dispatcher.js";
import { handledBy } from "../support/handler-ids.js";
import type { WorkerRequest } from "../../src/worker/request.js";

/** Users with passwords, groups and held permissions; records which permission lists it was asked about, for whom. */
class PermissionTable implements Handler {
  readonly asked: Array<{ user: string; permissions: readonly string[] }> = [];
  constructor(
    readonly held: Readonly<Record<string, readonly string[]>>,
    readonly answer: (held: boolean) => unknown = (held) => held,
  ) {}
  async checkPassword(ctx: CheckContext, password: string) {
    if (ctx.user === "renamer") return { kind: "granted" as const, user: "alice" };
    if (!(ctx.user in this.held)) return { kind: "not_found" as const };
    return password === "pw" ? { kind: "granted" as const } : { kind: "denied" as const };
  }
  async groupsForUser(ctx: CheckContext) {
    return ctx.user === "alice" ? ["staff"] : [];
  }
  async hasPermission(ctx: CheckContext, permissions: readonly string[]) {
    this.asked.push({ user: ctx.user, permissions });
    const mine = this.held[ctx.user] ?? [];
    return this.answer(permissions.some((p) => mine.includes(p))) as boolean;
  }
  async close() {}
}

const USER_SPEC = "type=script\npath=/users";
const GROUP_SPEC = "type=script\npath=/groups";
const VIEW = "docs.view_doc";
const CHANGE = "docs.change_doc";
const text = wireText;
const signal = new AbortController().signal;

function dispatcherOf(handlers: Record<string, Handler>): Dispatcher {
  return new Dispatcher(
    new HandlerRegistry({
      factories: {
        script: (spec: HandlerSpec) => {
          const handler = handlers[spec["path"] ?? ""];
          if (!handler) throw new Error(`no test handler ${spec["path"]}`);
          return handler;
        },
      },
    }),
  );
}

function check(over: Partial<WorkerRequest>): WorkerRequest {
  return checkPasswordRequest({ ...handledBy(USER_SPEC), ...over });
}

describe("CHECK_PASSWORD with PERMISSION fields", () => {
  it("answers the held names, each asked on its own, each once", async () => {
    const users = new PermissionTable({ alice: [VIEW], bob: [] });
    const answer = await dispatcherOf({ "/users": users }).dispatch(check({ permissions: [VIEW, CHANGE, VIEW] }), signal);
    expect(answer).toEqual({ status: Status.GRANTED, permissions: [VIEW] });
    expect(users.asked.map((a) => a.permissions)).toEqual([[VIEW], [CHANGE]]);
  });

  it("answers no PERMISSION when none is held, and the encoded answer is a valid frame either way", async () => {
    const users = new PermissionTable({ alice: [], bob: [CHANGE] });
    const dispatcher = dispatcherOf({ "/users": users });
    const none = await dispatcher.dispatch(check({ permissions: [VIEW, CHANGE] }), signal);
    expect(none).toEqual({ status: Status.GRANTED, permissions: [] });
    const some = await dispatcher.dispatch(check({ user: text("bob"), permissions: [VIEW, CHANGE] }), signal);
    const message = answerMessage(Kind.CHECK_PASSWORD, 7, some);
    expect(() => validateMessage(message)).not.toThrow();
    expect(message.fields.filter((f) => f.tag === Tag.PERMISSION).map((f) => f.value.toString("utf8"))).toEqual([CHANGE]);
  });

  it("asks nothing about permissions when the password is wrong or the user unknown", async () => {
    const users = new PermissionTable({ alice: [VIEW] });
    const dispatcher = dispatcherOf({ "/users": users });
    expect(await dispatcher.dispatch(check({ password: text("wrong"), permissions: [VIEW] }), signal)).toEqual({ status: Status.DENIED });
    expect(await dispatcher.dispatch(check({ user: text("nobody"), permissions: [VIEW] }), signal)).toEqual({ status: Status.USER_NOT_FOUND });
    expect(users.asked).toEqual([]);
  });

  it("asks the group handler when GROUP_HANDLER names one, with the groups folded too", async () => {
    const users = new PermissionTable({ alice: [VIEW, CHANGE] });
    const groups = new PermissionTable({ alice: [CHANGE] });
    const answer = await dispatcherOf({ "/users": users, "/groups": groups }).dispatch(
      check({ ...handledBy(USER_SPEC, GROUP_SPEC), permissions: [VIEW, CHANGE] }),
      signal,
    );
    expect(answer).toEqual({ status: Status.GRANTED, groups: ["staff"], permissions: [CHANGE] });
    expect(users.asked).toEqual([]);
    expect(groups.asked.map((a) => a.user)).toEqual(["alice", "alice"]);
  });

  it("asks about the user the handler granted, not the name the client sent", async () => {
    const users = new PermissionTable({ alice: [VIEW] });
    const answer = await dispatcherOf({ "/users": users }).dispatch(check({ user: text("renamer"), permissions: [VIEW] }), signal);
    expect(answer).toEqual({ status: Status.GRANTED, user: "alice", permissions: [VIEW] });
    expect(users.asked).toEqual([{ user: "alice", permissions: [VIEW] }]);
  });

  it("rejects (ERROR, never a grant) when hasPermission answers anything but a boolean", async () => {
    for (const bad of [1, "yes", null, undefined, [VIEW]]) {
      const users = new PermissionTable({ alice: [VIEW] }, () => bad);
      await expect(dispatcherOf({ "/users": users }).dispatch(check({ permissions: [VIEW] }), signal)).rejects.toBeInstanceOf(HandlerContractError);
    }
  });

  it("rejects when the permission handler has no hasPermission", async () => {
    const bare: Handler = { checkPassword: async () => ({ kind: "granted" }), close: async () => {} };
    await expect(dispatcherOf({ "/users": bare }).dispatch(check({ permissions: [VIEW] }), signal)).rejects.toThrow(/no hasPermission/);
  });

  it("leaves an answer without PERMISSION fields alone when none were asked", async () => {
    const users = new PermissionTable({ alice: [VIEW] });
    expect(await dispatcherOf({ "/users": users }).dispatch(check({}), signal)).toEqual({ status: Status.GRANTED });
    expect(users.asked).toEqual([]);
  });

  describe("handlers that answer in one call (checkPasswordAndAuthorize, the Django handler's shape)", () => {
    /** PermissionTable plus checkPasswordAndAuthorize; counts every call. */
    class FoldingTable extends PermissionTable {
      readonly calls: string[] = [];
      constructor(
        held: Readonly<Record<string, readonly string[]>>,
        readonly heldAnswer: (held: string[]) => unknown = (held) => held,
        readonly renameTo?: string,
      ) {
        super(held);
      }
      override async checkPassword(ctx: CheckContext, password: string) {
        this.calls.push(`check ${ctx.user}`);
        return super.checkPassword(ctx, password);
      }
      override async groupsForUser(ctx: CheckContext) {
        this.calls.push(`groups ${ctx.user}`);
        return super.groupsForUser(ctx);
      }
      async checkPasswordAndAuthorize(ctx: CheckContext, password: string, _bytes: Buffer, ask: AuthorizationAsk) {
        this.calls.push(`check+authorize ${ctx.user} groups=${ask.groups} [${ask.permissions.join(",")}]`);
        const verdict = await super.checkPassword(ctx, password);
        const renamed = this.renameTo === undefined ? verdict : { kind: "granted" as const, user: this.renameTo };
        const mine = this.held[ctx.user] ?? [];
        const held = verdict.kind === "granted" ? ask.permissions.filter((p) => mine.includes(p)) : [];
        const groups = ask.groups ? await super.groupsForUser(ctx) : undefined;
        return { verdict: renamed, groups, permissions: this.heldAnswer(held) as string[] };
      }
    }

    it("makes one call for the check and the names, each name once, and never asks hasPermission", async () => {
      const users = new FoldingTable({ alice: [CHANGE], bob: [] });
      const dispatcher = dispatcherOf({ "/users": users });
      expect(await dispatcher.dispatch(check({ permissions: [VIEW, CHANGE, VIEW] }), signal)).toEqual({ status: Status.GRANTED, permissions: [CHANGE] });
      expect(await dispatcher.dispatch(check({ user: text("bob"), permissions: [VIEW] }), signal)).toEqual({ status: Status.GRANTED, permissions: [] });
      expect(await dispatcher.dispatch(check({ password: text("wrong"), permissions: [VIEW] }), signal)).toEqual({ status: Status.DENIED });
      expect(await dispatcher.dispatch(check({ user: text("nobody"), permissions: [VIEW] }), signal)).toEqual({ status: Status.USER_NOT_FOUND });
      expect(users.calls).toEqual([
        `check+authorize alice groups=false [${VIEW},${CHANGE}]`,
        `check+authorize bob groups=false [${VIEW}]`,
        `check+authorize alice groups=false [${VIEW}]`,
        `check+authorize nobody groups=false [${VIEW}]`,
      ]);
      expect(users.asked).toEqual([]);
    });

    it("makes one call for the check, the groups and the names when GROUP_HANDLER_ID is HANDLER_ID", async () => {
      const users = new FoldingTable({ alice: [VIEW, CHANGE] });
      const answer = await dispatcherOf({ "/users": users }).dispatch(check({ ...handledBy(USER_SPEC, USER_SPEC), permissions: [VIEW, CHANGE] }), signal);
      expect(answer).toEqual({ status: Status.GRANTED, groups: ["staff"], permissions: [VIEW, CHANGE] });
      expect(users.calls).toEqual([`check+authorize alice groups=true [${VIEW},${CHANGE}]`]);
      expect(users.asked).toEqual([]);
    });

    it("composes checkPassword, groupsForUser and hasPermission per name when the group handler is another one", async () => {
      const users = new FoldingTable({ alice: [VIEW, CHANGE] });
      const groups = new FoldingTable({ alice: [CHANGE] });
      const answer = await dispatcherOf({ "/users": users, "/groups": groups }).dispatch(
        check({ ...handledBy(USER_SPEC, GROUP_SPEC), permissions: [VIEW, CHANGE] }),
        signal,
      );
      expect(answer).toEqual({ status: Status.GRANTED, groups: ["staff"], permissions: [CHANGE] });
      expect(users.calls).toEqual(["check alice"]);
      expect(groups.calls).toEqual(["groups alice"]);
      expect(groups.asked).toEqual([
        { user: "alice", permissions: [VIEW] },
        { user: "alice", permissions: [CHANGE] },
      ]);
    });

    it("rejects (ERROR, never a grant) a held list that is not strings, names one not asked for, or a rename", async () => {
      for (const bad of [null, "docs.view_doc", [1], ["docs.delete_doc"], [VIEW, "other.perm"]]) {
        const users = new FoldingTable({ alice: [VIEW] }, () => bad);
        await expect(dispatcherOf({ "/users": users }).dispatch(check({ permissions: [VIEW] }), signal)).rejects.toBeInstanceOf(HandlerContractError);
        const both = new FoldingTable({ alice: [VIEW] }, () => bad);
        await expect(
          dispatcherOf({ "/users": both }).dispatch(check({ ...handledBy(USER_SPEC, USER_SPEC), permissions: [VIEW] }), signal),
        ).rejects.toBeInstanceOf(HandlerContractError);
      }
      const renamer = new FoldingTable({ alice: [VIEW] }, (held) => held, "mallory");
      await expect(dispatcherOf({ "/users": renamer }).dispatch(check({ permissions: [VIEW] }), signal)).rejects.toThrow(/must not rename/);
    });
  });
});
