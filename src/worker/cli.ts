// The worker's command line and optional JSON config file, turned into one validated WorkerOptions.
//   node dist/worker.js --socket <path> (--bootstrap-fd <n> | --no-bootstrap) [--listen-fd <n>] [--heartbeat-fd <n>]
//     [--socket-mode 0600|0660] [--socket-group <name>] [--trust-uid <uid>]... [--timeout-ms <n>]
//     [--config <file.json>] [--log-level error|warn|info|debug]
//     [--throttle on|off] [--throttle-address-limit N] [--throttle-pair-limit N] [--throttle-user-limit N]
//     [--throttle-backoff FIRST,MAX] [--throttle-window SECONDS] [--throttle-exempt CIDR]... [--hash-queue N]
//     [--admin-fd N [--admin-uid UID]] [--start-count N] [--generations-fd N]
// Flags win over the config file; the throttle flags are flags only (httpd's module passes its
// NodeAuthThrottle* and NodeAuthHashQueue directives as them). Every problem is a WorkerConfigError naming the flag or key.
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { parseCidr, type Cidr } from "../brute-force/cidr.js";
import { DEFAULT_HASH_QUEUE } from "../brute-force/fair-hash-queue.js";
import { DEFAULT_THROTTLE_SETTINGS, type ThrottleSettings } from "../brute-force/native-throttle.js";
import { WorkerConfigError } from "../errors.js";
import { resolveId } from "./ids.js";
import { isLogLevel, type LogLevel } from "../log.js";

export interface WorkerOptions {
  readonly socketPath: string;
  /** 0o600 (only the worker's user) or 0o660 (plus socketGid). */
  readonly socketMode: 0o600 | 0o660;
  readonly socketGid: number | null;
  /** Peers allowed besides the worker's own uid and root. */
  readonly trustUids: readonly number[];
  /** Upper bound of every request's deadline. */
  readonly timeoutMs: number;
  readonly logLevel: LogLevel;
  /** Handler specs created at start, so a broken one shows in the log before the first request. */
  readonly preload: readonly string[];
  /** A listening Unix socket inherited from httpd's parent (--listen-fd), or null to create socketPath. */
  readonly listenFd: number | null;
  /**
   * Where httpd's parent writes the BOOTSTRAP frame (--bootstrap-fd): the generation key, the allowed
   * handler specs and the secret files. "none" (--no-bootstrap): no key and no allowlist, for workers
   * started by hand. "unset": neither flag, which the worker refuses to start with (the command line
   * alone parses, so --help and tests of other flags need neither).
   */
  readonly bootstrap: { readonly fd: number } | "none" | "unset";
  /** Where the worker writes its heartbeat for httpd's parent (--heartbeat-fd), or null for none. */
  readonly heartbeatFd: number | null;
  /** The native throttle's settings (--throttle-*), or null with --throttle off. */
  readonly throttle: ThrottleSettings | null;
  /** Password hashes one client address may have waiting (--hash-queue). */
  readonly hashQueue: number;
  /** The admin listener httpd's parent made (admin.sock, --admin-fd), or null for none. */
  readonly adminFd: number | null;
  /** Who may use it besides root (--admin-uid, NodeAuthAdminUser), or null for root alone. */
  readonly adminUid: number | null;
  /** Which start of the worker this is since httpd started (--start-count), or null when not told. */
  readonly startCount: number | null;
  /**
   * The generations table httpd's parent made and sized, open read-write (--generations-fd), or null for none:
   * the worker publishes its change feeds' generations there, and only then gives stamped grants.
   */
  readonly generationsFd: number | null;
}

