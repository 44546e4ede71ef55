import { describe, expect, it } from "vitest";
import { DEFAULT_TIMEOUT_MS, parseCommandLine } from "../../src/worker/cli.js";
import { WorkerConfigError } from "../../src/errors.js";

const noFile = (): string => {
  throw new Error("ENOENT: no such file");
};

function parse(argv: string[], files: Record<string, string> = {}) {
  return parseCommandLine(argv, (path) => {
    const text = files[path];
    if (text === undefined) return noFile();
    return text;
  });
}

function optionOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkerConfigError);
    return (err as WorkerConfigError).option;
  }
  throw new Error("expected a WorkerConfigError");
}

describe("worker command line", () => {
  it("has safe defaults", () => {
    const { options } = parse(["--socket", "/run/anp/w.sock"]);
    expect(options).toEqual({
      socketPath: "/run/anp/w.sock",
      socketMode: 0o600,
      socketGid: null,
      trustUids: [],
      timeoutMs: DEFAULT_TIMEOUT_MS,
      logLevel: "info",
      preload: [],
      listenFd: null,
      bootstrap: "unset",
      heartbeatFd: null,
      // The throttle is on by default, with the documented limits.
      throttle: { addressLimit: 100, pairLimit: 10, userLimit: 0, backoffFirstSeconds: 10, backoffMaxSeconds: 900, windowSeconds: 900, exempt: [] },
      hashQueue: 8,
      adminFd: null,
      adminUid: null,
      startCount: null,
      generationsFd: null,
    });
  });

  it("reads --generations-fd (an inherited descriptor of 3 or more), and refuses bad ones", () => {
    expect(parse(["--socket", "/run/anp/w.sock", "--generations-fd", "7"]).options).toMatchObject({ generationsFd: 7 });
    expect(optionOf(() => parse(["--socket", "/run/anp/w.sock", "--generations-fd", "2"]))).toBe("--generations-fd");
    expect(optionOf(() => parse(["--socket", "/run/anp/w.sock", "--generations-fd", "x"]))).toBe("--generations-fd");
  });

  it("reads the admin socket's flags from httpd's parent, and refuses bad ones", () => {
    const { options } = parse(["--socket", "/run/anp/w.sock", "--admin-fd", "6", "--admin-uid", "1001", "--start-count", "2"]);
    expect(options).toMatchObject({ adminFd: 6, adminUid: 1001, startCount: 2 });
    expect(optionOf(() => parse(["--socket", "/run/anp/w.sock", "--admin-uid", "1001"]))).toBe("--admin-uid");
    expect(optionOf(() => parse(["--socket", "/run/anp/w.sock", "--admin-fd", "2"]))).toBe("--admin-fd");
    expect(optionOf(() => parse(["--socket", "/run/anp/w.sock", "--start-count", "0"]))).toBe("--start-count");
  });

  it("reads every flag, in both --flag value and --flag=value forms", () => {
    const { options } = parse([
      "--socket=/run/anp/w.sock",
      "--socket-mode",
      "0660",
      "--socket-group=root",
      "--trust-uid",
      "33",
      "--trust-uid=root",
      "--trust-uid",
      "33",
      "--timeout-ms",
      "250",
      "--log-level",
      "debug",
    ]);
    expect(options).toMatchObject({ socketMode: 0o660, socketGid: 0, trustUids: [33, 0], timeoutMs: 250, logLevel: "debug" });
  });

  it("resolves user names through NSS", () => {
    expect(parse(["--socket", "/s", "--trust-uid", "nobody"]).options?.trustUids).toEqual([65534]);
  });

  it("answers --help without options", () => {
    expect(parse(["--help"])).toEqual({ help: true, options: null });
  });

  it.each([
    [[], "--socket"],
    [["--socket", "relative.sock"], "--socket"],
    [["--socket", `/${"x".repeat(120)}`], "--socket"],
    [["--socket", "/s", "--socket-mode", "0644"], "--socket-mode"],
    [["--socket", "/s", "--socket-group", "root"], "--socket-group"],
    [["--socket", "/s", "--socket-mode", "0660", "--socket-group", "no-such-group-here"], "--socket-group"],
    [["--socket", "/s", "--trust-uid", "no-such-user-here"], "--trust-uid"],
    [["--socket", "/s", "--timeout-ms", "0"], "--timeout-ms"],
    [["--socket", "/s", "--timeout-ms", "5s"], "--timeout-ms"],
    [["--socket", "/s", "--log-level", "verbose"], "--log-level"],
    [["--socket", "/s", "--frobnicate", "1"], "--frobnicate"],
    [["--socket", "/s", "--timeout-ms"], "--timeout-ms"],
    [["--socket", "/s", "--socket", "/t"], "--socket"],
    [["--socket", "/s", "--config", "/missing.json"], "--config"],
  ])("%j is refused naming %s", (argv, option) => {
    expect(optionOf(() => parse(argv as string[]))).toBe(option);
  });
});

describe("worker config file", () => {
  const config = JSON.stringify({
    socket: "/run/anp/from-config.sock",
    timeoutMs: 1000,
    logLevel: "warn",
    trustUids: [33],
    handlers: ["type=script\npath=/srv/a.mjs", { type: "django", database: "sqlite:///srv/db.sqlite3", pool_size: 4 }],
  });

  it("supplies options, and flags win over it", () => {
    const { options } = parse(["--config", "/etc/anp.json", "--timeout-ms", "300"], { "/etc/anp.json": config });
    expect(options).toMatchObject({ socketPath: "/run/anp/from-config.sock", timeoutMs: 300, logLevel: "warn", trustUids: [33] });
    expect(options?.preload).toEqual([
      "type=script\npath=/srv/a.mjs",
      "type=django\ndatabase=sqlite:///srv/db.sqlite3\npool_size=4",
    ]);
  });

  it("names the config key at fault", () => {
    const files = {
      "/bad-key.json": JSON.stringify({ socket: "/s", sockets: "/t" }),
      "/bad-mode.json": JSON.stringify({ socket: "/s", socketMode: "0777" }),
      "/bad-json.json": "{ socket: ",
      "/array.json": "[]",
      "/bad-handlers.json": JSON.stringify({ socket: "/s", handlers: "type=script" }),
    };
    expect(optionOf(() => parse(["--config", "/bad-key.json"], files))).toBe("config:sockets");
    expect(optionOf(() => parse(["--config", "/bad-mode.json"], files))).toBe("config:socketMode");
    expect(optionOf(() => parse(["--config", "/bad-json.json"], files))).toBe("--config");
    expect(optionOf(() => parse(["--config", "/array.json"], files))).toBe("--config");
    expect(optionOf(() => parse(["--config", "/bad-handlers.json"], files))).toBe("config:handlers");
  });
});
