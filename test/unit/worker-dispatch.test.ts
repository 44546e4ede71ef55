import { describe, expect, it } from "vitest";
import { registryOf } from "../support/handler-registry.js";
import { handledBy } from "../support/handler-ids.js";
import { checkPasswordRequest, wireText } from "../support/worker-request.js";
import { HandlerRegistry, lazyFactory } from "../../src/handlers/registry.js";
import { HandlerContractError, HandlerUnavailableError, TooManyHandlersError } from "../../src/errors.js";
import type { CheckContext, Handler } from "../../src/handlers/types.js";
import { Kind, Status } from "../../src/protocol/constants.js";
import { answerMessage } from "../../src/worker/answer.js";
import { DeadlineGroup, answerMargin, requestBudget, withDeadline, type RequestDeadline } from "../../src/worker/deadline.js";
import { Dispatcher, failureAnswer } from "../../src/worker/dispatcher.js";
import { asciiLower, matchGroups } from "../../src/worker/fold.js";
import { DeadlineError } from "../../src/errors.js";
import type { WorkerRequest } from "../../src/worker/request.js";

/** A handler over an in-memory user table; `behaviour` lets a test make one method misbehave. */
class TableHandler implements Handler {
  closed = false;
  seen: CheckContext[] = [];
  constructor(readonly behaviour: Record<string, unknown> = {}) {}
  async checkPassword(ctx: CheckContext, password: string) {
    this.seen.push(ctx);
    if ("checkPassword" in this.behaviour) return this.behaviour["checkPassword"] as never;
    if (ctx.user === "alice") return password === "pw" ? { kind: "granted" as const } : { kind: "denied" as const };
    if (ctx.user === "renamer") return { kind: "granted" as const, user: "alice" };
    return { kind: "not_found" as const };
  }
  async groupsForUser(ctx: CheckContext) {
    this.seen.push(ctx);
    if ("groupsForUser" in this.behaviour) return this.behaviour["groupsForUser"] as never;
    return ctx.user === "alice" ? ["Staff", "readers", "staff"] : [];
  }
  async hasPermission(ctx: CheckContext, permissions: readonly string[]) {
    if ("hasPermission" in this.behaviour) return this.behaviour["hasPermission"] as never;
    return ctx.user === "alice" && permissions.includes("docs.view_doc");
  }
  async getRealmHash(ctx: CheckContext) {
    if ("getRealmHash" in this.behaviour) return this.behaviour["getRealmHash"] as never;
    return ctx.user === "alice" ? "0123456789ABCDEF0123456789abcdef" : null;
  }
  async allowAccess(_environ: Readonly<Record<string, string>>, host: string) {
    if ("allowAccess" in this.behaviour) return this.behaviour["allowAccess"] as never;
    return host === "10.0.0.1" ? true : host === "10.0.0.2" ? false : null;
  }
  async close() {
    this.closed = true;
  }
}

const SPEC = "type=script\npath=/table";
const PARTIAL_SPEC = "type=script\npath=/partial";

/** A request of `kind` for alice on SPEC, with the fields that kind carries; `over` replaces fields. */
function request(kind: WorkerRequest["kind"], over: Partial<WorkerRequest> = {}): WorkerRequest {
  return checkPasswordRequest({
    kind,
    ...handledBy(SPEC),
    password: kind === Kind.CHECK_PASSWORD ? wireText("pw") : null,
    realm: kind === Kind.GET_REALM_HASH ? "Private" : null,
    host: kind === Kind.ALLOW_ACCESS ? "10.0.0.1" : null,
    permissions: kind === Kind.HAS_PERMISSION ? ["docs.view_doc"] : [],
    environ: { REQUEST_URI: "/x" },
    ...over,
  });
}

const signal = new AbortController().signal;
const text = (t: string) => ({ text: t, bytes: Buffer.from(t, "utf8") });