export const USAGE =
  "usage: node dist/worker.js --socket <path> (--bootstrap-fd <n> | --no-bootstrap) [--listen-fd <n>] [--heartbeat-fd <n>] " +
  "[--socket-mode 0600|0660] [--socket-group <name>] [--trust-uid <uid>]... [--timeout-ms <n>] [--config <file.json>] [--log-level error|warn|info|debug] " +
  "[--throttle on|off] [--throttle-address-limit <n>] [--throttle-pair-limit <n>] [--throttle-user-limit <n>] " +
  "[--throttle-backoff <first>,<max>] [--throttle-window <seconds>] [--throttle-exempt <cidr>]... [--hash-queue <n>] " +
  "[--admin-fd <n> [--admin-uid <uid>]] [--start-count <n>] [--generations-fd <n>]";

export const DEFAULT_TIMEOUT_MS = 5000;
const MAX_TIMEOUT_MS = 600_000;

/** Raw values before validation; flags and config keys both land here. */
interface RawOptions {
  socket?: string;
  socketMode?: string;
  socketGroup?: string;
  trustUids: string[];
  timeoutMs?: string;
  logLevel?: string;
  preload: string[];
  listenFd?: string;
  bootstrapFd?: string;
  noBootstrap?: boolean;
  heartbeatFd?: string;
  throttle?: string;
  throttleAddressLimit?: string;
  throttlePairLimit?: string;
  throttleUserLimit?: string;
  throttleBackoff?: string;
  throttleWindow?: string;
  throttleExempt: string[];
  hashQueue?: string;
  adminFd?: string;
  adminUid?: string;
  startCount?: string;
  generationsFd?: string;
}

const FLAGS: Record<string, { key: keyof RawOptions; repeatable?: boolean }> = {
  "--socket": { key: "socket" },
  "--socket-mode": { key: "socketMode" },
  "--socket-group": { key: "socketGroup" },
  "--trust-uid": { key: "trustUids", repeatable: true },
  "--timeout-ms": { key: "timeoutMs" },
  "--log-level": { key: "logLevel" },
  "--listen-fd": { key: "listenFd" },
  "--bootstrap-fd": { key: "bootstrapFd" },
  "--heartbeat-fd": { key: "heartbeatFd" },
  "--throttle": { key: "throttle" },
  "--throttle-address-limit": { key: "throttleAddressLimit" },
  "--throttle-pair-limit": { key: "throttlePairLimit" },
  "--throttle-user-limit": { key: "throttleUserLimit" },
  "--throttle-backoff": { key: "throttleBackoff" },
  "--throttle-window": { key: "throttleWindow" },
  "--throttle-exempt": { key: "throttleExempt", repeatable: true },
  "--hash-queue": { key: "hashQueue" },
  "--admin-fd": { key: "adminFd" },
  "--admin-uid": { key: "adminUid" },
  "--start-count": { key: "startCount" },
  "--generations-fd": { key: "generationsFd" },
};

/** The throttle's flags, carried from the command line past the config file (which has no such keys). */
const THROTTLE_KEYS = [
  "throttle",
  "throttleAddressLimit",
  "throttlePairLimit",
  "throttleUserLimit",
  "throttleBackoff",
  "throttleWindow",
  "throttleExempt",
  "hashQueue",
] as const satisfies readonly (keyof RawOptions)[];

/** Where each raw option came from, so errors name the flag the user actually wrote. */
type Origin = Partial<Record<keyof RawOptions, string>>;

export interface ParsedCommandLine {
  readonly help: boolean;
  readonly options: WorkerOptions | null;
}

export function parseCommandLine(argv: readonly string[], readFile: (path: string) => string = readUtf8): ParsedCommandLine {
  const flags: RawOptions = { trustUids: [], preload: [], throttleExempt: [] };
  const origin: Origin = {};
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") return { help: true, options: null };
    if (arg === "--no-bootstrap") {
      flags.noBootstrap = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined;
    if (name !== arg) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (name in FLAGS || name === "--config") i++;
    }
    if (name === "--config") {
      if (value === undefined || value === "") throw new WorkerConfigError(name, "needs a value");
      configPath = value;
      continue;
    }
    const flag = FLAGS[name];
    if (!flag) throw new WorkerConfigError(name, "unknown flag");
    if (value === undefined) throw new WorkerConfigError(name, "needs a value");
    if (flag.repeatable) (flags[flag.key] as string[]).push(value);
    else {
      if (flags[flag.key] !== undefined) throw new WorkerConfigError(name, "given twice");
      (flags as unknown as Record<string, string>)[flag.key] = value;
    }
    origin[flag.key] = name;
  }

  const merged: RawOptions = configPath === undefined ? flags : mergeConfig(readConfig(configPath, readFile, origin), flags);
  return { help: false, options: validate(merged, origin) };
}

