// The error log's line shape, in one place for the tests. httpd's default ErrorLogFormat:
//   [Sun Dec 06 03:06:32.869562 2026] [authnz_node:info] [pid 26288] ANP0601: listening on /run/x/worker.sock
// httpd's own lines add ":tid N" to the pid under a threaded MPM; the worker's lines (src/log.ts, the
// addon's relay of handler output, the module's child before exec) never do.

/** httpd's `%{u}t`: local time, English names, microseconds. */
export const HTTPD_TIME = String.raw`(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2} \d{2}:\d{2}:\d{2}\.\d{6} \d{4}`;

/** Any whole line of httpd's default shape: 1 time, 2 module, 3 level, 4 pid, 5 the rest (log id and message). */
export const HTTPD_LINE = new RegExp(String.raw`^\[(${HTTPD_TIME})\] \[([a-z0-9_]*):([a-z]+\d?)\] \[pid (\d+)(?::tid \d+)?\] (.*)$`);

/**
 * A line of the worker's at `level` whose message (after its ANP06nn id) starts with `message` (a regexp,
 * or its source); multiline by default, so it can search a whole log. `id` pins the log id.
 */
export function workerLine(level: "error" | "warn" | "info" | "debug", message: string | RegExp, flags = "m", id = String.raw`ANP06\d\d`): RegExp {
  const source = typeof message === "string" ? message : message.source;
  return new RegExp(String.raw`^\[${HTTPD_TIME}\] \[authnz_node:${level}\] \[pid \d+\] ${id}: ${source}`, flags);
}

/** The line every supervisor and test waits for; group 1 is the socket's path. */
export const WORKER_LISTENING = workerLine("info", String.raw`listening on (\S+)`, "m", "ANP0601");

/**
 * The source of a regexp (for a global search) of the worker's debug line for one password check it answered
 * for `user`, with `status` (a regexp source; any status by default): the tests count the checks that
 * reached the worker with it, against those a cache in the module answered.
 */
export function workerCheckPassword(user: string, status = "[A-Z_]+"): string {
  const quoted = escapeRegExp(JSON.stringify(user));
  return String.raw`\[authnz_node:\w+\] \[pid \d+\] ANP06\d\d: check_password user=${quoted} handler=[^\n]*-> ${status}\b`;
}

/** The source of a regexp (for a global search) of the worker's debug line for one session check it answered, with `status`. */
export function workerCheckSession(status = "[A-Z_]+"): string {
  return String.raw`\[authnz_node:\w+\] \[pid \d+\] ANP06\d\d: check_session handler=[^\n]*-> ${status}\b`;
}

/** `text` as a regexp source that matches exactly it. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Counts over one server's error log: what reached the worker, against what a cache in the module answered.
 * Its members are bound, so a test can take the ones it uses: `const { count, trips } = new WorkerTrips(...)`.
 */
export class WorkerTrips {
  constructor(readonly errorLog: () => string) {}

  /** Matches of `pattern` (a regexp source) anywhere in the log. */
  readonly count = (pattern: string): number => (this.errorLog().match(new RegExp(pattern, "g")) ?? []).length;

  /** Password checks the worker answered for `user` (any status, or the one given). */
  readonly trips = (user: string, status = "[A-Z_]+"): number => this.count(workerCheckPassword(user, status));

  /** Session checks the worker answered (any status, or the one given). */
  readonly sessionTrips = (status = "[A-Z_]+"): number => this.count(workerCheckSession(status));
}
