// The worker's logger, on the ground floor (it imports nothing), so every layer may log.
// One line per event on stderr, in the form httpd's ErrorLog keeps readable:
//   mod_authnz_node worker[<pid>]: <level>: <message>
// Messages are sanitized so no caller can break the one-line-per-event rule with control characters.
// Once the worker relays its fds 1 and 2 (handler output, prefixed and escaped by the addon's thread),
// the logger writes to the saved log descriptor instead (fdSink).
import { writeSync } from "node:fs";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface Logger {
  readonly level: LogLevel;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  enabled(level: LogLevel): boolean;
}

/** Escapes control characters (newlines above all) so one event stays one line. */
export function sanitizeLogText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export interface LineSink {
  write(line: string): unknown;
}

export function createLogger(level: LogLevel, sink: LineSink = process.stderr, pid: number = process.pid): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const enabled = (l: LogLevel): boolean => LOG_LEVELS.indexOf(l) <= rank;
  const emit = (l: LogLevel, message: string): void => {
    if (enabled(l)) sink.write(`mod_authnz_node worker[${pid}]: ${l}: ${sanitizeLogText(message)}\n`);
  };
  return {
    level,
    enabled,
    error: (m) => emit("error", m),
    warn: (m) => emit("warn", m),
    info: (m) => emit("info", m),
    debug: (m) => emit("debug", m),
  };
}

/**
 * Writes each line to descriptor `fd` at once, so a line written just before process.exit() is not lost.
 * A log that is gone drops the line: there is nowhere better to say so.
 */
export function fdSink(fd: number): LineSink {
  return {
    write(line: string): void {
      try {
        writeSync(fd, line);
      } catch {
        // nothing to do
      }
    },
  };
}