function readUtf8(path: string): string {
  return readFileSync(path, "utf8");
}

const CONFIG_KEYS: Record<string, keyof RawOptions> = {
  socket: "socket",
  socketMode: "socketMode",
  socketGroup: "socketGroup",
  trustUids: "trustUids",
  timeoutMs: "timeoutMs",
  logLevel: "logLevel",
  handlers: "preload",
};

/** Reads the config file; records `config:<key>` as the origin of each key no flag has set. */
function readConfig(path: string, readFile: (path: string) => string, origin: Origin): RawOptions {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new WorkerConfigError("--config", `cannot read ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new WorkerConfigError("--config", `${path} is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new WorkerConfigError("--config", `${path} must hold a JSON object`);
  }
  const raw: RawOptions = { trustUids: [], preload: [], throttleExempt: [] };
  for (const [key, value] of Object.entries(json)) {
    const target = CONFIG_KEYS[key];
    const where = `config:${key}`;
    if (!target) throw new WorkerConfigError(where, "unknown key");
    origin[target] ??= where;
    if (target === "trustUids") {
      if (!Array.isArray(value)) throw new WorkerConfigError(where, "must be an array of uids or user names");
      raw.trustUids = value.map((v) => scalar(where, v));
    } else if (target === "preload") {
      if (!Array.isArray(value)) throw new WorkerConfigError(where, "must be an array of handler specs");
      raw.preload = value.map((v) => specText(where, v));
    } else {
      (raw as unknown as Record<string, string>)[target] = scalar(where, value);
    }
  }
  return raw;
}

function scalar(where: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new WorkerConfigError(where, "must be a string or a number");
}