describe("Dispatcher: the status table of docs/protocol.md", () => {
  const table = new TableHandler();
  const dispatcher = new Dispatcher(registryOf({ "/table": table, "/partial": { close: async () => {} } }));
  const dispatch = (req: WorkerRequest) => dispatcher.dispatch(req, signal);

  it("CHECK_PASSWORD: granted, denied, not found, renamed", async () => {
    expect(await dispatch(request(Kind.CHECK_PASSWORD))).toEqual({ status: Status.GRANTED });
    expect(await dispatch(request(Kind.CHECK_PASSWORD, { password: text("nope") }))).toEqual({ status: Status.DENIED });
    expect(await dispatch(request(Kind.CHECK_PASSWORD, { user: text("carol") }))).toEqual({ status: Status.USER_NOT_FOUND });
    expect(await dispatch(request(Kind.CHECK_PASSWORD, { user: text("renamer") }))).toEqual({ status: Status.GRANTED, user: "alice" });
  });

  it("CHECK_PASSWORD with GROUP_HANDLER folds the (renamed) user's groups into a grant only", async () => {
    const withGroups = handledBy(SPEC, SPEC);
    expect(await dispatch(request(Kind.CHECK_PASSWORD, withGroups))).toEqual({ status: Status.GRANTED, groups: ["Staff", "readers", "staff"] });
    expect(await dispatch(request(Kind.CHECK_PASSWORD, { ...withGroups, groups: ["READERS", "admins"] }))).toEqual({
      status: Status.GRANTED,
      groups: ["readers"],
    });
    table.seen = [];
    expect(await dispatch(request(Kind.CHECK_PASSWORD, { ...withGroups, user: text("renamer") }))).toMatchObject({ user: "alice", groups: ["Staff", "readers", "staff"] });
    expect(table.seen.map((c) => c.user)).toEqual(["renamer", "alice"]);
    expect(table.seen[1]?.userBytes.toString()).toBe("alice");
    expect(await dispatch(request(Kind.CHECK_PASSWORD, { ...withGroups, password: text("bad") }))).toEqual({ status: Status.DENIED });
  });

  it("GROUPS_FOR_USER: GRANTED with the matching groups (ASCII case-insensitive), DENIED otherwise", async () => {
    expect(await dispatch(request(Kind.GROUPS_FOR_USER, { groups: ["STAFF", "nobody"] }))).toEqual({ status: Status.GRANTED, groups: ["Staff"] });
    expect(await dispatch(request(Kind.GROUPS_FOR_USER, { groups: ["admins"] }))).toEqual({ status: Status.DENIED });
    expect(await dispatch(request(Kind.GROUPS_FOR_USER, { groups: [] }))).toEqual({ status: Status.DENIED });
    expect(await dispatch(request(Kind.GROUPS_FOR_USER, { user: text("carol"), groups: ["staff"] }))).toEqual({ status: Status.DENIED });
  });

  it("HAS_PERMISSION, GET_REALM_HASH, ALLOW_ACCESS", async () => {
    expect(await dispatch(request(Kind.HAS_PERMISSION))).toEqual({ status: Status.GRANTED });
    expect(await dispatch(request(Kind.HAS_PERMISSION, { permissions: ["docs.delete_doc"] }))).toEqual({ status: Status.DENIED });
    expect(await dispatch(request(Kind.GET_REALM_HASH))).toEqual({ status: Status.GRANTED, hash: "0123456789abcdef0123456789abcdef" });
    expect(await dispatch(request(Kind.GET_REALM_HASH, { user: text("carol") }))).toEqual({ status: Status.USER_NOT_FOUND });
    expect(await dispatch(request(Kind.ALLOW_ACCESS))).toEqual({ status: Status.GRANTED });
    expect(await dispatch(request(Kind.ALLOW_ACCESS, { host: "10.0.0.2" }))).toEqual({ status: Status.DENIED });
    expect(await dispatch(request(Kind.ALLOW_ACCESS, { host: "10.9.9.9" }))).toEqual({ status: Status.USER_NOT_FOUND });
  });

  it("a handler without the operation's method is an error, not a denial", async () => {
    for (const kind of [Kind.CHECK_PASSWORD, Kind.GROUPS_FOR_USER, Kind.HAS_PERMISSION, Kind.GET_REALM_HASH, Kind.ALLOW_ACCESS] as const) {
      await expect(dispatch(request(kind, { ...handledBy(PARTIAL_SPEC), groups: ["x"] }))).rejects.toThrow(/handler has no/);
    }
    await expect(dispatch(request(Kind.CHECK_PASSWORD, handledBy(SPEC, PARTIAL_SPEC)))).rejects.toThrow(/handler has no groupsForUser/);
  });

  it("a bad spec is an error naming the key", async () => {
    await expect(dispatch(request(Kind.CHECK_PASSWORD, handledBy("type=script\npath=/table\npath=/other")))).rejects.toThrow(/path: given twice/);
    await expect(dispatch(request(Kind.CHECK_PASSWORD, handledBy("path=/table")))).rejects.toThrow(/type: is required/);
  });
});

