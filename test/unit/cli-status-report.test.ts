// `mod-authnz-node status`'s verdict and text (src/cli/status-report.ts): Nagios's states and exit codes
// from the thresholds, the first line and its perfdata, the uptime's short form, the details.
import { describe, expect, it } from "vitest";
import { NAGIOS, formatProblem, formatReport, formatUptime, judge, type StatusAnswer } from "../../src/cli/status-report.js";
import { thresholdsOf } from "../../src/cli/status.js";
import { parseArgs } from "../../src/cli/args.js";
import { CliUsageError } from "../../src/errors.js";

function answer(overrides: { queued?: number; startCount?: number | null } = {}): StatusAnswer {
  return {
    pid: 123,
    uptimeSeconds: 3 * 3600 + 2 * 60 + 7,
    startCount: overrides.startCount === undefined ? 1 : overrides.startCount,
    protocolVersion: 6,
    connections: 2,
    handlers: [
      {
        description: "django:postgres://app:***@db/app",
        created: true,
        status: { pool: { total: 3, idle: 2, waiting: 0 }, verifiedCache: { size: 4, hits: 12, misses: 3 }, rowCache: { size: 0, hits: 0, misses: 0 } },
      },
      { description: "script:/srv/users.mjs", created: false, status: null },
    ],
    hashQueue: { running: 1, queued: overrides.queued ?? 0, parallelism: 2 },
    throttle: { enabled: true, refused: 5, failures: 9, blocks: 1 },
    lockout: { throttled: 6, queueFull: 1 },
  };
}

describe("status verdict", () => {
  it("OK without thresholds, whatever the values", () => {
    expect(judge(answer({ queued: 999, startCount: 50 }), {})).toEqual({ state: "OK", reasons: [] });
  });

  it("hash queue depth: WARNING above --warn-queue, CRITICAL above --crit-queue, equal is not above", () => {
    expect(judge(answer({ queued: 5 }), { warnQueue: 5, critQueue: 10 }).state).toBe("OK");
    expect(judge(answer({ queued: 6 }), { warnQueue: 5, critQueue: 10 })).toEqual({ state: "WARNING", reasons: ["hash queue 6 > 5"] });
    expect(judge(answer({ queued: 11 }), { warnQueue: 5, critQueue: 10 })).toEqual({ state: "CRITICAL", reasons: ["hash queue 11 > 10"] });
  });

  it("restarts are starts after the first; a worker not told its start count has none", () => {
    expect(judge(answer({ startCount: 1 }), { warnRestarts: 0 }).state).toBe("OK");
    expect(judge(answer({ startCount: 2 }), { warnRestarts: 0 })).toEqual({ state: "WARNING", reasons: ["restarts 1 > 0"] });
    expect(judge(answer({ startCount: 4 }), { warnRestarts: 0, critRestarts: 2 }).state).toBe("CRITICAL");
    expect(judge(answer({ startCount: null }), { warnRestarts: 0 }).state).toBe("OK");
  });

  it("CRITICAL keeps the warnings among its reasons", () => {
    expect(judge(answer({ queued: 11, startCount: 2 }), { critQueue: 10, warnRestarts: 0 }).reasons).toEqual(["hash queue 11 > 10", "restarts 1 > 0"]);
  });

  it("exit codes are Nagios's", () => {
    expect(NAGIOS).toEqual({ OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 });
  });
});

describe("status text", () => {
  it("the uptime's two largest units", () => {
    expect([formatUptime(0), formatUptime(45), formatUptime(3 * 3600 + 2 * 60 + 7), formatUptime(2 * 86400 + 3600 * 4 + 5), formatUptime(3600)]).toEqual(["0s", "45s", "3h2m", "2d4h", "1h0m"]);
  });

  it("Nagios's first line: state, summary, reasons, then perfdata with the thresholds", () => {
    const status = answer({ queued: 6, startCount: 2 });
    const thresholds = { warnQueue: 5, critQueue: 10 };
    const first = formatReport(status, judge(status, thresholds), thresholds).split("\n")[0];
    expect(first).toBe(
      "AUTHNZ_NODE WARNING - worker pid 123, up 3h2m, start 2, hash queue 6: hash queue 6 > 5 | " +
        "uptime=10927s restarts=1;; hash_queue=6;5;10 hash_running=1 connections=2 verified_hits=12c verified_misses=3c throttled=6c throttle_blocks=1c",
    );
  });

  it("details: pools, caches with their hit rates, counters; a handler not made says so", () => {
    const status = answer();
    const text = formatReport(status, judge(status, {}), {});
    expect(text).toContain("handler django:postgres://app:***@db/app: ready\n  pool: 3 open, 2 idle, 0 waiting\n  verified-credential cache: 4 entries, 12 hits / 3 misses (80% hits)\n  row cache: 0 entries, 0 hits / 0 misses (no lookups)");
    expect(text).toContain("handler script:/srv/users.mjs: not made yet (or failed)");
    expect(text).toContain("throttle: 5 checks refused, 9 failures counted, 1 blocks");
    expect(text).toContain("lockouts: 6 THROTTLED answers (1 for a full hashing queue)");
  });

  it("a problem without a status is the first line alone", () => {
    expect(formatProblem("CRITICAL", "httpd is not running")).toBe("AUTHNZ_NODE CRITICAL - httpd is not running\n");
  });
});

describe("status thresholds", () => {
  const spec = { "warn-queue": { value: true }, "crit-queue": { value: true }, "warn-restarts": { value: true }, "crit-restarts": { value: true } };

  it("whole numbers only", () => {
    expect(thresholdsOf(parseArgs(["--warn-queue", "5", "--crit-restarts=0"], spec))).toEqual({ warnQueue: 5, critQueue: undefined, warnRestarts: undefined, critRestarts: 0 });
    expect(() => thresholdsOf(parseArgs(["--warn-queue", "-1"], spec))).toThrow(CliUsageError);
    expect(() => thresholdsOf(parseArgs(["--crit-queue", "1.5"], spec))).toThrow(CliUsageError);
  });
});