/** A handler spec in the config file: spec text, or an object of keys (turned into `key=value` lines). */
function specText(where: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${scalar(`${where}.${k}`, v)}`)
      .join("\n");
  }
  throw new WorkerConfigError(where, "each handler must be spec text or an object of spec keys");
}

function mergeConfig(config: RawOptions, flags: RawOptions): RawOptions {
  const merged: RawOptions = { ...config };
  if (flags.socket !== undefined) merged.socket = flags.socket;
  if (flags.socketMode !== undefined) merged.socketMode = flags.socketMode;
  if (flags.socketGroup !== undefined) merged.socketGroup = flags.socketGroup;
  if (flags.timeoutMs !== undefined) merged.timeoutMs = flags.timeoutMs;
  if (flags.logLevel !== undefined) merged.logLevel = flags.logLevel;
  if (flags.trustUids.length > 0) merged.trustUids = flags.trustUids;
  // Only flags: what httpd's parent hands over is no business of a config file.
  merged.listenFd = flags.listenFd;
  merged.bootstrapFd = flags.bootstrapFd;
  merged.noBootstrap = flags.noBootstrap;
  merged.heartbeatFd = flags.heartbeatFd;
  merged.adminFd = flags.adminFd;
  merged.adminUid = flags.adminUid;
  merged.startCount = flags.startCount;
  merged.generationsFd = flags.generationsFd;
  for (const key of THROTTLE_KEYS) (merged as unknown as Record<string, unknown>)[key] = flags[key];
  return merged;
}

function validate(raw: RawOptions, origin: Origin): WorkerOptions {
  const name = (key: keyof RawOptions, flag: string): string => origin[key] ?? flag;

  if (raw.socket === undefined || raw.socket === "") throw new WorkerConfigError(name("socket", "--socket"), "is required");
  if (!isAbsolute(raw.socket)) throw new WorkerConfigError(name("socket", "--socket"), "must be an absolute path");
  // sun_path holds 108 bytes including the terminating NUL on Linux.
  if (Buffer.byteLength(raw.socket) > 107) throw new WorkerConfigError(name("socket", "--socket"), "is longer than 107 bytes");

  let socketMode: 0o600 | 0o660 = 0o600;
  if (raw.socketMode !== undefined) {
    if (raw.socketMode === "0600" || raw.socketMode === "600" || raw.socketMode === "384") socketMode = 0o600;
    else if (raw.socketMode === "0660" || raw.socketMode === "660" || raw.socketMode === "432") socketMode = 0o660;
    else throw new WorkerConfigError(name("socketMode", "--socket-mode"), `must be 0600 or 0660, not ${JSON.stringify(raw.socketMode)}`);
  }

  let socketGid: number | null = null;
  if (raw.socketGroup !== undefined) {
    const flag = name("socketGroup", "--socket-group");
    if (socketMode !== 0o660) throw new WorkerConfigError(flag, "needs --socket-mode 0660 (a group cannot use a 0600 socket)");
    socketGid = resolveId("group", raw.socketGroup);
    if (socketGid === null) throw new WorkerConfigError(flag, `no such group ${JSON.stringify(raw.socketGroup)}`);
  }

  const trustUids: number[] = [];
  for (const value of raw.trustUids) {
    const uid = resolveId("passwd", value);
    if (uid === null) throw new WorkerConfigError(name("trustUids", "--trust-uid"), `no such user ${JSON.stringify(value)}`);
    if (!trustUids.includes(uid)) trustUids.push(uid);
  }

  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (raw.timeoutMs !== undefined) {
    const n = /^\d+$/.test(raw.timeoutMs) ? Number(raw.timeoutMs) : NaN;
    if (!(n >= 1 && n <= MAX_TIMEOUT_MS)) {
      throw new WorkerConfigError(name("timeoutMs", "--timeout-ms"), `must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
    }
    timeoutMs = n;
  }

  let logLevel: LogLevel = "info";
  if (raw.logLevel !== undefined) {
    if (!isLogLevel(raw.logLevel)) throw new WorkerConfigError(name("logLevel", "--log-level"), "must be error, warn, info or debug");
    logLevel = raw.logLevel;
  }

  return {
    socketPath: raw.socket,
    socketMode,
    socketGid,
    trustUids,
    timeoutMs,
    logLevel,
    preload: raw.preload,
    listenFd: raw.listenFd === undefined ? null : inheritedFd("--listen-fd", raw.listenFd),
    bootstrap: bootstrapSource(raw),
    heartbeatFd: raw.heartbeatFd === undefined ? null : inheritedFd("--heartbeat-fd", raw.heartbeatFd),
    throttle: throttleSettings(raw),
    hashQueue: raw.hashQueue === undefined ? DEFAULT_HASH_QUEUE : integerIn("--hash-queue", raw.hashQueue, 1, 1024),
    ...adminOptions(raw),
    generationsFd: raw.generationsFd === undefined ? null : inheritedFd("--generations-fd", raw.generationsFd),
  };
}

/** --admin-fd, --admin-uid (only with --admin-fd) and --start-count. */
function adminOptions(raw: RawOptions): Pick<WorkerOptions, "adminFd" | "adminUid" | "startCount"> {
  if (raw.adminUid !== undefined && raw.adminFd === undefined) throw new WorkerConfigError("--admin-uid", "needs --admin-fd");
  return {
    adminFd: raw.adminFd === undefined ? null : inheritedFd("--admin-fd", raw.adminFd),
    adminUid: raw.adminUid === undefined ? null : integerIn("--admin-uid", raw.adminUid, 0, 0xffff_fffe),
    startCount: raw.startCount === undefined ? null : integerIn("--start-count", raw.startCount, 1, 0x7fff_ffff),
  };
}

