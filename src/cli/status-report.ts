// `mod-authnz-node status`'s verdict and output, apart from the socket: Nagios's states and exit codes
// (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), the thresholds, the first line with its perfdata, the details.
// The status it reads is the worker's STATUS answer (src/worker/status.ts, docs/protocol.md "Admin socket").

export const NAGIOS = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type NagiosState = keyof typeof NAGIOS;

/** What the command compares: the hashing queue's depth and the restarts (starts after the first). */
export interface Thresholds {
  readonly warnQueue?: number;
  readonly critQueue?: number;
  readonly warnRestarts?: number;
  readonly critRestarts?: number;
}

/** The worker's STATUS answer, as far as the command reads it; the rest is shown by --json as it came. */
export interface StatusAnswer {
  readonly pid: number;
  readonly uptimeSeconds: number;
  readonly startCount: number | null;
  readonly protocolVersion: number;
  readonly connections: number;
  readonly handlers: ReadonlyArray<{ readonly description: string; readonly created: boolean; readonly status: Readonly<Record<string, unknown>> | null }>;
  readonly hashQueue: { readonly running: number; readonly queued: number; readonly parallelism: number };
  readonly throttle: { readonly enabled: boolean; readonly refused: number; readonly failures: number; readonly blocks: number };
  readonly lockout: { readonly throttled: number; readonly queueFull: number };
}

export interface Verdict {
  readonly state: NagiosState;
  readonly reasons: readonly string[];
}

/** "3h2m", "2d4h", "45s": the two largest units, as a monitor's summary line wants it. */
export function formatUptime(seconds: number): string {
  const units: Array<[string, number]> = [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]];
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(seconds));
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${n}${name}`);
    if (parts.length === 2) break;
  }
  return parts.length === 0 ? "0s" : parts.join("");
}

function restartsOf(status: StatusAnswer): number {
  return status.startCount === null ? 0 : Math.max(0, status.startCount - 1);
}

/** OK, or WARNING / CRITICAL with why: each threshold crossed (a value above it). */
export function judge(status: StatusAnswer, thresholds: Thresholds): Verdict {
  const crit: string[] = [];
  const warn: string[] = [];
  const queue = status.hashQueue.queued;
  const restarts = restartsOf(status);
  if (thresholds.critQueue !== undefined && queue > thresholds.critQueue) crit.push(`hash queue ${queue} > ${thresholds.critQueue}`);
  else if (thresholds.warnQueue !== undefined && queue > thresholds.warnQueue) warn.push(`hash queue ${queue} > ${thresholds.warnQueue}`);
  if (thresholds.critRestarts !== undefined && restarts > thresholds.critRestarts) crit.push(`restarts ${restarts} > ${thresholds.critRestarts}`);
  else if (thresholds.warnRestarts !== undefined && restarts > thresholds.warnRestarts) warn.push(`restarts ${restarts} > ${thresholds.warnRestarts}`);
  if (crit.length > 0) return { state: "CRITICAL", reasons: [...crit, ...warn] };
  if (warn.length > 0) return { state: "WARNING", reasons: warn };
  return { state: "OK", reasons: [] };
}

/** The sum of one counter of one cache over every handler that has it. */
function cacheTotal(status: StatusAnswer, cache: string, counter: string): number {
  let total = 0;
  for (const handler of status.handlers) {
    const value = (handler.status?.[cache] as Record<string, unknown> | undefined)?.[counter];
    if (typeof value === "number") total += value;
  }
  return total;
}

function threshold(value: number | undefined): string {
  return value === undefined ? "" : String(value);
}

/** Nagios perfdata: label=value[unit];warn;crit, space separated. */
function perfdata(status: StatusAnswer, thresholds: Thresholds): string {
  return [
    `uptime=${status.uptimeSeconds}s`,
    `restarts=${restartsOf(status)};${threshold(thresholds.warnRestarts)};${threshold(thresholds.critRestarts)}`,
    `hash_queue=${status.hashQueue.queued};${threshold(thresholds.warnQueue)};${threshold(thresholds.critQueue)}`,
    `hash_running=${status.hashQueue.running}`,
    `connections=${status.connections}`,
    `verified_hits=${cacheTotal(status, "verifiedCache", "hits")}c`,
    `verified_misses=${cacheTotal(status, "verifiedCache", "misses")}c`,
    `throttled=${status.lockout.throttled}c`,
    `throttle_blocks=${status.throttle.blocks}c`,
  ].join(" ");
}

/** "12 hits / 3 misses (80%)", or "no lookups". */
function hitRate(counters: Readonly<Record<string, unknown>>): string {
  const hits = typeof counters["hits"] === "number" ? counters["hits"] : 0;
  const misses = typeof counters["misses"] === "number" ? counters["misses"] : 0;
  const size = typeof counters["size"] === "number" ? counters["size"] : 0;
  const lookups = hits + misses;
  const rate = lookups === 0 ? "no lookups" : `${Math.round((100 * hits) / lookups)}% hits`;
  return `${size} entries, ${hits} hits / ${misses} misses (${rate})`;
}

function handlerLines(status: StatusAnswer): string[] {
  const lines: string[] = [];
  for (const handler of status.handlers) {
    lines.push(`handler ${handler.description}: ${handler.created ? "ready" : "not made yet (or failed)"}`);
    const own = handler.status ?? {};
    const pool = own["pool"] as Record<string, number> | undefined;
    if (pool !== undefined) lines.push(`  pool: ${pool["total"] ?? 0} open, ${pool["idle"] ?? 0} idle, ${pool["waiting"] ?? 0} waiting`);
    for (const cache of ["verifiedCache", "rowCache"]) {
      const counters = own[cache] as Record<string, unknown> | undefined;
      if (counters !== undefined) lines.push(`  ${cache === "verifiedCache" ? "verified-credential cache" : "row cache"}: ${hitRate(counters)}`);
    }
  }
  return lines;
}

/** The text output: Nagios's first line (state, summary, perfdata), then one detail per line. */
export function formatReport(status: StatusAnswer, verdict: Verdict, thresholds: Thresholds): string {
  const summary = [`worker pid ${status.pid}`, `up ${formatUptime(status.uptimeSeconds)}`, `start ${status.startCount ?? "?"}`, `hash queue ${status.hashQueue.queued}`];
  const why = verdict.reasons.length > 0 ? `: ${verdict.reasons.join(", ")}` : "";
  const q = status.hashQueue;
  const t = status.throttle;
  return [
    `AUTHNZ_NODE ${verdict.state} - ${summary.join(", ")}${why} | ${perfdata(status, thresholds)}`,
    `protocol version ${status.protocolVersion}, ${status.connections} connection(s) from httpd's children`,
    `hashing: ${q.running} running, ${q.queued} queued (${q.parallelism} at once)`,
    `throttle: ${t.enabled ? `${t.refused} checks refused, ${t.failures} failures counted, ${t.blocks} blocks` : "off"}`,
    `lockouts: ${status.lockout.throttled} THROTTLED answers (${status.lockout.queueFull} for a full hashing queue)`,
    ...handlerLines(status),
  ].join("\n") + "\n";
}

/** The first line alone for a state without a status (no worker answered, the socket not found). */
export function formatProblem(state: NagiosState, message: string): string {
  return `AUTHNZ_NODE ${state} - ${message}\n`;
}
