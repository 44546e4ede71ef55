import { describe, expect, it } from "vitest";
import { createLogger, isLogLevel, sanitizeLogText } from "../../src/log.js";

function capture(level: Parameters<typeof createLogger>[0]) {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => lines.push(line) }, 4242);
  return { logger, lines };
}

describe("worker log", () => {
  it("writes one line per event in httpd's readable form", () => {
    const { logger, lines } = capture("info");
    logger.info("listening on /run/x.sock");
    logger.error("boom");
    expect(lines).toEqual(["mod_authnz_node worker[4242]: info: listening on /run/x.sock\n", "mod_authnz_node worker[4242]: error: boom\n"]);
  });

  it("drops events below the level", () => {
    const { logger, lines } = capture("warn");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(lines.map((l) => l.split(": ")[1])).toEqual(["warn", "error"]);
    expect(logger.enabled("info")).toBe(false);
    expect(logger.enabled("error")).toBe(true);
  });

  it("escapes control characters so a user name cannot forge a log line", () => {
    const { logger, lines } = capture("debug");
    logger.debug('user="eve\nmod_authnz_node worker[1]: info: granted"');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("eve\\x0amod_authnz_node");
    expect(sanitizeLogText("a\tb\u007f\r")).toBe("a\\x09b\\x7f\\x0d");
    expect(sanitizeLogText("caf\u00e9 \u2603")).toBe("caf\u00e9 \u2603");
  });

  it("knows its levels", () => {
    expect(["error", "warn", "info", "debug"].every(isLogLevel)).toBe(true);
    expect(isLogLevel("notice")).toBe(false);
  });
});
