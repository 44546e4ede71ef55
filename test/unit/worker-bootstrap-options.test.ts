// The worker's startup inputs from httpd's parent: the --listen-fd / --bootstrap-fd / --no-bootstrap flags,
// and the handler-spec policy the bootstrap sets up (allowlist, `file:` secrets).
import { describe, expect, it } from "vitest";
import { HandlerIdError, SpecError, WorkerConfigError } from "../../src/errors.js";
import { HandlerRegistry } from "../../src/handlers/registry.js";
import type { Handler } from "../../src/handlers/types.js";
import { parseCommandLine } from "../../src/worker/cli.js";
import { HandlerTable, SpecPolicy } from "../../src/worker/handler-table.js";

const parse = (argv: string[]) => parseCommandLine(["--socket", "/run/anp/w.sock", ...argv], () => "{}");

function refusal(fn: () => unknown): WorkerConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkerConfigError);
    return err as WorkerConfigError;
  }
  throw new Error("expected a WorkerConfigError");
}

describe("bootstrap flags", () => {
  it("reads --listen-fd and --bootstrap-fd", () => {
    const { options } = parse(["--listen-fd", "3", "--bootstrap-fd=4"]);
    expect(options?.listenFd).toBe(3);
    expect(options?.bootstrap).toEqual({ fd: 4 });
  });

  it("reads --heartbeat-fd, refusing stdio numbers and non-numbers", () => {
    expect(parse(["--heartbeat-fd", "5"]).options?.heartbeatFd).toBe(5);
    expect(parse([]).options?.heartbeatFd).toBeNull();
    expect(refusal(() => parse(["--heartbeat-fd", "1"])).option).toBe("--heartbeat-fd");
    expect(refusal(() => parse(["--heartbeat-fd", "five"])).option).toBe("--heartbeat-fd");
  });

  it("says which of --bootstrap-fd and --no-bootstrap was given", () => {
    expect(parse(["--no-bootstrap"]).options?.bootstrap).toBe("none");
    expect(parse([]).options?.bootstrap).toBe("unset");
  });

  it("refuses both at once, stdio numbers and non-numbers", () => {
    expect(refusal(() => parse(["--bootstrap-fd", "4", "--no-bootstrap"])).option).toBe("--no-bootstrap");
    expect(refusal(() => parse(["--bootstrap-fd", "2"])).option).toBe("--bootstrap-fd");
    expect(refusal(() => parse(["--listen-fd", "three"])).option).toBe("--listen-fd");
  });
});

const REAL = "type=script\npath=/srv/auth/users.mjs";

function tableWith(policy: SpecPolicy, made: string[]): HandlerTable {
  const registry = new HandlerRegistry({
    factories: {
      script: (spec) => {
        made.push(spec["path"] as string);
        return { close: async () => {} } as unknown as Handler;
      },
    },
  });
  return new HandlerTable(registry, policy);
}

describe("spec policy", () => {
  it("refuses a definition whose text is not allowed, before anything is made", () => {
    const made: string[] = [];
    const table = tableWith(new SpecPolicy(new Set([REAL]), new Map()), made);
    const evil = "type=script\npath=/tmp/evil.mjs";
    expect(() => table.define([{ id: 1, spec: evil }])).toThrow(HandlerIdError);
    expect(() => table.define([{ id: 1, spec: evil }])).toThrow("handler spec not in httpd's configuration");
    // All or none: an allowed definition in the same frame is not applied either.
    expect(() => table.define([{ id: 2, spec: REAL }, { id: 3, spec: evil }])).toThrow(HandlerIdError);
    expect(() => table.resolved(2)).toThrow("not defined");
    expect(made).toEqual([]);
  });

  it("replaces file: values with the secret's content, and refuses a path the parent did not pass", async () => {
    const spec = "type=script\npath=file:/etc/anp/secret-path";
    const other = "type=script\npath=file:/etc/anp/not-passed";
    const made: string[] = [];
    const policy = new SpecPolicy(new Set([spec, other]), new Map([["/etc/anp/secret-path", "/srv/auth/users.mjs\n"]]));
    const table = tableWith(policy, made);
    table.define([{ id: 1, spec }, { id: 2, spec: other }]);
    await table.resolve(1);
    expect(made).toEqual(["/srv/auth/users.mjs"]);
    await expect(table.resolve(2)).rejects.toThrow(SpecError);
    await expect(table.resolve(2)).rejects.toThrow("path: file:/etc/anp/not-passed was not passed by httpd's parent");
  });

  it("refuses a secret of more than one line without quoting it", () => {
    const policy = new SpecPolicy(null, new Map([["/s", "line one\nline two\n"]]));
    expect(() => policy.materialize("type=django\ndatabase=file:/s")).toThrow(/database: file:\/s holds more than one line$/);
  });
});
