// A connection's handler ids (src/worker/handler-table.ts): defined by DEFINE_HANDLER, all of a frame's
// definitions or none, resolved once through the registry and then kept; refused ids answer ERROR.
import { describe, expect, it } from "vitest";
import { checkPasswordRequest, wireText as text } from "../support/worker-request.js";
import { HandlerIdError } from "../../src/errors.js";
import { HandlerRegistry } from "../../src/handlers/registry.js";
import type { Handler } from "../../src/handlers/types.js";
import { MAX_HANDLER_ID, Status } from "../../src/protocol/constants.js";
import { Dispatcher, failureAnswer } from "../../src/worker/dispatcher.js";
import { HandlerTable } from "../../src/worker/handler-table.js";

const A = "type=script\npath=/a";
const B = "type=script\npath=/b";

/** A registry of handlers that grant everyone, counting how often each spec's handler was made. */
function countingRegistry(failFirst = false): { registry: HandlerRegistry; made: string[] } {
  const made: string[] = [];
  let failed = !failFirst;
  const registry = new HandlerRegistry({
    factories: {
      script: (spec) => {
        if (!failed) {
          failed = true;
          throw new Error("script not there yet");
        }
        made.push(spec["path"] ?? "?");
        const handler: Handler = { checkPassword: async () => ({ kind: "granted" }), close: async () => {} };
        return handler;
      },
    },
  });
  return { registry, made };
}

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HandlerIdError);
    return (err as Error).message;
  }
  throw new Error("not refused");
};

describe("HandlerTable", () => {
  it("refuses an id that was never defined on the connection", async () => {
    const table = new HandlerTable(countingRegistry().registry);
    expect(message(() => table.resolved(1))).toBe("handler id 1 is not defined on this connection");
    await expect(table.resolve(5)).rejects.toThrow("handler id 5 is not defined on this connection");
  });

  it("refuses ids 0 and MAX_HANDLER_ID + 1, and accepts 1 and MAX_HANDLER_ID", () => {
    const table = new HandlerTable(countingRegistry().registry);
    expect(message(() => table.define([{ id: 0, spec: A }]))).toBe(`handler id 0 is out of range (1..${MAX_HANDLER_ID})`);
    expect(message(() => table.define([{ id: MAX_HANDLER_ID + 1, spec: A }]))).toBe("handler id 1025 is out of range (1..1024)");
    expect(message(() => table.resolved(0))).toBe("handler id 0 is out of range (1..1024)");
    expect(message(() => table.resolved(0xffffffff))).toBe("handler id 4294967295 is out of range (1..1024)");
    table.define([{ id: 1, spec: A }, { id: MAX_HANDLER_ID, spec: B }]);
    expect(table.resolved(1)).toBeNull();
    expect(table.resolved(MAX_HANDLER_ID)).toBeNull();
  });

  it("refuses a redefinition with another text; the same text again is a no-op", () => {
    const table = new HandlerTable(countingRegistry().registry);
    table.define([{ id: 3, spec: A }]);
    table.define([{ id: 3, spec: A }]);
    expect(message(() => table.define([{ id: 3, spec: B }]))).toBe("handler id 3 is already defined on this connection with another spec");
    expect(message(() => table.define([{ id: 4, spec: A }, { id: 4, spec: B }]))).toBe("handler id 4 is defined twice in one request with different specs");
    expect(table.describe(3)).toBe("script:/a");
  });

  it("applies none of a frame's definitions when one is refused", () => {
    const table = new HandlerTable(countingRegistry().registry);
    expect(() => table.define([{ id: 1, spec: A }, { id: 2, spec: B }, { id: 0, spec: B }])).toThrow(HandlerIdError);
    expect(message(() => table.resolved(1))).toBe("handler id 1 is not defined on this connection");
    table.define([{ id: 2, spec: B }]);
    expect(() => table.define([{ id: 1, spec: A }, { id: 2, spec: A }])).toThrow(HandlerIdError);
    expect(message(() => table.resolved(1))).toBe("handler id 1 is not defined on this connection");
  });

  it("resolves an id once through the registry, then answers from the table; a failed creation is tried again", async () => {
    const { registry, made } = countingRegistry(true);
    const table = new HandlerTable(registry);
    table.define([{ id: 1, spec: A }]);
    await expect(table.resolve(1)).rejects.toThrow("script not there yet");
    expect(table.resolved(1)).toBeNull();
    const handler = await table.resolve(1);
    expect(table.resolved(1)).toBe(handler);
    expect(await table.resolve(1)).toBe(handler);
    expect(made).toEqual(["/a"]);
    // Another connection's table shares the registry's handler but not the ids.
    const other = new HandlerTable(registry);
    other.define([{ id: 9, spec: A }]);
    expect(await other.resolve(9)).toBe(handler);
    expect(made).toEqual(["/a"]);
  });
});

describe("Dispatcher: a request's definitions", () => {
  const request = checkPasswordRequest;
  const signal = new AbortController().signal;

  it("answers ERROR naming the id, unscrubbed, for a refused definition, and applies none of the frame's", async () => {
    const dispatcher = new Dispatcher(countingRegistry().registry);
    const refused = dispatcher.dispatch(request({ definitions: [{ id: 1, spec: A }, { id: 1025, spec: B }] }), signal);
    await expect(refused).rejects.toThrow("handler id 1025 is out of range (1..1024)");
    const err = await refused.catch((e: unknown) => e);
    // A password that appears in the worker's own words is not scrubbed out of them.
    expect(failureAnswer(err, { password: text("1") })).toEqual({ status: Status.ERROR, reason: "handler id 1025 is out of range (1..1024)" });
    await expect(dispatcher.dispatch(request({}), signal)).rejects.toThrow("handler id 1 is not defined on this connection");
    expect(await dispatcher.dispatch(request({ definitions: [{ id: 1, spec: A }] }), signal)).toEqual({ status: Status.GRANTED });
    expect(await dispatcher.dispatch(request({}), signal)).toEqual({ status: Status.GRANTED });
  });

  it("refuses an undefined GROUP_HANDLER_ID, and asks nothing of the group handler when the ids are equal", async () => {
    const dispatcher = new Dispatcher(countingRegistry().registry);
    await expect(dispatcher.dispatch(request({ definitions: [{ id: 1, spec: A }], groupHandlerId: 2 }), signal)).rejects.toThrow(
      "handler id 2 is not defined on this connection",
    );
    // id 1's handler has no groupsForUser: an ERROR that names it, reached without any lookup of id 2.
    await expect(dispatcher.dispatch(request({ groupHandlerId: 1 }), signal)).rejects.toThrow("handler has no groupsForUser");
  });
});
