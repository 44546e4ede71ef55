// The REASON of an ERROR answer, which the module writes to httpd's error log: the worker's own wording
// for its own errors, otherwise a fixed text and codes, never a message a handler or driver wrote (it may
// hold the password, and cutting the password out would leave the words around it).
import { describe, expect, it } from "vitest";
import { DatabaseError, DatabaseTimeoutError, DeadlineError, DjangoConfigError, HasherError, ScriptThrewError, UserRowError } from "../../src/errors.js";
import { failureReason } from "../../src/worker/dispatcher.js";

describe("failureReason", () => {
  it("gives database failures their codes only", () => {
    const refused = new DatabaseError("postgres://timeout@h:5432/timeout: connect ECONNREFUSED", { driverCode: "ECONNREFUSED" });
    expect(failureReason(refused)).toBe("database error (ERR_DATABASE ECONNREFUSED)");
    expect(failureReason(new DatabaseTimeoutError("timed out after 5000 ms (timeout)", { driverCode: "57014" }))).toBe("database error (ERR_DATABASE_TIMEOUT 57014)");
    expect(failureReason(new DatabaseTimeoutError("timed out after 5000 ms"))).toBe("database error (ERR_DATABASE_TIMEOUT)");
    // A driver code that is not a plain code is left out rather than quoted.
    expect(failureReason(new DatabaseError("x", { driverCode: "pass word" }))).toBe("database error (ERR_DATABASE)");
  });

  it("names a script's function and the built-in class of what it threw, never the message", () => {
    expect(failureReason(new ScriptThrewError("checkPassword", new TypeError("hunter2 is wrong")))).toBe("checkPassword threw TypeError (ERR_ANP_SCRIPT_THREW)");
    class Custom extends Error {}
    const custom = new Custom("hunter2");
    custom.name = "hunter2";
    expect(failureReason(new ScriptThrewError("groupsForUser", custom))).toBe("groupsForUser threw (ERR_ANP_SCRIPT_THREW)");
    const renamed = new Error("x");
    renamed.name = "hunter2";
    expect(failureReason(new ScriptThrewError("checkPassword", renamed))).toBe("checkPassword threw Error (ERR_ANP_SCRIPT_THREW)");
    expect(failureReason(new ScriptThrewError("checkPassword", "hunter2"))).toBe("checkPassword threw (ERR_ANP_SCRIPT_THREW)");
  });

  it("keeps the worker's own wording, and gives other errors a fixed text and a plain code", () => {
    expect(failureReason(new DeadlineError())).toBe("deadline exceeded");
    expect(failureReason(new DjangoConfigError("pool_size", "expected an integer"))).toBe("django handler: pool_size: expected an integer");
    expect(failureReason(new UserRowError("two rows for hunter2"))).toBe("handler error (ERR_DJANGO_USER_ROW)");
    expect(failureReason(new HasherError("hunter2"))).toBe("handler error (ERR_HASHER)");
    expect(failureReason(Object.assign(new Error("hunter2"), { code: "EPIPE" }))).toBe("handler error (EPIPE)");
    expect(failureReason(Object.assign(new Error("hunter2"), { code: "hunter 2" }))).toBe("handler error");
    expect(failureReason(Object.assign(new Error("hunter2"), { code: "hunter2" }))).toBe("handler error");
    expect(failureReason(new Error("hunter2"))).toBe("handler error");
    expect(failureReason("hunter2")).toBe("non-error thrown: string");
  });
});