describe("Dispatcher: handlers that break their contract never grant", () => {
  const cases: [string, Record<string, unknown>, WorkerRequest["kind"]][] = [
    ["verdict true", { checkPassword: true }, Kind.CHECK_PASSWORD],
    ["verdict without kind", { checkPassword: {} }, Kind.CHECK_PASSWORD],
    ["granted as empty user", { checkPassword: { kind: "granted", user: "" } }, Kind.CHECK_PASSWORD],
    ["groups not an array", { groupsForUser: "staff" }, Kind.GROUPS_FOR_USER],
    ["groups with a number", { groupsForUser: ["staff", 1] }, Kind.GROUPS_FOR_USER],
    ["permission as 1", { hasPermission: 1 }, Kind.HAS_PERMISSION],
    ["hash too short", { getRealmHash: "abc" }, Kind.GET_REALM_HASH],
    ["hash not hex", { getRealmHash: "z".repeat(32) }, Kind.GET_REALM_HASH],
    ["access as 'yes'", { allowAccess: "yes" }, Kind.ALLOW_ACCESS],
    ["access undefined", { allowAccess: undefined }, Kind.ALLOW_ACCESS],
  ];
  it.each(cases)("%s", async (_name, behaviour, kind) => {
    const dispatcher = new Dispatcher(registryOf({ "/table": new TableHandler(behaviour) }));
    // Refused as a broken contract (an ERROR answer, HTTP 500), not by some accident on the way.
    const error = await dispatcher.dispatch(request(kind, { groups: ["staff"] }), signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerContractError);
    expect((error as HandlerContractError).code).toBe("ERR_ANP_HANDLER_CONTRACT");
  });
});

describe("HandlerRegistry", () => {
  it("keeps one handler per distinct spec text and closes them all", async () => {
    let made = 0;
    const registry = new HandlerRegistry({
      factories: {
        script: () => {
          made++;
          return new TableHandler();
        },
      },
    });
    const [a, b] = await Promise.all([registry.get(SPEC), registry.get(SPEC)]);
    expect(a).toBe(b);
    const c = await registry.get(`${SPEC}\nreload=on`);
    expect(c).not.toBe(a);
    expect(made).toBe(2);
    expect(await registry.closeAll()).toEqual([]);
    expect((a as TableHandler).closed && (c as TableHandler).closed).toBe(true);
    await expect(registry.get(SPEC)).rejects.toThrow(/closed/);
  });

  it("forgets a spec whose handler could not be made, so it is tried again", async () => {
    let attempts = 0;
    const registry = new HandlerRegistry({
      factories: {
        script: () => {
          attempts++;
          if (attempts === 1) throw new Error("not yet");
          return new TableHandler();
        },
      },
    });
    await expect(registry.get(SPEC)).rejects.toThrow("not yet");
    await expect(registry.get(SPEC)).resolves.toBeInstanceOf(TableHandler);
    expect(attempts).toBe(2);
  });

  it("is bounded", async () => {
    const registry = new HandlerRegistry({ maxHandlers: 2, factories: { script: () => new TableHandler() } });
    await registry.get("type=script\npath=/1");
    await registry.get("type=script\npath=/2");
    await expect(registry.get("type=script\npath=/3")).rejects.toBeInstanceOf(TooManyHandlersError);
  });

  it("answers 'django handler unavailable' when the Django handler's code cannot be imported, and tries again later", async () => {
    let imports = 0;
    const django = lazyFactory("django", async () => {
      imports++;
      if (imports === 1) throw new Error("Cannot find package 'pg'");
      return () => new TableHandler();
    });
    const registry = new HandlerRegistry({ factories: { django } });
    const err = await registry.get("type=django\ndatabase=sqlite:///tmp/x.sqlite3").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandlerUnavailableError);
    expect((err as Error).message).toBe("django handler unavailable: Cannot find package 'pg'");
    await expect(registry.get("type=django\ndatabase=sqlite:///tmp/x.sqlite3")).resolves.toBeInstanceOf(TableHandler);
    expect(imports).toBe(2);
  });

  it("answers 'unavailable' for a type it was given no factory for", async () => {
    const registry = new HandlerRegistry({ factories: { script: () => new TableHandler() } });
    await expect(registry.get("type=django\ndatabase=sqlite:///tmp/x.sqlite3")).rejects.toThrow(/^django handler unavailable: this worker has no django factory$/);
  });
});

