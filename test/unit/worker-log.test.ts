import { describe, expect, it } from "vitest";
import { createLogger, formatLogLine, httpdTime, isLogLevel, sanitizeLogText } from "../../src/log.js";
import { HTTPD_LINE } from "../support/error-log.js";

/** Sun Dec 06 2026, 03:06:32.869562 local time, in microseconds since the epoch. */
const T = new Date(2026, 11, 6, 3, 6, 32).getTime() * 1000 + 869_562;

function capture(level: Parameters<typeof createLogger>[0]) {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => lines.push(line) }, 4242, () => T);
  return { logger, lines };
}

describe("worker log", () => {
  it("writes one line per event in httpd's default ErrorLog shape: time, module:level, pid, log id", () => {
    const { logger, lines } = capture("info");
    logger.info("ANP0601", "listening on /run/x.sock");
    logger.error("ANP0615", "boom");
    expect(lines).toEqual([
      "[Sun Dec 06 03:06:32.869562 2026] [authnz_node:info] [pid 4242] ANP0601: listening on /run/x.sock\n",
      "[Sun Dec 06 03:06:32.869562 2026] [authnz_node:error] [pid 4242] ANP0615: boom\n",
    ]);
    expect(HTTPD_LINE.exec(lines[0]!.trimEnd())?.slice(1)).toEqual(["Sun Dec 06 03:06:32.869562 2026", "authnz_node", "info", "4242", "ANP0601: listening on /run/x.sock"]);
  });

  it("prints the time as httpd's %{u}t: zero-padded day and clock, six digits of microseconds, local time", () => {
    expect(httpdTime(new Date(2027, 0, 1, 0, 0, 0).getTime() * 1000 + 7)).toBe("Fri Jan 01 00:00:00.000007 2027");
    expect(httpdTime(new Date(2026, 6, 9, 23, 59, 59).getTime() * 1000 + 999_999)).toBe("Thu Jul 09 23:59:59.999999 2026");
    expect(httpdTime(new Date(2024, 1, 29, 12, 5, 9).getTime() * 1000)).toBe("Thu Feb 29 12:05:09.000000 2024");
  });

  it("takes each line's time from its clock when the line is written", () => {
    const lines: string[] = [];
    let now = T;
    const logger = createLogger("info", { write: (line: string) => lines.push(line) }, 1, () => (now += 1_000_000));
    logger.info("ANP0601", "a");
    logger.info("ANP0601", "b");
    expect(lines.map((line) => line.slice(0, 34))).toEqual(["[Sun Dec 06 03:06:33.869562 2026] ", "[Sun Dec 06 03:06:34.869562 2026] "]);
  });

  it("drops events below the level", () => {
    const { logger, lines } = capture("warn");
    logger.debug("ANP0630", "d");
    logger.info("ANP0601", "i");
    logger.warn("ANP0629", "w");
    logger.error("ANP0615", "e");
    expect(lines.map((l) => HTTPD_LINE.exec(l.trimEnd())?.[3])).toEqual(["warn", "error"]);
    expect(logger.enabled("info")).toBe(false);
    expect(logger.enabled("error")).toBe(true);
  });

  it("escapes control characters so a user name cannot forge a log line", () => {
    const { logger, lines } = capture("debug");
    logger.debug("ANP0624", 'user="eve\n[Sun Dec 06 03:06:32.000000 2026] [authnz_node:info] [pid 1] ANP0601: granted"');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ANP0624: user="eve\\x0a[Sun Dec 06');
    expect(formatLogLine("warn", "ANP0629", "a\rb", 7, T)).toBe("[Sun Dec 06 03:06:32.869562 2026] [authnz_node:warn] [pid 7] ANP0629: a\\x0db\n");
    expect(sanitizeLogText("a\tb\u007f\r")).toBe("a\\x09b\\x7f\\x0d");
    expect(sanitizeLogText("caf\u00e9 \u2603")).toBe("caf\u00e9 \u2603");
  });

  it("knows its levels", () => {
    expect(["error", "warn", "info", "debug"].every(isLogLevel)).toBe(true);
    expect(isLogLevel("notice")).toBe(false);
  });
});
