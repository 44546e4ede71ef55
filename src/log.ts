// The worker's logger, on the ground floor (it imports nothing), so every layer may log.
// One line per event on stderr, in httpd's default ErrorLog shape, so fail2ban, logwatch and people read
// the worker's lines beside httpd's own:
//   [<%{u}t time>] [authnz_node:<level>] [pid <pid>] <log id>: <message>
// Every call names its stable log id (ANP06nn, listed in docs/module.md): the type makes a call
// without one a compile error. Messages are sanitized so no caller can break the one-line-per-event rule
// with control characters. Once the worker relays its fds 1 and 2 (handler output, in the same shape and
// escaped by the addon's thread), the logger writes to the saved log descriptor instead (fdSink).
import { writeSync } from "node:fs";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
/** The worker's range of log ids; the module's C uses ANP01xx-ANP05xx. */
export type WorkerLogId = `ANP06${Digit}${Digit}`;

export interface Logger {
  readonly level: LogLevel;
  error(id: WorkerLogId, message: string): void;
  warn(id: WorkerLogId, message: string): void;
  info(id: WorkerLogId, message: string): void;
  debug(id: WorkerLogId, message: string): void;
  enabled(level: LogLevel): boolean;
}

/** Escapes control characters (newlines above all) so one event stays one line. */
export function sanitizeLogText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

// English names whatever the locale, as httpd's apr_ctime writes them.
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** A time (microseconds since the epoch) as httpd's `%{u}t` prints it: local time, "Sun Dec 06 03:06:32.869562 2026". */
export function httpdTime(epochMicros: number): string {
  const micros = Math.floor(epochMicros);
  const d = new Date(Math.floor(micros / 1000));
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(micros % 1_000_000, 6)}`;
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${clock} ${d.getFullYear()}`;
}

/**
 * Now in microseconds since the epoch: the wall clock (what httpd stamps its lines with) to the
 * millisecond, and below that the monotonic clock's fraction, which the wall clock does not give.
 */
export function wallClockMicros(): number {
  const fraction = Math.floor((performance.now() % 1) * 1000);
  return Date.now() * 1000 + fraction;
}

/** One whole line, newline included, in httpd's default ErrorLog shape. */
export function formatLogLine(level: LogLevel, id: WorkerLogId, message: string, pid: number, epochMicros: number): string {
  return `[${httpdTime(epochMicros)}] [authnz_node:${level}] [pid ${pid}] ${id}: ${sanitizeLogText(message)}\n`;
}

export interface LineSink {
  write(line: string): unknown;
}

export function createLogger(level: LogLevel, sink: LineSink = process.stderr, pid: number = process.pid, clock: () => number = wallClockMicros): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const enabled = (l: LogLevel): boolean => LOG_LEVELS.indexOf(l) <= rank;
  const emit = (l: LogLevel, id: WorkerLogId, message: string): void => {
    if (enabled(l)) sink.write(formatLogLine(l, id, message, pid, clock()));
  };
  return {
    level,
    enabled,
    error: (id, m) => emit("error", id, m),
    warn: (id, m) => emit("warn", id, m),
    info: (id, m) => emit("info", id, m),
    debug: (id, m) => emit("debug", id, m),
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