describe("answers and secrets", () => {
  it("failureAnswer is ERROR and carries no password", () => {
    const answer = failureAnswer(new Error("checkPassword threw: Error: hunter2 rejected"), { password: text("hunter2") });
    expect(answer).toEqual({ status: Status.ERROR, reason: "handler error" });
    expect(failureAnswer("a string", null)).toEqual({ status: Status.ERROR, reason: "non-error thrown: string" });
  });

  it("answerMessage encodes the answer fields and truncates long reasons", () => {
    const msg = answerMessage(Kind.CHECK_PASSWORD, 7, { status: Status.ERROR, reason: "r".repeat(1000) });
    expect(msg.kind).toBe(0x82);
    expect(msg.requestId).toBe(7);
    expect(msg.fields[1]?.value.length).toBe(400);
  });

  it("matchGroups keeps the handler's spelling, once per group", () => {
    expect(matchGroups(["Staff", "staff", "Readers"], ["STAFF", "readers"])).toEqual(["Staff", "Readers"]);
    expect(asciiLower("\u00c9COLE Staff")).toBe("\u00c9cole staff");
  });
});

describe("deadlines", () => {
  it("budget is the smaller of --timeout-ms and TIMEOUT_MS less a margin", () => {
    expect(requestBudget(5000, null)).toBe(5000);
    expect(requestBudget(5000, 10_000)).toBe(5000);
    expect(requestBudget(5000, 2000)).toBe(2000 - answerMargin(2000));
    expect(answerMargin(2000)).toBe(100);
    expect(answerMargin(100)).toBe(5);
    expect(requestBudget(5000, 3)).toBe(0);
  });

  it("an overdue request rejects with DeadlineError and its late result is dropped", async () => {
    let seen: RequestDeadline | undefined;
    let finish: (v: string) => void = () => {};
    const outcome = withDeadline(0, new DeadlineGroup(), (d) => {
      seen = d;
      return new Promise<string>((resolve) => (finish = resolve));
    });
    await expect(outcome).rejects.toBeInstanceOf(DeadlineError);
    expect(seen).toBeUndefined(); // a zero budget never starts the work
    let late = false;
    const hanging = withDeadline(5, new DeadlineGroup(), (d) => {
      seen = d;
      return new Promise<string>((resolve) => (finish = resolve));
    }).then(
      (value) => {
        late = true;
        return value;
      },
      (err: unknown) => {
        throw err;
      },
    );
    await expect(hanging).rejects.toBeInstanceOf(DeadlineError);
    expect(seen?.signal.aborted).toBe(true); // read after the deadline: made aborted
    expect(seen?.signal.reason).toBeInstanceOf(DeadlineError);
    finish("granted"); // too late: nothing observes it
    await new Promise((resolve) => setImmediate(resolve));
    expect(late).toBe(false);
    expect(seen?.finish()).toBe(false);
  });

  it("aborts when the connection goes away, and resolves normally otherwise", async () => {
    const connection = new DeadlineGroup();
    const pending = withDeadline(60_000, connection, () => new Promise<string>(() => {}));
    connection.abort(new Error("connection closed"));
    await expect(pending).rejects.toThrow("connection closed");
    await expect(withDeadline(60_000, new DeadlineGroup(), async () => "ok")).resolves.toBe("ok");
    await expect(withDeadline(60_000, new DeadlineGroup(), async () => { throw new Error("boom"); })).rejects.toThrow("boom");
  });
});