/** A whole number from `min` to `max`, written in decimal digits only (no sign, space or exponent). */
function integerIn(flag: string, value: string, min: number, max: number): number {
  const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new WorkerConfigError(flag, `must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

const MAX_COUNT = 1_000_000;
const MAX_SECONDS = 86_400;

/** The --throttle-* flags as settings (defaults for those not given), or null with --throttle off. */
function throttleSettings(raw: RawOptions): ThrottleSettings | null {
  if (raw.throttle !== undefined && raw.throttle !== "on" && raw.throttle !== "off") {
    throw new WorkerConfigError("--throttle", `must be on or off, not ${JSON.stringify(raw.throttle)}`);
  }
  const d = DEFAULT_THROTTLE_SETTINGS;
  const count = (flag: string, value: string | undefined, fallback: number, min: number): number =>
    value === undefined ? fallback : integerIn(flag, value, min, MAX_COUNT);
  // Checked even with --throttle off, so a typo shows at once and not when the throttle is turned on.
  const settings: ThrottleSettings = {
    addressLimit: count("--throttle-address-limit", raw.throttleAddressLimit, d.addressLimit, 1),
    pairLimit: count("--throttle-pair-limit", raw.throttlePairLimit, d.pairLimit, 1),
    userLimit: count("--throttle-user-limit", raw.throttleUserLimit, d.userLimit, 0),
    ...backoff(raw.throttleBackoff),
    windowSeconds: raw.throttleWindow === undefined ? d.windowSeconds : integerIn("--throttle-window", raw.throttleWindow, 1, MAX_SECONDS),
    exempt: raw.throttleExempt.map(exemptNetwork),
  };
  return raw.throttle === "off" ? null : settings;
}

function backoff(value: string | undefined): Pick<ThrottleSettings, "backoffFirstSeconds" | "backoffMaxSeconds"> {
  const d = DEFAULT_THROTTLE_SETTINGS;
  if (value === undefined) return { backoffFirstSeconds: d.backoffFirstSeconds, backoffMaxSeconds: d.backoffMaxSeconds };
  const m = /^(\d{1,10}),(\d{1,10})$/.exec(value);
  const first = m === null ? NaN : Number(m[1]);
  const max = m === null ? NaN : Number(m[2]);
  if (!(first >= 1 && first <= max && max <= MAX_SECONDS)) {
    throw new WorkerConfigError("--throttle-backoff", `must be FIRST,MAX in seconds with 1 <= FIRST <= MAX <= ${MAX_SECONDS}, not ${JSON.stringify(value)}`);
  }
  return { backoffFirstSeconds: first, backoffMaxSeconds: max };
}

function exemptNetwork(value: string): Cidr {
  const cidr = parseCidr(value);
  if (cidr === null) throw new WorkerConfigError("--throttle-exempt", `must be an IPv4 or IPv6 address or CIDR, not ${JSON.stringify(value)}`);
  return cidr;
}

/** An inherited descriptor number: 3 or more, since 0-2 are stdio. */
function inheritedFd(flag: string, value: string): number {
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 3)) throw new WorkerConfigError(flag, `must be a file descriptor number of 3 or more, not ${JSON.stringify(value)}`);
  return n;
}

/**
 * --bootstrap-fd or --no-bootstrap, not both: without the bootstrap the worker has no generation key (any
 * process that can reach the socket is answered) and no spec allowlist (any peer chooses the handler), so
 * running that way must be asked for by name, never fallen into.
 */
function bootstrapSource(raw: RawOptions): WorkerOptions["bootstrap"] {
  if (raw.bootstrapFd !== undefined && raw.noBootstrap === true) {
    throw new WorkerConfigError("--no-bootstrap", "cannot be given with --bootstrap-fd");
  }
  if (raw.bootstrapFd !== undefined) return { fd: inheritedFd("--bootstrap-fd", raw.bootstrapFd) };
  return raw.noBootstrap === true ? "none" : "unset";
}
