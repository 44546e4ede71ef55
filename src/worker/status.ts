// What the admin socket's STATUS answers (docs/protocol.md, "Admin socket"): counters the worker keeps
// anyway, read when asked. Only numbers and handler descriptions (database passwords masked): never a user
// name, a password, a key or a hash.
import type { FairHashQueue } from "../brute-force/fair-hash-queue.js";
import type { NativeThrottle } from "../brute-force/native-throttle.js";
import type { HandlerRegistry, HandlerSnapshot } from "../handlers/registry.js";
import { PROTOCOL_VERSION } from "../protocol/constants.js";
import { lockoutCounters } from "./lockout.js";

export interface StatusSources {
  /** Date.now() when the worker started. */
  readonly startedAt: number;
  /** Which start since httpd started (--start-count), or null when not told. */
  readonly startCount: number | null;
  readonly registry: HandlerRegistry;
  readonly hashQueue: FairHashQueue;
  readonly throttle: NativeThrottle | null;
  /** Open connections on the request socket. */
  readonly connections: () => number;
  readonly now?: () => number;
}

export interface WorkerStatus {
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly startCount: number | null;
  readonly protocolVersion: number;
  readonly connections: number;
  readonly handlers: readonly HandlerSnapshot[];
  readonly hashQueue: { readonly running: number; readonly queued: number; readonly parallelism: number; readonly perAddress: number };
  readonly throttle: {
    readonly enabled: boolean;
    readonly keys: { readonly address: number; readonly pair: number; readonly user: number };
    readonly refused: number;
    readonly failures: number;
    readonly blocks: number;
  };
  readonly lockout: { readonly throttled: number; readonly queueFull: number };
}

export function workerStatus(sources: StatusSources): WorkerStatus {
  const now = (sources.now ?? Date.now)();
  const { hashQueue, throttle } = sources;
  return {
    pid: process.pid,
    startedAt: new Date(sources.startedAt).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor((now - sources.startedAt) / 1000)),
    startCount: sources.startCount,
    protocolVersion: PROTOCOL_VERSION,
    connections: sources.connections(),
    handlers: sources.registry.snapshot(),
    hashQueue: { running: hashQueue.running, queued: hashQueue.queued, parallelism: hashQueue.parallelism, perAddress: hashQueue.perAddress },
    throttle: {
      enabled: throttle !== null,
      keys: throttle?.sizes ?? { address: 0, pair: 0, user: 0 },
      refused: throttle?.counters.refused ?? 0,
      failures: throttle?.counters.failures ?? 0,
      blocks: throttle?.counters.blocks ?? 0,
    },
    lockout: { ...lockoutCounters },
  };
}
